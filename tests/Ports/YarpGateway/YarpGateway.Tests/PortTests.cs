using System.Diagnostics;
using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace YarpGateway.Tests;

/// <summary>
/// The YARP gateway before and after adopting TracedLlm by docs/porting.md's shape 2, side by side against one
/// OpenAI-compatible provider: each kind of request the recipe names sent to both apps and the answers compared.
/// Equal where the provider answers (the relay relays its status, headers and bytes as YARP did), a cut-off body
/// included (the pipeline hands it on as it came), and so are the app's own answers to a provider it cannot reach;
/// the one documented difference is the pipeline's refusal of a body that reads two ways.
/// </summary>
public sealed class PortTests(YarpPorts ports) : IClassFixture<YarpPorts>
{
    public const string Valid = """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""";

    /// <summary>The requests whose answers adoption keeps: status, media type and body, byte for byte.</summary>
    [Theory]
    [InlineData("valid", Valid, 200)]
    [InlineData("streamed", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}""", 200)]
    [InlineData("metadata-object", """{"model":"gpt-4o","messages":[],"metadata":{"trace_name":"port"}}""", 200)]
    [InlineData("wrong-typed-metadata", """{"model":"gpt-4o","messages":[],"metadata":"x"}""", 400)]
    [InlineData("missing-field", """{"messages":[{"role":"user","content":"hello"}]}""", 400)]
    [InlineData("failing-upstream", Valid, 503)]
    [InlineData("malformed", """{"model":"gpt-4o","messages":[{"role":"user","con""", 400)]
    public async Task ClientsGetTheSameAnswer(string kind, string body, int status)
    {
        if (kind == "failing-upstream")
        {
            ports.Provider.Then(UpstreamStub.Reply.Status(503), UpstreamStub.Reply.Status(503));
        }

        var (before, after, trace) = await ports.SendToBothAsync(YarpPorts.Route, body);

        Assert.Equal(status, before.Status);
        Assert.Equal(before, after);

        // The provider got the same request from both: the client's bytes (no slot is cut out), the gateway's key.
        var (sentBefore, sentAfter) = (ports.Provider.Received.ElementAt(^2), ports.Provider.Received.Last());
        Assert.Equal(sentBefore.Body, sentAfter.Body);
        Assert.Equal("Bearer sk-gateway-key", sentAfter.Headers["Authorization"]);
        YarpPorts.AssertRecorded(trace, status);
        Assert.Single(trace.All(SpanNames.UpstreamAttempt));
        var unread = trace.Server.Events.Where(e => e.Name == AttributeNames.RequestBodyUnreadEvent);
        Assert.Equal(kind == "malformed" ? 1 : 0, unread.Count());
    }

    /// <summary>Every other path stays YARP's: the same answer, and no trace.</summary>
    [Fact]
    public async Task TheUntracedRoutesStayYarps()
    {
        var before = await ports.Before.GetAsync("/v1/models", ActivityTraceId.CreateRandom());
        var trace = ActivityTraceId.CreateRandom();
        var after = await ports.After.GetAsync("/v1/models", trace);

        Assert.Equal(200, before.Status);
        Assert.Equal(before, after);
        Assert.Equal("/v1/models", ports.Provider.Received.Last().Path);
        Assert.DoesNotContain(ports.Spans.Stopped, s => s.TraceId == trace);
    }

    /// <summary>
    /// The difference the recipe documents: a body readers could read two ways is refused by the pipeline, in the
    /// route's error JSON (OpenAI's), before the provider sees it. YARP forwarded it, and the provider answered.
    /// </summary>
    [Fact]
    public async Task TheDocumentedDifferenceIsThePipelinesRefusal()
    {
        var calls = ports.Provider.Calls;
        var body = """{"model":"gpt-4o","model":"gpt-4o-mini","messages":[]}""";
        var (before, after, trace) = await ports.SendToBothAsync(YarpPorts.Route, body);

        Assert.Equal(200, before.Status);
        Assert.Equal(400, after.Status);
        Assert.Equal("invalid_request_error", ErrorType(after));
        Assert.Equal(calls + 1, ports.Provider.Calls);
        YarpPorts.AssertRefused(trace);
    }

    /// <summary>
    /// A provider that cannot be reached: the app's own 502, byte for byte, written by its proxy pipeline before and by
    /// the traced route's catch after (traced routes do not pass through that pipeline); one failed attempt, and the
    /// request's one failure with the status the client got.
    /// </summary>
    [Fact]
    public async Task AnUnreachableProviderGetsTheAppsOwnAnswer()
    {
        var settings = YarpPorts.Settings($"http://127.0.0.1:{LoopbackApp.FreePort()}");
        await using var beforeApp = new PortApp<Program>(settings);
        await using var afterApp = ports.Adopted(settings);

        var before = await beforeApp.PostAsync(YarpPorts.Route, Valid, ActivityTraceId.CreateRandom());
        var (after, trace, attempts) = await ports.SendAsync(YarpPorts.Route, Valid, afterApp);

        Assert.Equal(502, before.Status);
        Assert.Equal("upstream_error", ErrorType(before));
        Assert.Equal(before, after);
        Assert.Equal("failure", Assert.Single(attempts).GetTagItem(AttributeNames.AttemptOutcome));
        YarpPorts.AssertRecorded(trace, 502);
        Assert.Contains(trace.All(SpanNames.LlmRequest).Single().Events, e => e.Name == "exception");
    }

    internal static string? ErrorType(PortAnswer answer)
    {
        using var error = JsonDocument.Parse(answer.Body);
        return error.RootElement.GetProperty("error").GetProperty("type").GetString();
    }
}
