using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace ChatService.Tests;

/// <summary>
/// The Microsoft.Extensions.AI chat service before and after adopting TracedLlm by docs/porting.md's shape 4, side
/// by side against one OpenAI-compatible provider: each kind of request the recipe names sent to both apps and the
/// answers compared. Equal where the app or its framework answers (minimal APIs' binding of a typed body, its checks,
/// its catch of the provider's failure); the one documented difference is the pipeline's refusal of a body that
/// reads two ways, in the app's validation shape (problem details).
/// </summary>
public sealed class PortTests(ChatPorts ports) : IClassFixture<ChatPorts>
{
    public const string Valid = """{"messages":[{"role":"user","content":"hello"}]}""";

    /// <summary>The requests whose answers adoption keeps: status, media type and body, byte for byte.</summary>
    [Theory]
    [InlineData("valid", Valid, 200)]
    [InlineData("streamed", """{"messages":[{"role":"user","content":"hi"}],"stream":true}""", 200)]
    [InlineData("metadata-object", """{"messages":[{"role":"user","content":"hi"}],"metadata":{"trace_name":"port"}}""",
        200)]
    [InlineData("wrong-typed-metadata", """{"messages":[{"role":"user","content":"hi"}],"metadata":"x"}""", 200)]
    [InlineData("missing-field", """{"stream":false}""", 400)]
    [InlineData("failing-upstream", Valid, 502)]
    [InlineData("malformed", """{"messages":[{"role":"user","con""", 400)]
    public async Task ClientsGetTheSameAnswer(string kind, string body, int status)
    {
        if (kind == "failing-upstream")
        {
            // Both apps' OpenAI client tries each call ChatPorts.ClientSends times.
            ports.Provider.Then(Enumerable.Repeat(ChatPorts.Unavailable, 2 * ChatPorts.ClientSends).ToArray());
        }

        var (before, after, trace) = await ports.SendToBothAsync(ChatPorts.Route, body);

        Assert.Equal(status, before.Status);
        Assert.Equal(before, after);
        ChatPorts.AssertRecorded(trace, status);
        var traceName = trace.Server.GetTagItem(AttributeNames.LangfuseTraceName);
        Assert.Equal(kind == "metadata-object" ? "port" : null, traceName);
        var called = kind is not ("missing-field" or "malformed");
        Assert.Equal(called ? 1 : 0, trace.All(SpanNames.UpstreamAttempt).Count);
        if (kind == "malformed")
        {
            // Minimal APIs' 400 with no body, as before; the record says why, as the client's mistake.
            Assert.Equal("", after.Body);
            var failed = trace.Single(SpanNames.Failure);
            Assert.Equal("TracedLlm.InvalidLlmRequestException", failed.GetTagItem(AttributeNames.ErrorType));
            Assert.StartsWith("The request body is not valid JSON", failed.StatusDescription, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The difference the recipe documents: a property given twice, which minimal APIs read as its last value, is
    /// refused by the pipeline in the app's own validation shape (problem details, its error under the JSON path).
    /// </summary>
    [Fact]
    public async Task TheDocumentedDifferenceIsThePipelinesRefusal()
    {
        var calls = ports.Provider.Calls;
        var body = """{"messages":[],"messages":[{"role":"user","content":"hello"}]}""";
        var (before, after, trace) = await ports.SendToBothAsync(ChatPorts.Route, body);

        Assert.Equal(200, before.Status);
        Assert.Equal("""{"text":"from upstream","model":"upstream-model","finishReason":"stop"}""", before.Body);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/problem+json", after.ContentType);
        using var problem = JsonDocument.Parse(after.Body);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("$.messages", out _));
        Assert.Equal(calls + 1, ports.Provider.Calls);
        ChatPorts.AssertRefused(trace);
    }
}
