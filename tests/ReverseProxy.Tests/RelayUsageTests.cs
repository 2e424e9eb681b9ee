using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
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
    private const string MessagesStreamBody =
        """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string MessagesBody =
        """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""";
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
            pricing.Models["claude-sonnet-4-5-20250929"] = new LlmModelPrice
            {
                Input = 3,
                Output = 15,
                CacheRead = 0.3,
                CacheCreation = 3.75
            };
        });
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        Assert.Equal(WireSamples.AnthropicCachedStream, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(3L + 1854, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(27L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1854L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal(0L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        // The writes are split by lifetime (all five-minute ones here): Langfuse's keys for them, nothing left over.
        Assert.Equal(
            """{"input":3,"input_cached_tokens":0,"input_cache_creation":0,"input_cache_creation_5m":"""
                + """1854,"input_cache_creation_1h":0,"output":27}""",
                llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        const double Expected = (3 * 3 + 1854 * 3.75 + 27 * 15) / 1e6;
        Assert.Equal(Expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = JsonDocument.Parse(
            (string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        Assert.Equal(3 * 3 / 1e6, costDetails.RootElement.GetProperty("input").GetDouble(), 12);
        Assert.Equal(0, costDetails.RootElement.GetProperty("input_cached_tokens").GetDouble());
        Assert.Equal(0, costDetails.RootElement.GetProperty("input_cache_creation").GetDouble());
        Assert.Equal(1854 * 3.75 / 1e6, costDetails.RootElement.GetProperty("input_cache_creation_5m").GetDouble(), 12);
        Assert.Equal(0, costDetails.RootElement.GetProperty("input_cache_creation_1h").GetDouble());
        Assert.Equal(27 * 15 / 1e6, costDetails.RootElement.GetProperty("output").GetDouble(), 12);
        Assert.Equal(Expected, costDetails.RootElement.GetProperty("total").GetDouble(), 12);
        Assert.Equal(Expected, Assert.Single(costs, c => c.Model == "claude-sonnet-4-5").Value, 12);
    }

    [Fact]
    public async Task AnOpenAiCachedPromptIsAlreadyInItsInputAndAnUnpricedModelHasNoCost()
    {
        Upstream.Then(Reply.Answer(200, WireSamples.ChatCachedCompletion));
        await using var host = await Host(pricing =>
            pricing.Models["some-other-model"] = new LlmModelPrice { Input = 1, Output = 1 });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatCachedCompletion, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(2006L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(300L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1920L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(0L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal("""{"input":86,"input_cached_tokens":1920,"output":300,"output_reasoning_tokens":0}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCost));
        Assert.Null(llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails));
    }

    [Fact]
    public async Task AReasoningModelsTokensArePricedAtTheOutputPriceWhenTheTableHasNoReasoningPrice()
    {
        Upstream.Then(Reply.Answer(200, WireSamples.ChatReasoningCompletion));
        await using var host = await Host(pricing =>
            pricing.Models["gpt-4o"] = new LlmModelPrice { Input = 1.1, Output = 4.4 });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatReasoningCompletion, await response.Content.ReadAsStringAsync());

        // The response names o3-mini, which has no price: the request's model is priced.
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(1024L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":75,"input_cached_tokens":0,"output":162,"output_reasoning_tokens":1024}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        Assert.Equal((75 * 1.1 + 1186 * 4.4) / 1e6, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
    }

    [Fact]
    public async Task AStreamCutOffMidWayRecordsTheSameUsageOnTheSpanAndInTheTokenMetric()
    {
        // message_start states the input count only; the stream is cut before message_delta's output count.
        const string Model = "claude-cut-usage";
        var stream = string.Concat(
            "event: message_start\ndata: "
                + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_cut\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":25}}}\n\n",
            "event: content_block_start\ndata: "
            + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: "
                + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hello\"}}\n\n",
            "event: message_delta\ndata: "
                + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                + "\"usage\":{\"output_tokens\":15}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        Upstream.Then(Reply.Stream(stream, cutAfter: 3));
        var exported = new List<Metric>();
        Activity llm;
        using (var meters = Sdk.CreateMeterProviderBuilder()
                .AddMeter(TracedLlmTelemetry.SourceName)
                .AddInMemoryExporter(exported)
                .Build())
        {
            await using var host = await Host(_ => { });
            using var response = await host.PostAsync(
                "/v1/messages",
                MessagesStreamBody.Replace("claude-sonnet-4-5", Model, StringComparison.Ordinal));
            var relayed = await response.Content.ReadAsStringAsync();
            Assert.StartsWith(
                stream[..stream.IndexOf("event: message_delta", StringComparison.Ordinal)],
                relayed,
                StringComparison.Ordinal);
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

        // A failed request: the conventions' time to first token and per output token are for successful responses
        // only.
        Assert.NotEmpty(
            ExportedPoints.Of(exported, "gen_ai.server.request.duration", AttributeNames.GenAiRequestModel, Model));
        Assert.Empty(
            ExportedPoints.Of(exported, "gen_ai.server.time_to_first_token", AttributeNames.GenAiRequestModel, Model));
        Assert.Empty(
            ExportedPoints.Of(exported, "gen_ai.server.time_per_output_token", AttributeNames.GenAiRequestModel, Model)
        );
    }

    /// <summary>
    /// Anthropic's input with its cache reads and writes added up past <see cref="long.MaxValue"/> (a
    /// hostile or broken upstream: each count alone is a valid JSON integer) stays at the largest count.
    /// The sum wrapped: below zero the usage threw and the relayed answer was cut off (the client's
    /// connection reset after the upstream had answered); wrapped twice it was a large positive
    /// count that was not the sum.
    /// </summary>
    [Theory]
    [InlineData(
        "\"input_tokens\":9223372036854775807,\"cache_read_input_tokens\":1,\"output_tokens\":3",
        1L,
        null,
        "{\"input\":9223372036854775806,\"input_cached_tokens\":1,\"output\":3}"
    )]
    [InlineData(
        "\"input_tokens\":9223372036854775000,\"cache_read_input_tokens\":9223372036854775000,"
        + "\"cache_creation_input_tokens\":9223372036854775000,\"output_tokens\":3",
        9223372036854775000L,
        9223372036854775000L,
        "{\"input\":0,\"input_cached_tokens\":9223372036854775000,\"input_cache_creation\":9223372036854775000,"
        + "\"output\":3}"
    )]
    public async Task AnAnthropicInputTooLargeToAddUpIsTheLargestCountAndTheAnswerIsRelayedWhole(
        string usage,
        long cacheRead,
        long? cacheCreation,
        string details)
    {
        var body =
            "{\"id\":\"msg_h\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"usage\":{"
            + usage
            + "}}";
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

    /// <summary>
    /// Anthropic prices a one-hour cache write at twice the input and a five-minute one at 1.25 times,
    /// and its usage splits <c>cache_creation_input_tokens</c> by lifetime (<c>cache_creation</c>). The
    /// writes were all priced at the one <c>CacheCreation</c> price (12 840 µ$ here, not 16 590), and
    /// Langfuse saw one <c>input_cache_creation</c> count where its price list prices
    /// <c>input_cache_creation_5m</c> and <c>input_cache_creation_1h</c>. The price comes from the
    /// documented configuration keys; <c>gen_ai.usage.cache_creation.input_tokens</c> keeps the total.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnthropicOneHourCacheWriteIsPricedAtItsOwnPriceAndLangfuseSeesTheSplit(bool stream)
    {
        const string Model = "claude-1h-priced";
        const string Split =
            "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000}";
        var answer = stream
            ? string.Concat(
                "event: message_start\ndata: "
                    + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1h\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\""
                    + Model
                    + "\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,"
                    + "\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":200,"
                    + Split
                    + ",\"output_tokens\":1}}}\n\n",
                "event: content_block_start\ndata: "
                    + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                    + "\"text\":\"\"}}\n\n",
                "event: content_block_delta\ndata: "
                + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Kept "
                + "an hour.\"}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                // message_delta's running total states the writes again, without their split.
                "event: message_delta\ndata: "
                    + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                    + "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":3000,"
                    + "\"cache_read_input_tokens\":200,\"output_tokens\":50}}\n\n",
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            : AnthropicAnswer(
                Model,
                "\"input_tokens\":10,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":200,"
                    + Split
                    + ",\"output_tokens\":50");
        Upstream.Then(stream ? Reply.Stream(answer) : Reply.Answer(200, answer));
        var costs = new ConcurrentQueue<(double Value, string? Model)>();
        using var listener = CostListener(costs);
        await using var host = await HostPricedByConfiguration(Model);
        using var response = await host.PostAsync("/v1/messages", stream ? MessagesStreamBody : MessagesBody);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(10L + 200 + 3000, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(3000L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal(200L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(50L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(
            """{"input":10,"input_cached_tokens":200,"input_cache_creation":0,"input_cache_creation_5m":"""
            + """1000,"input_cache_creation_1h":2000,"output":50}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        // Per million tokens: input 3, cache read 0.3, five-minute write 3.75, one-hour write 6, output 15.
        const double Expected = (10 * 3 + 200 * 0.3 + 1000 * 3.75 + 2000 * 6 + 50 * 15) / 1e6;
        Assert.Equal(Expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = JsonDocument.Parse(
            (string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        var cost = costDetails.RootElement;
        Assert.Equal(
            new[]
            {
                "input",
                "input_cached_tokens",
                "input_cache_creation",
                "input_cache_creation_5m",
                "input_cache_creation_1h",
                "output",
                "total"
            },
            cost.EnumerateObject().Select(p => p.Name));
        Assert.Equal(10 * 3 / 1e6, cost.GetProperty("input").GetDouble(), 12);
        Assert.Equal(200 * 0.3 / 1e6, cost.GetProperty("input_cached_tokens").GetDouble(), 12);
        Assert.Equal(0, cost.GetProperty("input_cache_creation").GetDouble());
        Assert.Equal(1000 * 3.75 / 1e6, cost.GetProperty("input_cache_creation_5m").GetDouble(), 12);
        Assert.Equal(2000 * 6 / 1e6, cost.GetProperty("input_cache_creation_1h").GetDouble(), 12);
        Assert.Equal(50 * 15 / 1e6, cost.GetProperty("output").GetDouble(), 12);
        Assert.Equal(Expected, cost.GetProperty("total").GetDouble(), 12);
        Assert.Equal(Expected, Assert.Single(costs, c => c.Model == "claude-sonnet-4-5").Value, 12);
    }

    /// <summary>
    /// A <c>cache_creation</c> that is not an object of counts changes nothing: the writes are one count, as
    /// without it, and the answer is relayed whole. A count that is one beside one that is not is taken
    /// (before, the valid one-hour count beside a broken five-minute one was dropped with it).
    /// </summary>
    [Theory]
    [InlineData("\"cache_creation\":null", """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":\"1h\"", """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":2000", """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":[1000,2000]", """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":{}", """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":{\"ephemeral_1h_input_tokens\":\"2000\",\"ephemeral_5m_input_tokens\":true}",
        """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":{\"ephemeral_1h_input_tokens\":{\"tokens\":2000}}",
        """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":{\"ephemeral_1h_input_tokens\":-2000,\"ephemeral_5m_input_tokens\":1.5}",
        """{"input":10,"input_cache_creation":3000,"output":50}""")]
    [InlineData("\"cache_creation\":{\"ephemeral_5m_input_tokens\":\"1000\",\"ephemeral_1h_input_tokens\":2000}",
        """{"input":10,"input_cache_creation":1000,"input_cache_creation_1h":2000,"output":50}""")]
    [InlineData("\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":null}",
        """{"input":10,"input_cache_creation":2000,"input_cache_creation_5m":1000,"output":50}""")]
    public async Task AMalformedCacheWriteSplitIsIgnored(string split, string details)
    {
        var llm = await RelayThreeThousandCacheWritesAsync(split);
        Assert.Equal(details, llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
    }

    /// <summary>
    /// Parts larger than the writes they split (a broken upstream) are read within them: the one-hour part
    /// at most all the writes, the five-minute part at most what it leaves, the rest never below zero; a
    /// count past <see cref="long.MaxValue"/> is no count. The total stays as stated, the cost is bounded
    /// (3000 one-hour writes here, not nine quintillion), and the answer is relayed whole.
    /// </summary>
    [Theory]
    [InlineData("{\"ephemeral_5m_input_tokens\":9223372036854775807,\"ephemeral_1h_input_tokens\":9223372036854775807}",
        """{"input":10,"input_cache_creation":0,"input_cache_creation_5m":0,"input_cache_creation_1h":3000,"output":"""
            + """50}""", 3000 * 6.0)]
    [InlineData("{\"ephemeral_1h_input_tokens\":5000}",
        """{"input":10,"input_cache_creation":0,"input_cache_creation_1h":3000,"output":50}""", 3000 * 6.0)]
    [InlineData("{\"ephemeral_5m_input_tokens\":2500,\"ephemeral_1h_input_tokens\":1000}",
        """{"input":10,"input_cache_creation":0,"input_cache_creation_5m":2000,"input_cache_creation_1h":"""
            + """1000,"output":50}""", 2000 * 3.75 + 1000 * 6.0)]
    [InlineData("{\"ephemeral_5m_input_tokens\":99999999999999999999,\"ephemeral_1h_input_tokens\":1000}",
        """{"input":10,"input_cache_creation":2000,"input_cache_creation_1h":1000,"output":50}""",
        2000 * 3.75 + 1000 * 6.0)]
    public async Task ACacheWriteSplitLargerThanTheWritesIsReadWithinThem(string split, string details,
        double writesCost)
    {
        var llm = await RelayThreeThousandCacheWritesAsync("\"cache_creation\":" + split);
        Assert.Equal(details, llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        Assert.Equal((10 * 3 + writesCost + 50 * 15) / 1e6, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
    }

    /// <summary>
    /// Relays an Anthropic answer of 10 input tokens, 3000 cache writes split by <paramref name="split"/> and 50
    /// output tokens through a priced gateway; the answer reached the client whole, and its input and writes
    /// are counted as stated whatever the split. Returns the LLM span.
    /// </summary>
    private async Task<Activity> RelayThreeThousandCacheWritesAsync(string split)
    {
        const string Model = "claude-1h-priced";
        var body = AnthropicAnswer(
            Model,
            "\"input_tokens\":10,\"cache_creation_input_tokens\":3000," + split + ",\"output_tokens\":50");
        Upstream.Then(Reply.Answer(200, body));
        await using var host = await HostPricedByConfiguration(Model);
        using var response = await host.PostAsync("/v1/messages", MessagesBody);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(ActivityStatusCode.Unset, llm.Status);
        Assert.Equal(3010L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(3000L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        return llm;
    }

    private static string AnthropicAnswer(string model, string usage) =>
        "{\"id\":\"msg_s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\""
        + model
        + "\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"usage\":{"
        + usage
        + "}}";

    // The price table as a user configures it (TracedLlm:Pricing:Models:<model>:...), the one-hour write price
    // included.
    private Task<RelayHost> HostPricedByConfiguration(string model) => Host(pricing =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"Models:{model}:Input"] = "3",
            [$"Models:{model}:Output"] = "15",
            [$"Models:{model}:CacheRead"] = "0.3",
            [$"Models:{model}:CacheCreation"] = "3.75",
            [$"Models:{model}:CacheCreation1h"] = "6",
        }).Build().Bind(pricing));

    /// <summary>
    /// The exported <c>gen_ai.client.token.usage</c> points of one request model: count and sum by token type.
    /// </summary>
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

    [Theory]
    [InlineData("", """{"input":25,"input_cached_tokens":100,"input_cache_creation":10}""")]
    [InlineData(",\"cache_creation\":{\"ephemeral_5m_input_tokens\":4,\"ephemeral_1h_input_tokens\":6}",
        """{"input":25,"input_cached_tokens":100,"input_cache_creation":0,"input_cache_creation_5m":"""
            + """4,"input_cache_creation_1h":6}""")]
    public async Task AStreamCutOffMidWayKeepsTheCachedPartOfItsInputApart(string split, string details)
    {
        // message_start states the input with its cache reads and writes; the stream is cut before its output count.
        // The cached tokens are in gen_ai.usage.input_tokens (as the conventions count) and apart beside it, and
        // Langfuse's usage details price them as cached: without the split it prices all 135 as uncached input.
        var stream = string.Concat(
            "event: message_start\ndata: "
                + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_cut\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":10"
                + split
                + "}}}\n\n",
            "event: content_block_start\ndata: "
            + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: "
                + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                + "\"text\":\"Hello\"}}\n\n",
            "event: message_delta\ndata: "
                + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                + "\"usage\":{\"output_tokens\":15}}\n\n");
        Upstream.Then(Reply.Stream(stream, cutAfter: 3));
        await using var host = await Host(_ => { });
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        Assert.Contains("event: error\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);

        Assert.Equal(135L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(100L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(10L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(details, llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
    }

    /// <summary>
    /// A chat completion's stream whose chunks name no <c>"object"</c>: its usage chunk, with an empty
    /// <c>choices</c> or none, is read as OpenAI's is.
    /// </summary>
    /// <remarks>Some OpenAI-compatible servers omit the object type.</remarks>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AStreamWhoseChunksNameNoObjectGivesItsUsage(bool usageChunkHasChoices)
    {
        var stream = WireSamples.ChatStream.Replace(
            "\"object\":\"chat.completion.chunk\",", string.Empty, StringComparison.Ordinal);
        if (!usageChunkHasChoices)
        {
            stream = stream.Replace("\"choices\":[],", string.Empty, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("\"object\"", stream, StringComparison.Ordinal);
        Upstream.Then(Reply.Stream(stream));
        await using var host = await Host(_ => { });
        using var response = await host.PostAsync(
            "/v1/chat/completions", """{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(stream, await response.Content.ReadAsStringAsync());

        var trace = await Spans.SingleTraceAsync();
        var llm = trace.Single(SpanNames.LlmRequest);
        Assert.Equal(9L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal("gpt-4o-mini", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(new[] { "stop" }, llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons));
        var attempt = trace.Single(SpanNames.UpstreamAttempt);
        Assert.Equal(9L, attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(2L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
    }

    private Task<RelayHost> Host(Action<LlmPricing> pricing) =>
        RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address }, Policy = LlmRetryPolicy.None },
            services: services => services.Configure<TracedLlmOptions>(options => pricing(options.Pricing)));
}
