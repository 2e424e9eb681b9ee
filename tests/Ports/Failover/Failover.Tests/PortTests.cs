using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace Failover.Tests;

/// <summary>
/// The failover gateway before and after adopting TracedLlm by docs/porting.md's shape 1, side by side against two
/// OpenAI-compatible providers: each kind of request the recipe names sent to both apps and the answers compared.
/// Equal where the app's own code answers (its checks, its loop, the providers' answers it passes on); the two
/// documented differences are the pipeline's refusals of a body it cannot read one way.
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
    public async Task ClientsGetTheSameAnswer(string kind, string body, int status)
    {
        if (kind == "failing-upstream")
        {
            ports.OpenAi.Then(UpstreamStub.Reply.Status(503), UpstreamStub.Reply.Status(503));
            ports.Groq.Then(UpstreamStub.Reply.Status(500), UpstreamStub.Reply.Status(500));
        }

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
    }

    /// <summary>
    /// The differences the recipe documents: a body the pipeline cannot read one way is refused by it, with the
    /// route's error JSON (OpenAI's, as the app's own errors are) and its message. A cut-off body was refused by the
    /// app in the same status and shape; a property given twice crashed the app's <c>JsonObject</c> (500).
    /// </summary>
    [Theory]
    [InlineData("malformed", """{"messages":[{"role":"user","con""", 400)]
    [InlineData("duplicate-property", """{"messages":[],"messages":[{"role":"user","content":"hello"}]}""", 500)]
    public async Task TheDocumentedDifferencesAreThePipelinesRefusals(string kind, string body, int was)
    {
        var calls = ports.OpenAi.Calls;
        var (before, after, trace) = await ports.SendToBothAsync(FailoverPorts.Route, body);

        Assert.Equal(was, before.Status);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/json", after.ContentType);
        Assert.Equal("invalid_request_error", ErrorType(after));

        // The app's own refusal of a cut-off body: the same status and shape, in its own words.
        Assert.Equal(kind == "malformed" ? "invalid_request_error" : null, was == 400 ? ErrorType(before) : null);
        Assert.Equal(calls, ports.OpenAi.Calls);
        FailoverPorts.AssertRefused(trace);
    }

    internal static string? ErrorType(PortAnswer answer)
    {
        using var error = JsonDocument.Parse(answer.Body);
        return error.RootElement.GetProperty("error").GetProperty("type").GetString();
    }
}
