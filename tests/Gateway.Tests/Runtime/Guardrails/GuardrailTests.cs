using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>Every way a guardrail can end, each with its guardrail span under the LLM span.</summary>
public sealed class GuardrailTests : IDisposable
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task ABlockThrownByAGuardrailIsRecordedAsIntervened()
    {
        var tree = await SendAsync(
            new TestGuardrail(
                "thrower",
                GuardrailMode.PreCall,
                (_, _) => throw new GuardrailBlockedException("thrower", "No thanks.")),
            HttpStatusCode.BadRequest,
            "No thanks.");

        var guardrail = Single(tree, "thrower");
        Assert.Equal(GuardrailStatuses.Intervened, guardrail.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Equal("No thanks.", guardrail.GetTagItem(AttributeNames.GuardrailResponse));
        Assert.Equal(ActivityStatusCode.Error, guardrail.Status);
    }

    [Fact]
    public async Task AReasonThatQuotesAKeyOrAWholePromptIsRedactedAndBoundedOnTheGuardrailSpan()
    {
        // A secret scanner's reason names what it found; another quotes the prompt at any length.
        const string Key = "sk-proj-4f9c2a7e1d8b6c5a";
        var reason = $"The prompt holds an API key ({Key}): " + new string('p', 20_000);
        var tree = await SendAsync(
            new TestGuardrail(
                "secrets",
                GuardrailMode.PreCall,
                (_, _) => ValueTask.FromResult(GuardrailVerdict.Block(reason))),
            HttpStatusCode.BadRequest,
            message: null);

        var guardrail = Single(tree, "secrets");
        var recorded = Assert.IsType<string>(guardrail.GetTagItem(AttributeNames.GuardrailResponse));
        Assert.StartsWith("The prompt holds an API key ([redacted]): ppp", recorded, StringComparison.Ordinal);
        Assert.EndsWith(TelemetryLimits.TruncationMarker, recorded, StringComparison.Ordinal);
        Assert.Equal(new TelemetryLimits().MaxAttributeValueLength, recorded.Length);
        Assert.Equal(recorded, guardrail.StatusDescription);
        Assert.All(
            tree.Spans,
            s => Assert.DoesNotContain(Key, s.StatusDescription ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AGuardrailThatFailsIsRecordedAsFailedToRespondAndTheRequestFails()
    {
        // The guardrail's own timeout is the gateway's failure, never blamed on the upstream provider.
        var tree = await SendAsync(
            new TestGuardrail(
                "flaky",
                GuardrailMode.PreCall,
                (_, _) => throw new TimeoutException("moderation service timed out")),
            HttpStatusCode.InternalServerError,
            "The gateway failed to handle the request.");

        var guardrail = Single(tree, "flaky");
        Assert.Equal(GuardrailStatuses.FailedToRespond, guardrail.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Contains(guardrail.Events, e => e.Name == "exception");
        Assert.Equal(ActivityStatusCode.Error, guardrail.Status);
    }

    [Fact]
    public async Task ADuringCallBlockCancelsTheHandlerAndFailsTheRequest()
    {
        var guardrail = new TestGuardrail(
            "moderation",
            GuardrailMode.DuringCall,
            async (_, ct) =>
            {
                await Task.Delay(50, ct);
                return GuardrailVerdict.Block("Blocked while the call ran.");
            });
        var tree = await SendAsync(
            guardrail,
            HttpStatusCode.BadRequest,
            "Blocked while the call ran.",
            delayMs: 30_000);

        var span = Single(tree, "moderation");
        Assert.Equal("during_call", span.GetTagItem(AttributeNames.GuardrailMode));
        Assert.Equal(GuardrailStatuses.Intervened, span.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Equal(
            typeof(GuardrailBlockedException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
    }

    [Fact]
    public async Task ADuringCallGuardrailThatPassesLetsTheResponseThrough()
    {
        var tree = await SendAsync(
            new TestGuardrail(
                "moderation",
                GuardrailMode.DuringCall,
                (_, _) => ValueTask.FromResult(GuardrailVerdict.Allow)),
            HttpStatusCode.OK,
            message: null);

        Assert.Equal(GuardrailStatuses.Success, Single(tree, "moderation").GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Empty(tree.All(SpanNames.Failure));
    }

    [Fact]
    public async Task ADuringCallBlockIsTheFailureWhenAnotherGuardrailReportsTheStopItCausedAsItsOwnFailure()
    {
        // Two during-call guardrails: the second blocks while the first still waits for its backend.
        // The block stops the first, which (as a client library that wraps whatever its call threw
        // does) reports the stop as a failure of its own: the block is still the request's failure,
        // not a 500, whatever order the guardrails were registered in.
        var wrapping = new TestGuardrail("wrapping", GuardrailMode.DuringCall, async (_, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
                return GuardrailVerdict.Allow;
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException("The moderation backend failed.", exception);
            }
        });
        var blocking = new TestGuardrail("moderation", GuardrailMode.DuringCall, async (_, ct) =>
        {
            await Task.Delay(100, ct);
            return GuardrailVerdict.Block("Blocked while the call ran.");
        });
        using var host = new GatewayHost()
            .With("EmbeddedProvider:DelayMs", "30000")
            .WithServices(s => s.AddSingleton<ILlmGuardrail>(wrapping).AddSingleton<ILlmGuardrail>(blocking));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "Blocked while the call ran.",
            json.RootElement.GetProperty("error").GetProperty("message").GetString());
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(GuardrailBlockedException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(
            GuardrailStatuses.Intervened,
            Single(tree, "moderation").GetTagItem(AttributeNames.GuardrailStatus));
        Single(tree, "wrapping");
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABlockThrownOutsideAGuardrailStillGetsItsGuardrailSpan()
    {
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(TestProviders.Router(new BlockingProvider())));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single(SpanNames.LlmRequest);
        var span = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == "provider-policy");
        Assert.Equal(llm.SpanId, span.ParentSpanId);
        Assert.Equal(GuardrailStatuses.Intervened, span.GetTagItem(AttributeNames.GuardrailStatus));
    }

    private async Task<SpanTree> SendAsync(
        ILlmGuardrail guardrail,
        HttpStatusCode status,
        string? message,
        int delayMs = 0)
    {
        using var host = new GatewayHost()
            .With("EmbeddedProvider:DelayMs", delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithServices(s => s.AddSingleton(guardrail));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(status, response.StatusCode);
        if (message is not null)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(message, json.RootElement.GetProperty("error").GetProperty("message").GetString());
        }

        var tree = await _spans.SingleTraceAsync();
        _spans.AssertAllEnded();
        return tree;
    }

    private static Activity Single(SpanTree tree, string guardrailName)
    {
        var llm = tree.Single(SpanNames.LlmRequest);
        var span = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailName) == guardrailName);
        Assert.Equal(llm.SpanId, span.ParentSpanId);
        Assert.True(
            span.StartTimeUtc + span.Duration <= llm.StartTimeUtc + llm.Duration,
            "the guardrail span outlived the LLM span");
        return span;
    }

    internal sealed class TestGuardrail(
        string name,
        GuardrailMode modes,
        Func<GuardrailContext, CancellationToken, ValueTask<GuardrailVerdict>> check
    ) : ILlmGuardrail
    {
        public string Name => name;

        public GuardrailMode Modes => modes;

        public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
            check(context, cancellationToken);
    }

    private sealed class BlockingProvider : TestProviders.Base
    {
        public override Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken
        ) => throw new GuardrailBlockedException("provider-policy", "The provider's policy refused the prompt.");
    }
}
