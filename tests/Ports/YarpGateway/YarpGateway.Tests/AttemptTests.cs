using System.Diagnostics;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace YarpGateway.Tests;

/// <summary>
/// The adopted gateway's traces: the relay forwards through the YARP route's cluster and transforms inside one
/// <c>raw_gen_ai_request</c> under the request's LLM span, and what the provider answered (its model and usage, a
/// stream's first token, its error status) is read from the bytes as they pass to the client.
/// </summary>
public sealed class AttemptTests(YarpPorts ports) : IClassFixture<YarpPorts>
{
    /// <summary>
    /// One attempt, its provider the cluster's id, its model the request's, its backend and server the destination's;
    /// the provider's parent span is the attempt.
    /// </summary>
    /// <remarks>
    /// The cluster's metadata names no <c>gen_ai.provider.name</c>. HttpClient's spans are recorded: YARP's cluster
    /// client would stamp the span of its own send over the attempt's.
    /// </remarks>
    [Fact]
    public async Task TheForwardIsOneAttemptAndTheProvidersParent()
    {
        // HttpClient's spans recorded, as a gateway that exports them has them.
        using var library = new LibrarySpans();
        var (_, trace, attempts) = await ports.SendAsync(YarpPorts.Route, PortTests.Valid);

        var attempt = Assert.Single(attempts);
        Assert.Equal("initial", attempt.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("gpt-4o", attempt.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(200, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("openai.chat_completions", attempt.GetTagItem(AttributeNames.RelayFormat));
        Assert.Equal("primary", attempt.GetTagItem(AttributeNames.BackendId));
        Assert.Equal("127.0.0.1", attempt.GetTagItem(AttributeNames.ServerAddress));
        Assert.Equal(ports.Provider.Port, attempt.GetTagItem(AttributeNames.ServerPort));
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));

        var traceparent = ports.Provider.Received.Last().Traceparent!.Split('-');
        Assert.Equal(attempt.TraceId.ToHexString(), traceparent[1]);
        Assert.Equal(attempt.SpanId.ToHexString(), traceparent[2]);
    }

    /// <summary>
    /// A stream's chunks, first token and usage, from a provider whose chunks name no <c>"object"</c> (the usage on a
    /// chunk of its own, its <c>choices</c> empty).
    /// </summary>
    [Fact]
    public async Task AStreamIsReadAsItPasses()
    {
        ports.Provider.Then(UpstreamStub.Reply.Answer(200, UpstreamStub.StreamedReply, "text/event-stream"));
        var body = """{"model":"gpt-4o","messages":[],"stream":true,"stream_options":{"include_usage":true}}""";
        var (_, trace, attempts) = await ports.SendAsync(YarpPorts.Route, body);

        Assert.Equal("success", Assert.Single(attempts).GetTagItem(AttributeNames.AttemptOutcome));
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal(3, llm.GetTagItem(AttributeNames.StreamChunks));
        Assert.NotNull(llm.GetTagItem(AttributeNames.TimeToFirstToken));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
    }

    /// <summary>The provider's error, relayed to the client as YARP relayed it, is the request's one failure.</summary>
    [Fact]
    public async Task AProvidersErrorIsTheRequestsFailure()
    {
        ports.Provider.Then(UpstreamStub.Reply.Status(503));
        var (_, trace, attempts) = await ports.SendAsync(YarpPorts.Route, PortTests.Valid);

        var attempt = Assert.Single(attempts);
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(503, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        Assert.Equal("503", trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        YarpPorts.AssertRecorded(trace, 503);
    }
}
