using System.Text.Json;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace ChatService.Tests;

/// <summary>
/// The Microsoft.Extensions.AI chat service before and after adopting TracedLlm by docs/porting.md's shape 4, side
/// by side against one OpenAI-compatible provider: each kind of request the recipe names sent to both apps and the
/// answers compared. Equal where the app answers (its binding of a typed body, its checks, its catch of the
/// provider's failure); the documented differences are the pipeline's refusals, in the app's problem details.
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
        Assert.Equal(kind == "missing-field" ? 0 : 1, trace.All(SpanNames.UpstreamAttempt).Count);
    }

    /// <summary>
    /// The differences the recipe documents: a body the pipeline cannot read one way is refused by it, in the app's
    /// format (problem details, <c>ErrorResponses</c>), where minimal APIs answered a cut-off body with an empty 400
    /// and read a property given twice as its last value.
    /// </summary>
    [Theory]
    [InlineData("malformed", """{"messages":[{"role":"user","con""", 400)]
    [InlineData("duplicate-property", """{"messages":[],"messages":[{"role":"user","content":"hello"}]}""", 200)]
    public async Task TheDocumentedDifferencesAreThePipelinesRefusals(string kind, string body, int was)
    {
        var calls = ports.Provider.Calls;
        var (before, after, trace) = await ports.SendToBothAsync(ChatPorts.Route, body);

        Assert.Equal(was, before.Status);
        var completion = """{"text":"from upstream","model":"upstream-model","finishReason":"stop"}""";
        Assert.Equal(was == 400 ? "" : completion, before.Body);
        Assert.Equal(400, after.Status);
        Assert.Equal("application/problem+json", after.ContentType);
        using var problem = JsonDocument.Parse(after.Body);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(kind == "duplicate-property", problem.RootElement.TryGetProperty("errors", out _));
        Assert.Equal(calls + (was == 200 ? 1 : 0), ports.Provider.Calls);
        ChatPorts.AssertRefused(trace);
    }
}
