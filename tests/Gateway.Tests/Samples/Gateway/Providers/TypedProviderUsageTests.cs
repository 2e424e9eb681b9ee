using System;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The typed path through the sample's OpenAI-compatible provider keeps the upstream's cached and reasoning
/// counts, streamed or whole, on both routes: on the LLM span (the conventions' counts and Langfuse's usage
/// details) and in the answer, in the route's own shape (OpenAI's <c>prompt_tokens_details</c> and
/// <c>completion_tokens_details</c>; Anthropic's <c>cache_read_input_tokens</c>, with <c>input_tokens</c>
/// leaving them out). A part that is no count of its total is dropped, never passed on or priced.
/// </summary>
public sealed class TypedProviderUsageTests : IDisposable
{
    private const string Usage =
        "\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":1186,\"total_tokens\":3192,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":1920},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":1024}}";

    // Not counts of their totals: a cached part below zero, a reasoning part larger than the output.
    private const string UnsoundUsage =
        "\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":1186,\"prompt_tokens_details\":{\"cached_tokens\":-7},"
        + "\"completion_tokens_details\":{\"reasoning_tokens\":5000}}";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/messages", false)]
    [InlineData("/v1/messages", true)]
    public async Task TheUpstreamsCachedAndReasoningCountsReachTheSpanAndTheAnswer(string route, bool stream)
    {
        var usage = await AnswerUsageAsync(route, stream, Usage);

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(2006L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(1186L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1920L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(1024L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":86,"input_cached_tokens":1920,"output":162,"output_reasoning_tokens":1024}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        if (route == "/v1/messages")
        {
            // Anthropic's input_tokens leave out the cache reads, which are stated beside them.
            Assert.Equal(86, usage.GetProperty("input_tokens").GetInt64());
            Assert.Equal(1920, usage.GetProperty("cache_read_input_tokens").GetInt64());
            Assert.Equal(1186, usage.GetProperty("output_tokens").GetInt64());
        }
        else
        {
            Assert.Equal(2006, usage.GetProperty("prompt_tokens").GetInt64());
            Assert.Equal(1920, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
            Assert.Equal(
                1024,
                usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
            Assert.Equal(3192, usage.GetProperty("total_tokens").GetInt64());
        }

        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/messages", false)]
    [InlineData("/v1/messages", true)]
    public async Task PartsThatAreNotCountsOfTheirTotalsAreDropped(string route, bool stream)
    {
        var usage = await AnswerUsageAsync(route, stream, UnsoundUsage);

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(2006L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.False(usage.TryGetProperty("prompt_tokens_details", out _));
        Assert.False(usage.TryGetProperty("completion_tokens_details", out _));
        Assert.False(usage.TryGetProperty("cache_read_input_tokens", out _));
        Assert.Equal(2006, usage.GetProperty(route == "/v1/messages" ? "input_tokens" : "prompt_tokens").GetInt64());
    }

    // The answer's usage: the whole answer's, or the stream's last chunk's (OpenAI) or message_delta's (Anthropic).
    private static async Task<JsonElement> AnswerUsageAsync(string route, bool stream, string usage)
    {
        var reply = stream
            ? UpstreamStub.Reply.Stream(
                UpstreamStub.FirstChunk
                    + "data: "
                        + "{\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,"
                        + "\"delta\":{\"content\":\" upstream\"},\"finish_reason\":\"stop\"}]}\n\n"
                    + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[],"
                    + usage
                    + "}\n\n"
                    + "data: [DONE]\n\n")
            : UpstreamStub.Reply.Answer(
                200,
                "{\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"from upstream\"},\"finish_reason\":\"stop\"}],"
                    + usage
                    + "}");
        await using var upstream = await UpstreamStub.StartWithAsync(reply);
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false").With("Retry:MaxRetries", "0");
        var body = route == "/v1/messages"
            ? $$"""{"model":"claude","max_tokens":32,"stream":{{(stream ? "true" : "false")}},"messages":["""
                + $$"""{"role":"user","content":"hi"}]}"""
            : $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":["""
                + $$"""{"role":"user","content":"hi"}]}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(route, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        if (!stream)
        {
            return JsonDocument.Parse(text).RootElement.GetProperty("usage").Clone();
        }

        var events = StreamingTests.ParseEvents(text);
        var last = route == "/v1/messages"
            ? events.Single(e => e.Name == "message_delta").Data
            : events.SkipLast(1).Last().Data;
        return JsonDocument.Parse(last).RootElement.GetProperty("usage").Clone();
    }
}
