using System;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The typed path's usage: a handler's <see cref="LlmCall.RecordUsage(LlmUsage)"/> with Anthropic's
/// separate cache counts (<see cref="LlmUsage.FromAnthropic(long, long, long?, long?)"/>) puts the conventions' counts
/// on the generation, Langfuse's usage and cost details beside them, and the cost on the cost metric; the
/// token usage metric counts the input with the cache, as the span does.
/// </summary>
public sealed class TypedUsageTests
{
    [Fact]
    public void AnAnthropicUsageWithCacheCountsIsRecordedAsTheConventionsCountIt()
    {
        var usage = LlmUsage.FromAnthropic(
            inputTokens: 14,
            outputTokens: 9,
            cacheReadInputTokens: 2186,
            cacheCreationInputTokens: 100);
        Assert.Equal(14 + 2186 + 100, usage.InputTokens);
        Assert.Equal(14, usage.UncachedInputTokens);
        Assert.Equal(9, usage.NonReasoningOutputTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LlmUsage(-1, 0));

        var measured = new ConcurrentQueue<(string Instrument, double Value, string? Model, string? TokenType)>();
        using var listener = Listen(measured);
        var llm = RecordOnATypedCall(
            "typed-claude",
            new LlmModelPrice
            {
                Input = 3,
                Output = 15,
                CacheRead = 0.3,
                CacheCreation = 3.75
            },
            usage);

        Assert.Equal(2300L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(9L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(2186L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(100L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":14,"input_cached_tokens":2186,"input_cache_creation":100,"output":9}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        const double Expected = (14 * 3 + 2186 * 0.3 + 100 * 3.75 + 9 * 15) / 1e6;
        Assert.Equal(Expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = System.Text.Json.JsonDocument.Parse(
            (string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        Assert.Equal(
            new[] { "input", "input_cached_tokens", "input_cache_creation", "output", "total" },
            costDetails.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2186 * 0.3 / 1e6, costDetails.RootElement.GetProperty("input_cached_tokens").GetDouble(), 12);
        Assert.Equal(Expected, costDetails.RootElement.GetProperty("total").GetDouble(), 12);

        Assert.Contains(measured, m => m.Instrument == "tracedllm.usage.cost" && Math.Abs(m.Value - Expected) < 1e-12);
        Assert.Contains(
            measured,
            m => m.Instrument == "gen_ai.client.token.usage" && m.TokenType == "input" && m.Value == 2300);
        Assert.DoesNotContain(measured, m => m.TokenType is not (null or "input" or "output"));
    }

    /// <summary>
    /// Anthropic's cache writes split by lifetime (<c>usage.cache_creation</c>) through the typed path: the
    /// one-hour writes priced at <see cref="LlmModelPrice.CacheCreation1h"/>, else at
    /// <see cref="LlmModelPrice.CacheCreation"/>, else at the input price, as the documentation says; the
    /// five-minute ones at <see cref="LlmModelPrice.CacheCreation"/>; Langfuse's keys for each.
    /// </summary>
    [Theory]
    [InlineData(6.0, 3.75, 6.0, 3.75)]
    [InlineData(null, 3.75, 3.75, 3.75)]
    [InlineData(null, null, 3.0, 3.0)]
    public void AnAnthropicOneHourCacheWriteIsPricedAtTheOneHourPriceOrWhatItFallsBackTo(
        double? oneHourPrice,
        double? writePrice,
        double oneHourCharged,
        double fiveMinuteCharged)
    {
        var usage = LlmUsage.FromAnthropic(
            inputTokens: 14,
            outputTokens: 9,
            cacheReadInputTokens: null,
            cacheCreationInputTokens: 300,
            cacheCreation5mInputTokens: 100,
            cacheCreation1hInputTokens: 200);
        Assert.Equal(14 + 300, usage.InputTokens);
        Assert.Equal(14, usage.UncachedInputTokens);
        Assert.Equal(300, usage.CacheCreationInputTokens);
        Assert.Equal(200, usage.CacheCreation1hInputTokens);
        Assert.Equal(100, usage.CacheCreation5mInputTokens);

        var measured = new ConcurrentQueue<(string Instrument, double Value, string? Model, string? TokenType)>();
        using var listener = Listen(measured);
        var llm = RecordOnATypedCall(
            "typed-claude-1h",
            new LlmModelPrice
            {
                Input = 3,
                Output = 15,
                CacheCreation = writePrice,
                CacheCreation1h = oneHourPrice
            },
            usage);

        Assert.Equal(314L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(300L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal(
            """{"input":14,"input_cache_creation":0,"input_cache_creation_5m":100,"input_cache_creation_1h":"""
                + """200,"output":9}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        var expected = (14 * 3 + 100 * fiveMinuteCharged + 200 * oneHourCharged + 9 * 15) / 1e6;
        Assert.Equal(expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = System.Text.Json.JsonDocument.Parse(
            (string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        Assert.Equal(
            200 * oneHourCharged / 1e6,
            costDetails.RootElement.GetProperty("input_cache_creation_1h").GetDouble(),
            12);
        Assert.Equal(
            100 * fiveMinuteCharged / 1e6,
            costDetails.RootElement.GetProperty("input_cache_creation_5m").GetDouble(),
            12);
        Assert.Equal(expected, costDetails.RootElement.GetProperty("total").GetDouble(), 12);
        Assert.Contains(measured, m => m.Instrument == "tracedllm.usage.cost" && Math.Abs(m.Value - expected) < 1e-12);
    }

    /// <summary>
    /// The parts of the cache writes are read within them, whatever a provider (or a handler) said: never
    /// more than the writes, never below zero, nothing without the writes; the rest is never negative.
    /// </summary>
    [Fact]
    public void TheCacheWritePartsAreReadWithinTheWrites()
    {
        var overstated = LlmUsage.FromAnthropic(
            10,
            1,
            null,
            cacheCreationInputTokens: 300,
            cacheCreation5mInputTokens: long.MaxValue,
            cacheCreation1hInputTokens: 500);
        Assert.Equal(300, overstated.CacheCreation1hInputTokens);
        Assert.Equal(0, overstated.CacheCreation5mInputTokens);
        Assert.Equal(310, overstated.InputTokens);

        var fiveMinutesTooMany = new LlmUsage(400, 1)
        {
            CacheCreationInputTokens = 300,
            CacheCreation1hInputTokens = 100,
            CacheCreation5mInputTokens = 250
        };
        Assert.Equal(100, fiveMinutesTooMany.CacheCreation1hInputTokens);
        Assert.Equal(200, fiveMinutesTooMany.CacheCreation5mInputTokens);

        var negative = new LlmUsage(400, 1)
        {
            CacheCreationInputTokens = 300,
            CacheCreation1hInputTokens = -1,
            CacheCreation5mInputTokens = -5
        };
        Assert.Null(negative.CacheCreation1hInputTokens);
        Assert.Null(negative.CacheCreation5mInputTokens);

        var noWrites = LlmUsage.FromAnthropic(
            10,
            1,
            null,
            cacheCreationInputTokens: null,
            cacheCreation5mInputTokens: 5,
            cacheCreation1hInputTokens: 7);
        Assert.Null(noWrites.CacheCreation1hInputTokens);
        Assert.Null(noWrites.CacheCreation5mInputTokens);
        Assert.Equal(10, noWrites.InputTokens);
        Assert.False(noWrites.HasDetails);
    }

    /// <summary>
    /// A typed handler's call answered by <paramref name="model"/>, priced at <paramref name="price"/>, records
    /// <paramref name="usage"/>; returns its LLM span, ended.
    /// </summary>
    private static System.Diagnostics.Activity RecordOnATypedCall(string model, LlmModelPrice price, LlmUsage usage)
    {
        using var spans = new SpanCollector();
        using var host = new GatewayHost().WithServices(services =>
            services.Configure<TracedLlmOptions>(options => options.Pricing.Models[model] = price));
        using var request = DirectCall.Start(host.Services, "/v1/messages", WireFormat.Anthropic);
        request.Call.RecordResponse(model, "msg_" + model, "end_turn");
        request.Call.RecordUsage(usage);
        request.End();
        return request.Llm;
    }

    private static MeterListener Listen(ConcurrentQueue<(string, double, string?, string?)> measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(
            Instrument instrument,
            double value,
            ReadOnlySpan<System.Collections.Generic.KeyValuePair<string, object?>> tags)
        {
            string? model = null, type = null;
            foreach (var tag in tags)
            {
                if (tag.Key == AttributeNames.GenAiRequestModel) model = tag.Value as string;
                if (tag.Key == "gen_ai.token.type") type = tag.Value as string;
            }

            measured.Enqueue((instrument.Name, value, model, type));
        }

        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        return listener;
    }
}
