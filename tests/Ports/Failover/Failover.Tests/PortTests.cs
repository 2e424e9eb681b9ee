using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace Failover.Tests;

/// <summary>
/// The failover gateway before and after adopting TracedLlm by docs/porting.md's shape 1, side by side against two
/// OpenAI-compatible providers: each kind of request the recipe names sent to both apps and the answers compared.
/// Equal where the app's own code answers (its parsing and checks, its loop, the providers' answers it passes on), a
/// cut-off body included (the pipeline hands the handler the bytes as they came); the one documented difference is
/// the pipeline's refusal of a body that reads two ways.
/// </summary>
public sealed class PortTests(FailoverPorts ports) : IClassFixture<FailoverPorts>
{
    public const string Valid = """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""";

    /// <summary>The requests whose answers adoption keeps: status, media type and body, byte for byte.</summary>
    [Theory]
    [InlineData("valid", Valid, 200)]
    [InlineData("streamed", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true}""", 200)]
    [InlineData("metadata-object", """{"messages":[{"role":"user","content":"hi"}],"metadata":{"trace_name":"port"}}""",
        200)]
    [InlineData("wrong-typed-metadata", """{"messages":[{"role":"user","content":"hi"}],"metadata":"x"}""", 400)]
    [InlineData("missing-field", """{"model":"gpt-4o"}""", 400)]
    [InlineData("failing-upstream", Valid, 502)]
    [InlineData("malformed", """{"messages":[{"role":"user","con""", 400)]
    public async Task ClientsGetTheSameAnswer(string kind, string body, int status)
    {
        if (kind == "failing-upstream")
        {
            ports.OpenAi.Then(UpstreamStub.Reply.Status(503), UpstreamStub.Reply.Status(503));
            ports.Groq.Then(UpstreamStub.Reply.Status(500), UpstreamStub.Reply.Status(500));
        }

        var calls = ports.OpenAi.Calls;
        var (before, after, trace) = await ports.SendToBothAsync(FailoverPorts.Route, body);

        Assert.Equal(status, before.Status);
        Assert.Equal(before, after);
        FailoverPorts.AssertRecorded(trace, status);
        var traceName = trace.Server.GetTagItem(AttributeNames.LangfuseTraceName);
        Assert.Equal(kind == "metadata-object" ? "port" : null, traceName);
        if (kind.Contains("metadata", StringComparison.Ordinal))
        {
            // The shared slot: the gateway's keys are taken out, a value that is not an object goes on as it came.
            var forwarded = ports.OpenAi.Received.Last().Body;
            var sentAsIs = forwarded.Contains("\"metadata\":\"x\"", StringComparison.Ordinal);
            Assert.Equal(kind == "wrong-typed-metadata", sentAsIs);
            Assert.DoesNotContain("trace_name", forwarded, StringComparison.Ordinal);
        }

        if (kind == "malformed")
        {
            // The app's parser read the bytes as they came and answered its own 400; the trace says why, once.
            Assert.Equal("The request body is not a JSON object.", ErrorMessage(after));
            Assert.Equal(calls, ports.OpenAi.Calls);
            var unread = Assert.Single(trace.Server.Events, e => e.Name == AttributeNames.RequestBodyUnreadEvent);
            var reason = (string?)unread.Tags.Single(t => t.Key == AttributeNames.InvalidTraceContextReason).Value;
            Assert.StartsWith("The request body is not valid JSON", reason, StringComparison.Ordinal);
            var failed = trace.Single(SpanNames.Failure);
            Assert.Equal("TracedLlm.InvalidLlmRequestException", failed.GetTagItem(AttributeNames.ErrorType));
            Assert.StartsWith(reason, failed.StatusDescription, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The difference the recipe documents: a body readers could read two ways is refused by the pipeline, with the
    /// route's error JSON (OpenAI's, as the app's own errors are), where the app's <c>JsonObject</c> threw (500).
    /// </summary>
    [Fact]
    public async Task TheDocumentedDifferenceIsThePipelinesRefusal()
    {
        var calls = ports.OpenAi.Calls;
        var body = """{"messages":[],"messages":[{"role":"user","content":"hello"}]}""";
        var (before, after, trace) = await ports.SendToBothAsync(FailoverPorts.Route, body);

        Assert.Equal(500, before.Status);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/json", after.ContentType);
        Assert.Equal("invalid_request_error", ErrorType(after));
        Assert.Equal(calls, ports.OpenAi.Calls);
        FailoverPorts.AssertRefused(trace);
    }

    internal static string? ErrorType(PortAnswer answer) => Error(answer, "type");

    private static string? ErrorMessage(PortAnswer answer) => Error(answer, "message");

    private static string? Error(PortAnswer answer, string member)
    {
        using var error = JsonDocument.Parse(answer.Body);
        return error.RootElement.GetProperty("error").GetProperty(member).GetString();
    }
}
