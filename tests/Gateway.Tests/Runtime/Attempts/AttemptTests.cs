using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// One raw_gen_ai_request span per upstream attempt; retries and fallbacks visible in spans and headers.
/// </summary>
public sealed class AttemptTests : IDisposable
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"try again"}]}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task ARetryThenSuccessRecordsTwoAttemptsAndTheHeaders()
    {
        await using var upstream = await UpstreamStub.StartAsync(503, 200);
        using var host = Host(upstream, maxRetries: 2, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", Header(response, "x-litellm-attempted-retries"));
        Assert.Equal("0", Header(response, "x-litellm-attempted-fallbacks"));
        Assert.Equal("2", Header(response, "x-litellm-max-retries"));

        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { ("initial", "failure", "openai"), ("retry", "success", "openai") },
            attempts.Select(Describe));
        Assert.Equal(typeof(UpstreamException).FullName, attempts[1].GetTagItem(AttributeNames.AttemptReason));
        Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
    }

    [Fact]
    public async Task AFailingUpstreamFallsBackToTheEmbeddedProvider()
    {
        await using var upstream = await UpstreamStub.StartAsync(503);
        using var host = Host(upstream, maxRetries: 1, fallback: true);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "Echo: try again",
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("1", Header(response, "x-litellm-attempted-retries"));
        Assert.Equal("1", Header(response, "x-litellm-attempted-fallbacks"));
        Assert.Equal(2, upstream.Calls);

        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[]
            {
                ("initial", "failure", "openai"),
                ("retry", "failure", "openai"),
                ("fallback", "success", "tracedllm.embedded")
            },
            attempts.Select(Describe));
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            "tracedllm.embedded",
            tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Empty(tree.All(SpanNames.Failure));
    }

    [Fact]
    public async Task WhenEveryAttemptFailsTheFailurePathRunsOnce()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        await using var upstream = await UpstreamStub.StartAsync(429);
        using var host = Host(upstream, maxRetries: 1, fallback: false)
            .WithServices(s => s.AddSingleton<ILlmFailureLogger>(new RecordingLogger(logged)));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("1", Header(response, "x-litellm-attempted-retries"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var attempts = await AttemptsAsync();
        Assert.Equal(
            new[] { ("initial", "failure", "openai"), ("retry", "failure", "openai") },
            attempts.Select(Describe));
        var tree = await _spans.SingleTraceAsync();
        Assert.Single(tree.All(SpanNames.Failure));
        Assert.Single(logged);
    }

    [Fact]
    public async Task AFailureThatIsNotTransientIsNotRetried()
    {
        await using var upstream = await UpstreamStub.StartAsync(400);
        using var host = Host(upstream, maxRetries: 3, fallback: true);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("0", Header(response, "x-litellm-attempted-retries"));
        Assert.False(response.Headers.Contains("x-litellm-max-retries"));
        Assert.Equal(1, upstream.Calls);
    }

    [Fact]
    public async Task AStreamedUpstreamReplyEndsWithOneFinishCarryingItsUsage()
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        using var host = Host(upstream, maxRetries: 0, fallback: false);
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1].Data);
        var choices = events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.Equal(
            "from upstream",
            string.Concat(
                choices.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString())
            ));

        // The upstream's finish reason and its separate usage chunk become one last chunk.
        Assert.Single(
            choices,
            c =>
                c.GetProperty("choices")[0].TryGetProperty("finish_reason", out var finish)
                && finish.ValueKind == JsonValueKind.String);
        Assert.Equal("stop", choices[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(7, choices[^1].GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(2, choices[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var attempt = (await AttemptsAsync()).Single();
        Assert.Equal(7L, attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(2L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamedUpstreamReplyOnTheMessagesRouteSendsNothingAfterMessageStop()
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        using var host = Host(upstream, maxRetries: 0, fallback: false);
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/messages",
                """{"model":"claude","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("message_stop", events[^1].Name);
        Assert.Single(events, e => e.Name == "message_delta");
        Assert.Single(events, e => e.Name == "content_block_stop");
        var usage = JsonDocument
            .Parse(events.Single(e => e.Name == "message_delta").Data)
            .RootElement.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("output_tokens").GetInt32());
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AProviderThatThrowsBeforeItsStreamStartsStillEndsItsAttempt()
    {
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(TestProviders.Router(new SynchronouslyThrowingProvider())));
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var attempt = Assert.Single(await AttemptsAsync());
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(InvalidOperationException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheDuringCallCancellationIsDisposedWithTheRequest()
    {
        var provider = new CapturingProvider();
        using var host = new GatewayHost().WithServices(s => s
            .AddSingleton(TestProviders.Router(provider))
            .AddSingleton<ILlmGuardrail>(new PassingDuringCallGuardrail()));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var call = Assert.IsType<LlmCall>(provider.Call);
        var source = (System.Threading.CancellationTokenSource?)
            typeof(LlmCall)
                .GetField(
                    "_duringCallCancellation",
                    System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance
                )!
                .GetValue(call);
        Assert.NotNull(source);

        // A disposed source refuses to hand out its token; the call's own token stays readable.
        await Eventually.HoldsAsync(
            () => IsDisposed(source),
            "the during-call cancellation to be disposed",
            TimeSpan.FromSeconds(10));

        Assert.False(call.CancellationToken.IsCancellationRequested);

        static bool IsDisposed(System.Threading.CancellationTokenSource source)
        {
            try
            {
                _ = source.Token;
                return false;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }

    private static GatewayHost Host(UpstreamStub upstream, int maxRetries, bool fallback) => new GatewayHost()
        .With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false")
        .With("Upstream:FallbackToEmbedded", fallback ? "true" : "false")
        .With("Retry:MaxRetries", maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .With("Retry:BaseDelayMs", "1");

    private async Task<Activity[]> AttemptsAsync() => UpstreamFaultTests.Attempts(await _spans.SingleTraceAsync());

    private static (string, string, string) Describe(Activity attempt) => UpstreamFaultTests.Describe(attempt);

    private static string? Header(System.Net.Http.HttpResponseMessage response, string name) =>
        UpstreamFaultTests.Header(response, name);

    private sealed class SynchronouslyThrowingProvider : TestProviders.Base
    {
        // Not an iterator: it throws when called, before any enumeration.
        public override System.Collections.Generic.IAsyncEnumerable<Samples.Gateway.Providers.ProviderDelta>
            StreamAsync(
                Samples.Gateway.Providers.ProviderRequest request,
                LlmAttempt attempt,
                System.Threading.CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The provider is misconfigured.");
    }

    private sealed class CapturingProvider : TestProviders.Base
    {
        public LlmCall? Call { get; private set; }

        public override Task<Samples.Gateway.Providers.ProviderReply> CompleteAsync(
            Samples.Gateway.Providers.ProviderRequest request,
            LlmAttempt attempt,
            System.Threading.CancellationToken cancellationToken)
        {
            Call = attempt.Call;
            return Task.FromResult(
                new Samples.Gateway.Providers.ProviderReply("id-1", request.Model, "captured", "stop", 1, 1));
        }
    }

    private sealed class PassingDuringCallGuardrail : ILlmGuardrail
    {
        public string Name => "passing";

        public GuardrailMode Modes => GuardrailMode.DuringCall;

        public ValueTask<GuardrailVerdict> CheckAsync(
            GuardrailContext context,
            System.Threading.CancellationToken cancellationToken) => ValueTask.FromResult(GuardrailVerdict.Allow);
    }

    private sealed class RecordingLogger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure)
        {
            logged.Enqueue(failure);
            return ValueTask.CompletedTask;
        }
    }
}
