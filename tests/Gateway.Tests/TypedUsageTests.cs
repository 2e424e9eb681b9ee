using System;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The typed path's usage: a handler's <see cref="LlmCall.RecordUsage(LlmUsage)"/> with Anthropic's
/// separate cache counts (<see cref="LlmUsage.FromAnthropic"/>) puts the conventions' counts on the
/// generation, Langfuse's usage and cost details beside them, and the cost on the cost metric; the
/// token usage metric counts the input with the cache, as the span does.
/// </summary>
public sealed class TypedUsageTests
{
    [Fact]
    public void AnAnthropicUsageWithCacheCountsIsRecordedAsTheConventionsCountIt()
    {
        var usage = LlmUsage.FromAnthropic(inputTokens: 14, outputTokens: 9, cacheReadInputTokens: 2186, cacheCreationInputTokens: 100);
        Assert.Equal(14 + 2186 + 100, usage.InputTokens);
        Assert.Equal(14, usage.UncachedInputTokens);
        Assert.Equal(9, usage.NonReasoningOutputTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LlmUsage(-1, 0));

        var measured = new ConcurrentQueue<(string Instrument, double Value, string? Model, string? TokenType)>();
        using var listener = Listen(measured);
        using var spans = new SpanCollector();
        using var host = new GatewayHost().WithServices(services => services.Configure<TracedLlmOptions>(options =>
            options.Pricing.Models["typed-claude"] = new LlmModelPrice { Input = 3, Output = 15, CacheRead = 0.3, CacheCreation = 3.75 }));
        using var request = DirectCall.Start(host.Services, "/v1/messages", WireFormat.Anthropic);
        var llm = request.Llm;

        request.Call.RecordResponse("typed-claude", "msg_t1", "end_turn");
        request.Call.RecordUsage(usage);
        request.End();

        Assert.Equal(2300L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(9L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(2186L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(100L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Equal("""{"input":14,"input_cached_tokens":2186,"input_cache_creation":100,"output":9}""", llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
        const double Expected = (14 * 3 + 2186 * 0.3 + 100 * 3.75 + 9 * 15) / 1e6;
        Assert.Equal(Expected, (double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, 12);
        using var costDetails = System.Text.Json.JsonDocument.Parse((string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!);
        Assert.Equal(new[] { "input", "input_cached_tokens", "input_cache_creation", "output", "total" }, costDetails.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2186 * 0.3 / 1e6, costDetails.RootElement.GetProperty("input_cached_tokens").GetDouble(), 12);
        Assert.Equal(Expected, costDetails.RootElement.GetProperty("total").GetDouble(), 12);

        Assert.Contains(measured, m => m.Instrument == "tracedllm.usage.cost" && Math.Abs(m.Value - Expected) < 1e-12);
        Assert.Contains(measured, m => m.Instrument == "gen_ai.client.token.usage" && m.TokenType == "input" && m.Value == 2300);
        Assert.DoesNotContain(measured, m => m.TokenType is not (null or "input" or "output"));
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
        void Record(Instrument instrument, double value, ReadOnlySpan<System.Collections.Generic.KeyValuePair<string, object?>> tags)
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
