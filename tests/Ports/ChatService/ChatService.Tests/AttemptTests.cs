using System.Diagnostics;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace ChatService.Tests;

/// <summary>
/// The adopted service's traces: <c>UseTracedLlm()</c> on the chat client makes each call one
/// <c>raw_gen_ai_request</c> under the request's LLM span, its provider and model the chat client's, the answer's
/// model and usage read from the <c>ChatResponse</c> onto the LLM span; Microsoft.Extensions.AI's <c>chat</c> span and
/// HttpClient's send nest under the attempt, and the provider's request is their child.
/// </summary>
public sealed class AttemptTests(ChatPorts ports) : IClassFixture<ChatPorts>
{
    [Fact]
    public async Task EachChatCallIsOneAttemptAndItsSendsNestUnderIt()
    {
        using var library = new LibrarySpans();
        var (_, trace, attempts) = await ports.SendAsync(ChatPorts.Route, PortTests.Valid);

        var attempt = Assert.Single(attempts);
        Assert.Equal("initial", attempt.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("gpt-4o-mini", attempt.GetTagItem(AttributeNames.GenAiRequestModel));
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));

        // The provider's parent: HttpClient's send, under M.E.AI's chat span, under the attempt.
        var send = library.Single(ports.Provider.Received.Last().Traceparent!.Split('-')[2]);
        var chat = library.ParentOf(send);
        Assert.StartsWith("chat", chat.DisplayName, StringComparison.Ordinal);
        Assert.Equal(attempt.SpanId, chat.ParentSpanId);

        // A recorded chat span is a plain span to Langfuse, and holds the call's response attributes itself.
        Assert.Equal("span", chat.GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.Null(attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
    }

    [Fact]
    public async Task AStreamedCallIsOneAttemptWithItsUsage()
    {
        var (_, trace, attempts) = await ports.SendAsync(
            ChatPorts.Route, """{"messages":[{"role":"user","content":"hi"}],"stream":true}""");

        var attempt = Assert.Single(attempts);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(2L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(7L, trace.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiUsageInputTokens));
    }

    /// <summary>
    /// OpenAI's client retries inside the one call: its sends are one failed attempt with the provider's status and
    /// <c>Retry-After</c>, and the app's own 502 is the request's failure.
    /// </summary>
    /// <remarks>The 502 comes from the app's catch of the client's own exception, as before adoption.</remarks>
    [Fact]
    public async Task TheClientsOwnRetriesAreInsideOneFailedAttempt()
    {
        ports.Provider.Then(Enumerable.Repeat(ChatPorts.Unavailable, ChatPorts.ClientSends).ToArray());
        var calls = ports.Provider.Calls;
        var (answer, trace, attempts) = await ports.SendAsync(ChatPorts.Route, PortTests.Valid);

        Assert.Equal(502, answer.Status);
        Assert.Equal(ChatPorts.ClientSends, ports.Provider.Calls - calls);
        var attempt = Assert.Single(attempts);
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(503, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(0.001, attempt.GetTagItem(AttributeNames.AttemptRetryAfter));
        Assert.Equal("502", trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        ChatPorts.AssertRecorded(trace, 502);

        // The app's own catch got what the OpenAI client threw, as before adoption, and handed that to the trace.
        var handed = trace.Spans.SelectMany(s => s.Events).Where(e => e.Name == "exception")
            .Select(e => e.Tags.FirstOrDefault(t => t.Key == "exception.type").Value as string);
        Assert.Contains(typeof(System.ClientModel.ClientResultException).FullName, handed);
    }
}
