using System.Linq;
using System.Threading.Tasks;
using TracedLlm.Telemetry;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// The service tier through the relay: the request's <c>service_tier</c> on the LLM span as
/// <c>gen_ai.request.service_tier</c> (Langfuse's <c>model_parameters.service_tier</c>, which selects a
/// model's price tier), and the tier the answer says it served as <c>gen_ai.response.service_tier</c>,
/// streamed or not. A value that is not a short token is left off the span, and the request is relayed as it came.
/// </summary>
public sealed class RelayServiceTierTests : RelayTestBase
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnOpenAiRequestsTierAndTheTierItWasServedAreOnTheGeneration(bool stream)
    {
        var answer = stream ? WireSamples.ChatPriorityStream : WireSamples.ChatPriorityCompletion;
        Upstream.Then(stream ? Reply.Stream(answer) : Reply.Answer(200, answer));
        await using var host = await Host();
        var body =
            "{\"model\":\"gpt-4o\",\"service_tier\":\"priority\","
            + (stream ? "\"stream\":true," : string.Empty)
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        using var response = await host.PostAsync("/v1/chat/completions", body);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal("priority", llm.GetTagItem(AttributeNames.GenAiRequestServiceTier));
        Assert.Equal("priority", llm.GetTagItem(AttributeNames.GenAiResponseServiceTier));
        Assert.Contains("\"service_tier\":\"priority\"", Assert.Single(Upstream.Received).Body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnthropicRequestsTierAndTheTierItWasServedAreOnTheGeneration(bool stream)
    {
        var answer = stream ? WireSamples.AnthropicCachedStream : WireSamples.AnthropicCachedMessage;
        Upstream.Then(stream ? Reply.Stream(answer) : Reply.Answer(200, answer));
        await using var host = await Host();
        var body =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"service_tier\":\"auto\","
            + (stream ? "\"stream\":true," : string.Empty)
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        using var response = await host.PostAsync("/v1/messages", body);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal("auto", llm.GetTagItem(AttributeNames.GenAiRequestServiceTier));
        Assert.Equal("standard", llm.GetTagItem(AttributeNames.GenAiResponseServiceTier));
    }

    [Theory]
    [InlineData("\"pri ority\"")]
    [InlineData("\"priority-priority-priority-priority\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("{\"tier\":\"priority\"}")]
    [InlineData("[\"priority\"]")]
    [InlineData("\"\"")]
    public async Task ATierThatIsNotAShortTokenIsLeftOffAndTheRequestIsRelayedAsItCame(string tier)
    {
        var answer = WireSamples.ChatPriorityCompletion.Replace("\"priority\"", tier);
        Upstream.Then(Reply.Answer(200, answer));
        await using var host = await Host();
        var body =
            "{\"model\":\"gpt-4o\",\"service_tier\":"
            + tier
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        using var response = await host.PostAsync("/v1/chat/completions", body);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiRequestServiceTier));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiResponseServiceTier));
        Assert.Equal("gpt-4o-2024-08-06", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(body, Assert.Single(Upstream.Received).Body);
    }

    private Task<RelayHost> Host() =>
        RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address }, Policy = LlmRetryPolicy.None });
}
