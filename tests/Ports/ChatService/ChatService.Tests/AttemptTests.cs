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
        var everySpan = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "System.Net.Http" || source.Name.Contains("Extensions.AI", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { lock (everySpan) { everySpan.Add(span); } },
        };
        ActivitySource.AddActivityListener(listener);
        var (spans, attempt) = await SendAsync(PortTests.Valid);

        Assert.Equal("initial", attempt.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("gpt-4o-mini", attempt.GetTagItem(AttributeNames.GenAiRequestModel));
        var llm = spans.Single(SpanNames.LlmRequest);
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));

        // The provider's parent: HttpClient's send, under M.E.AI's chat span, under the attempt.
        var parent = ports.Provider.Received.Last().Traceparent!.Split('-')[2];
        lock (everySpan)
        {
            var send = Assert.Single(everySpan, s => s.SpanId.ToHexString() == parent);
            var chat = Assert.Single(everySpan, s => s.SpanId == send.ParentSpanId);
            Assert.StartsWith("chat", chat.DisplayName, StringComparison.Ordinal);
            Assert.Equal(attempt.SpanId, chat.ParentSpanId);

            // A recorded chat span is a plain span to Langfuse, and holds the call's response attributes itself.
            Assert.Equal("span", chat.GetTagItem(AttributeNames.LangfuseObservationType));
            Assert.Null(attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        }
    }

    [Fact]
    public async Task AStreamedCallIsOneAttemptWithItsUsage()
    {
        var (spans, attempt) = await SendAsync("""{"messages":[{"role":"user","content":"hi"}],"stream":true}""");

        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(2L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(7L, spans.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiUsageInputTokens));
    }

    /// <summary>
    /// OpenAI's client retries inside the one call: its sends are one failed attempt with the provider's status and
    /// <c>Retry-After</c>, and the app's own 502 is the request's failure.
    /// </summary>
    [Fact]
    public async Task TheClientsOwnRetriesAreInsideOneFailedAttempt()
    {
        ports.Provider.Then(Enumerable.Repeat(ChatPorts.Unavailable, ChatPorts.ClientSends).ToArray());
        var calls = ports.Provider.Calls;
        var (spans, attempt) = await SendAsync(PortTests.Valid);

        Assert.Equal(ChatPorts.ClientSends, ports.Provider.Calls - calls);
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(503, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(0.001, attempt.GetTagItem(AttributeNames.AttemptRetryAfter));
        Assert.Equal("502", spans.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, spans.Single(SpanNames.LlmRequest).Status);
        SpanCollector.AssertAllEnded(spans.Spans);
    }

    private async Task<(SpanTree, Activity)> SendAsync(string body)
    {
        var trace = ActivityTraceId.CreateRandom();
        await ports.After.PostAsync(ChatPorts.Route, body, trace);
        var spans = await ports.Spans.TraceAsync(trace);
        var attempt = Assert.Single(spans.All(SpanNames.UpstreamAttempt));
        Assert.Equal(spans.Single(SpanNames.LlmRequest).SpanId, attempt.ParentSpanId);
        return (spans, attempt);
    }
}
