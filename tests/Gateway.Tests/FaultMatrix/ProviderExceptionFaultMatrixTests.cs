using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Gateway.SeenRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>How the provider fails under <c>UseTracedLlm()</c>: the OpenAI SDK throws its own exception.</summary>
public enum ProviderFault
{
    /// <summary>429, with <c>retry-after-ms</c>.</summary>
    Status429,

    Status503,

    /// <summary>401: the gateway's own upstream credentials, answered 502.</summary>
    Status401,

    /// <summary>The upstream cuts the connection before it answers (the SDK wraps the transport failure).</summary>
    ConnectionCut,
}

/// <summary>Whose attempt the chat client's call is.</summary>
public enum ChatAttempt
{
    /// <summary>The step's own: the handler just calls the client.</summary>
    StepsOwn,

    /// <summary>The attempt policy's: the call is the operation of <c>ExecuteAsync</c> / <c>StreamAsync</c>.</summary>
    Policys,
}

/// <summary>
/// The documented outcome of a provider-exception cell: the answer and its record, and the attempt's
/// <c>error.type</c>.
/// </summary>
public sealed record ProviderExpected(
    int Status, string WireType, string? Code, string ErrorType, string Message, string AttemptErrorType);

/// <summary>One cell: a way the provider fails × whose attempt × streamed or not.</summary>
/// <remarks>Issue 79: adoption changes no answer, and no exception the app's code catches.</remarks>
public sealed record ProviderExceptionCell(ProviderFault Fault, ChatAttempt Attempt, bool Stream)
{
    public static IEnumerable<ProviderExceptionCell> All =>
        from fault in Enum.GetValues<ProviderFault>()
        from attempt in Enum.GetValues<ChatAttempt>()
        from stream in new[] { false, true }
        select new ProviderExceptionCell(fault, attempt, stream);

    /// <summary>What the request answered and recorded when <c>UseTracedLlm()</c> threw its own exception.</summary>
    public ProviderExpected Expected
    {
        get
        {
            var upstream = typeof(UpstreamException).FullName!;
            const string Unreachable = "The upstream provider could not be reached.";
            return Fault switch
            {
                ProviderFault.Status429 =>
                    new(429, "rate_limit_error", null, upstream, "The upstream provider answered 429.", "429"),
                ProviderFault.Status503 =>
                    new(503, "overloaded_error", null, upstream, "The upstream provider answered 503.", "503"),
                ProviderFault.Status401 =>
                    new(502, "api_error", null, upstream, "The upstream provider answered 401.", "401"),

                // The step's own attempt records the transport failure under the SDK's; the policy names what it is.
                _ when Attempt == ChatAttempt.StepsOwn => new(
                    502, "api_error", "upstream_unreachable", typeof(HttpRequestException).FullName!, Unreachable,
                    typeof(HttpRequestException).FullName!),
                _ => new(
                    502, "api_error", "upstream_unreachable", typeof(UpstreamUnreachableException).FullName!,
                    Unreachable, typeof(UpstreamUnreachableException).FullName!),
            };
        }
    }

    public override string ToString() => $"{Fault} × {Attempt} × {(Stream ? "stream" : "whole")}";
}

/// <summary>
/// The fault matrix's cells for <c>UseTracedLlm()</c>: what the OpenAI SDK throws reaches the app's code as it was
/// thrown, and the answer and span tree are as before.
/// </summary>
/// <remarks>
/// The same object: a <c>catch (ClientResultException)</c> keeps catching it. The route's answer and the span tree
/// are what they were when the step threw an <c>UpstreamException</c> in its place. Each cell runs through a real
/// Kestrel host and the OpenAI SDK against a scripted upstream on a loopback port (<see cref="SeenRoutesHost"/>),
/// whose chat client records under the step what the SDK threw.
/// </remarks>
public sealed class ProviderExceptionFaultMatrixTests : IClassFixture<SeenRoutesHost>
{
    private readonly SeenRoutesHost _host;

    public ProviderExceptionFaultMatrixTests(SeenRoutesHost host)
    {
        _host = host;
    }

    public static IEnumerable<object[]> Cells =>
        ProviderExceptionCell.All.Select(c => new object[] { c.Fault, c.Attempt, c.Stream });

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell(ProviderFault fault, ChatAttempt attempt, bool stream)
    {
        var cell = new ProviderExceptionCell(fault, attempt, stream);
        var expected = cell.Expected;
        _host.Logged.Clear();
        using var spans = new SpanCollector();
        _host.Upstream.Then(ReplyFor(fault));
        var key = Guid.NewGuid().ToString("N");
        var suffix = attempt == ChatAttempt.StepsOwn ? "/chat-own" : "/chat-policy";
        var (status, body) = await SendAsync(suffix, stream, key);

        // The answer: the status passed on, in the route's format (the stream had not started).
        var server = await spans.WaitForAsync(s => s.FirstOrDefault(x => x.DisplayName == SpanNames.Server));
        Assert.Equal(expected.Status, status);
        Assert.DoesNotContain("ClientResult", body, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(body))
        {
            var error = json.RootElement.GetProperty("error");
            Assert.Equal(expected.Message, error.GetProperty("message").GetString());
            Assert.Equal(expected.WireType, error.GetProperty("type").GetString());
            Assert.Equal(expected.Code, error.GetProperty("code").GetString());
        }

        // The record: one failure, its cause what the exception means, every span ended.
        FaultContract.AssertOneFailure(spans, server, expected.Status, expected.ErrorType, expected.Message);
        var upstreamAttempt = Assert.Single(spans.Stopped, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("failure", upstreamAttempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(expected.AttemptErrorType, upstreamAttempt.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, upstreamAttempt.Status);
        if (fault != ProviderFault.ConnectionCut)
        {
            var answered = int.Parse(expected.AttemptErrorType, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(answered, upstreamAttempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        }

        if (fault == ProviderFault.Status429)
        {
            Assert.Equal(1.5, upstreamAttempt.GetTagItem(AttributeNames.AttemptRetryAfter));
        }

        await _host.AssertLoggedOnceAsync(expected.Status, expected.ErrorType, expected.Code);

        // And the app's code caught what the SDK threw, not a wrapper of it.
        var thrown = _host.Seen.Thrown(key);
        Assert.IsType<ClientResultException>(thrown);
        Assert.Same(thrown, _host.Seen.Caught(key));
    }

    private static UpstreamReply ReplyFor(ProviderFault fault) => fault switch
    {
        ProviderFault.Status429 => UpstreamStub.Reply.Status(429, ("retry-after-ms", "1500")),
        ProviderFault.Status503 => UpstreamStub.Reply.Status(503),
        ProviderFault.Status401 => UpstreamStub.Reply.Status(401),
        _ => static (_, context, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        },
    };

    private async Task<(int Status, string Body)> SendAsync(string suffix, bool stream, string key)
    {
        using var client = FaultClient.Create(_host.Address);
        var streamJson = stream ? "true" : "false";
        var body = $$"""{"model":"gpt","stream":{{streamJson}},"messages":[{"role":"user","content":"hello"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions" + suffix);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add(ThrownAndCaught.Header, key);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
