using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TracedLlm.Telemetry;
using TracedLlm.Tests;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Cache and reasoning tokens and cost through the relay: read from the providers' answers in the
/// reader's one pass, recorded on the LLM span as the conventions count them, given to Langfuse as
/// its usage details, and priced from the configured table (a model without a price costs nothing).
/// </summary>
public sealed class RelayUsageTests : RelayTestBase
{
    private const string MessagesStreamBody = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string MessagesBody = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatBody = """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task AnAnthropicCacheWriteIsCountedInTheInputAndPricedAsACacheWrite()
    {
        var costs = new ConcurrentQueue<(double Value, string? Model)>();
        using var listener = CostListener(costs);
        Upstream.Then(Reply.Stream(WireSamples.AnthropicCachedStream));
        await using var host = await Host(pricing =>
        {
            // Keyed by the dated model the response names, which is priced by its own entry.
            pricing.Models["claude-sonnet-4-5-20250929"] = new LlmModelPrice { Input = 3, Output = 15, CacheRead = 0.3, CacheCreation = 3.75 };
        });
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        Assert.Equal(WireSamples.AnthropicCachedStream, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(3L + 1854, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(27L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1854L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal(0L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":3,"input_cached_tokens":0,"input_cache_creation":1854,"output":27}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        const double Expected = (3 * 3 + 1854 * 3.75 + 27 * 15) / 1e6;
        Assert.Equal(Expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = JsonDocument.Parse((string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        Assert.Equal(3 * 3 / 1e6, costDetails.RootElement.GetProperty("input").GetDouble(), 12);
        Assert.Equal(0, costDetails.RootElement.GetProperty("input_cached_tokens").GetDouble());
        Assert.Equal(1854 * 3.75 / 1e6, costDetails.RootElement.GetProperty("input_cache_creation").GetDouble(), 12);
        Assert.Equal(27 * 15 / 1e6, costDetails.RootElement.GetProperty("output").GetDouble(), 12);
        Assert.Equal(Expected, costDetails.RootElement.GetProperty("total").GetDouble(), 12);
        Assert.Equal(Expected, Assert.Single(costs, c => c.Model == "claude-sonnet-4-5").Value, 12);
    }

    [Fact]
    public async Task AnOpenAiCachedPromptIsAlreadyInItsInputAndAnUnpricedModelHasNoCost()
    {
        Upstream.Then(Reply.Answer(200, WireSamples.ChatCachedCompletion));
        await using var host = await Host(pricing => pricing.Models["some-other-model"] = new LlmModelPrice { Input = 1, Output = 1 });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatCachedCompletion, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(2006L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(300L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1920L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(0L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal("""{"input":86,"input_cached_tokens":1920,"output":300,"output_reasoning_tokens":0}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCost));
        Assert.Null(llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails));
    }

    [Fact]
    public async Task AReasoningModelsTokensArePricedAtTheOutputPriceWhenTheTableHasNoReasoningPrice()
    {
        Upstream.Then(Reply.Answer(200, WireSamples.ChatReasoningCompletion));
        await using var host = await Host(pricing => pricing.Models["gpt-4o"] = new LlmModelPrice { Input = 1.1, Output = 4.4 });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatReasoningCompletion, await response.Content.ReadAsStringAsync());

        // The response names o3-mini, which has no price: the request's model is priced.
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(1024L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":75,"input_cached_tokens":0,"output":162,"output_reasoning_tokens":1024}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        Assert.Equal((75 * 1.1 + 1186 * 4.4) / 1e6, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
    }

    [Fact]
    public async Task AStreamCutOffMidWayRecordsTheSameUsageOnTheSpanAndInTheTokenMetric()
    {
        // message_start states the input count only; the stream is cut before message_delta's output count.
        const string Model = "claude-cut-usage";
        var stream = string.Concat(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_cut\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        Upstream.Then(Reply.Stream(stream, cutAfter: 3));
        var exported = new List<Metric>();
        Activity llm;
        using (var meters = Sdk.CreateMeterProviderBuilder().AddMeter(TracedLlmTelemetry.SourceName).AddInMemoryExporter(exported).Build())
        {
            await using var host = await Host(_ => { });
            using var response = await host.PostAsync("/v1/messages", MessagesStreamBody.Replace("claude-sonnet-4-5", Model, StringComparison.Ordinal));
            var relayed = await response.Content.ReadAsStringAsync();
            Assert.StartsWith(stream[..stream.IndexOf("event: message_delta", StringComparison.Ordinal)], relayed, StringComparison.Ordinal);
            Assert.Contains("event: error\n", relayed, StringComparison.Ordinal);
            llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);

            // The request's metrics are recorded once its server span has ended.
            await Eventually.HoldsAsync(
                () =>
                {
                    meters.ForceFlush();
                    return TokenUsage(exported, Model).Count > 0;
                },
                "the request's token usage metric",
                TimeSpan.FromSeconds(10),
                TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(25L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        var usage = TokenUsage(exported, Model);
        Assert.Equal((1L, 25.0), Assert.Contains("input", usage));
        Assert.False(usage.ContainsKey("output"));

        // A failed request: the conventions' time to first token and per output token are for successful responses only.
        Assert.NotEmpty(ExportedPoints.Of(exported, "gen_ai.server.request.duration", AttributeNames.GenAiRequestModel, Model));
        Assert.Empty(ExportedPoints.Of(exported, "gen_ai.server.time_to_first_token", AttributeNames.GenAiRequestModel, Model));
        Assert.Empty(ExportedPoints.Of(exported, "gen_ai.server.time_per_output_token", AttributeNames.GenAiRequestModel, Model));
    }

    /// <summary>
    /// Anthropic's input with its cache reads and writes added up past <see cref="long.MaxValue"/> (a
    /// hostile or broken upstream: each count alone is a valid JSON integer) stays at the largest count.
    /// The sum wrapped: below zero the usage threw and the relayed answer was cut off (the client's
    /// connection reset after the upstream had answered); wrapped twice it was a large positive
    /// count that was not the sum.
    /// </summary>
    [Theory]
    [InlineData("\"input_tokens\":9223372036854775807,\"cache_read_input_tokens\":1,\"output_tokens\":3", 1L, null, "{\"input\":9223372036854775806,\"input_cached_tokens\":1,\"output\":3}")]
    [InlineData("\"input_tokens\":9223372036854775000,\"cache_read_input_tokens\":9223372036854775000,\"cache_creation_input_tokens\":9223372036854775000,\"output_tokens\":3", 9223372036854775000L, 9223372036854775000L, "{\"input\":0,\"input_cached_tokens\":9223372036854775000,\"input_cache_creation\":9223372036854775000,\"output\":3}")]
    public async Task AnAnthropicInputTooLargeToAddUpIsTheLargestCountAndTheAnswerIsRelayedWhole(string usage, long cacheRead, long? cacheCreation, string details)
    {
        var body = "{\"id\":\"msg_h\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"usage\":{" + usage + "}}";
        Upstream.Then(Reply.Answer(200, body));
        await using var host = await Host(_ => { });
        using var response = await host.PostAsync("/v1/messages", MessagesBody);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(ActivityStatusCode.Unset, llm.Status);
        Assert.Equal(long.MaxValue, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(3L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(cacheRead, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(cacheCreation, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal(details, llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
    }

    /// <summary>The exported <c>gen_ai.client.token.usage</c> points of one request model: count and sum by token type.</summary>
    private static Dictionary<string, (long Count, double Sum)> TokenUsage(List<Metric> exported, string model) =>
        ExportedPoints.Of(exported, "gen_ai.client.token.usage", AttributeNames.GenAiRequestModel, model)
            .Where(p => p.Tag("gen_ai.token.type") is not null)
            .GroupBy(p => p.Tag("gen_ai.token.type")!)
            .ToDictionary(g => g.Key, g => (g.Last().Count, g.Last().Sum));

    private static MeterListener CostListener(ConcurrentQueue<(double Value, string? Model)> costs)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName && instrument.Name == "tracedllm.usage.cost")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? model = null;
            foreach (var tag in tags)
            {
                if (tag.Key == AttributeNames.GenAiRequestModel)
                {
                    model = tag.Value as string;
                }
            }

            costs.Enqueue((value, model));
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task AStreamCutOffMidWayKeepsTheCachedPartOfItsInputApart()
    {
        // message_start states the input with its cache reads and writes; the stream is cut before its output count.
        // The cached tokens are in gen_ai.usage.input_tokens (as the conventions count) and apart beside it, and
        // Langfuse's usage details price them as cached: without the split it prices all 135 as uncached input.
        var stream = string.Concat(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_cut\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":10}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n");
        Upstream.Then(Reply.Stream(stream, cutAfter: 3));
        await using var host = await Host(_ => { });
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        Assert.Contains("event: error\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);

        Assert.Equal(135L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(100L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(10L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal("""{"input":25,"input_cached_tokens":100,"input_cache_creation":10}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
    }

    private Task<RelayHost> Host(Action<LlmPricing> pricing) =>
        RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address }, Policy = LlmRetryPolicy.None },
            services: services => services.Configure<TracedLlmOptions>(options => pricing(options.Pricing)));
}
