using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace TracedLlm.Gateway.Tests;

/// <summary>The TracedLlm.Gateway meter: token usage and request duration with gen_ai dimensions, bounded.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task ARequestRecordsTokenUsageAndDurationWithGenAiDimensions()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = Listen(measurements);

        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                """{"model":"metrics-model","messages":[{"role":"user","content":"count my tokens"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.HoldsAsync(
            () =>
                measurements.Any(m =>
                    m.Instrument == "gen_ai.server.request.duration"
                    && (string?)m.Tags[AttributeNames.GenAiRequestModel] == "metrics-model"),
            "the measurements");

        var ours = measurements
            .Where(m => (string?)m.Tags[AttributeNames.GenAiRequestModel] == "metrics-model")
            .ToList();
        var usage = ours.Where(m => m.Instrument == "gen_ai.client.token.usage")
            .ToDictionary(m => (string)m.Tags["gen_ai.token.type"]!, m => m.Value);
        Assert.Equal(3, usage["input"]);
        Assert.Equal(4, usage["output"]);
        var duration = Assert.Single(ours, m => m.Instrument == "gen_ai.server.request.duration");
        Assert.Equal(200, duration.Tags[AttributeNames.HttpResponseStatusCode]);
        Assert.Equal("chat", duration.Tags[AttributeNames.GenAiOperationName]);
        Assert.Equal("tracedllm.embedded", duration.Tags[AttributeNames.GenAiProviderName]);
        Assert.Equal("/v1/chat/completions", duration.Tags[AttributeNames.HttpRoute]);
        Assert.True(duration.Value > 0);
    }

    /// <summary>
    /// The sample records each answer's usage twice, as an adopter's handler may: the attempt's chat
    /// client extension records it, then the route restates it. The span and the token metric keep one
    /// usage; the cost counter added one cost per record, so every priced request counted twice.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APricedRequestAddsItsCostOnceWhenItsUsageIsRecordedTwice(bool stream)
    {
        var model = stream ? "priced-once-stream" : "priced-once";
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = Listen(measurements);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            services
                .AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddSource(TracedLlmTelemetry.SourceName).AddInMemoryExporter(exported));
            services.Configure<TracedLlmOptions>(options =>
                options.Pricing.Models[model] = new LlmModelPrice { Input = 2, Output = 10 });
        });
        var body =
            $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":"""
            + $$"""[{"role":"user","content":"count my tokens"}]}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        await exported.WaitForAsync(spans => spans.FirstOrDefault(s => s.DisplayName == SpanNames.Server));
        await Eventually.HoldsAsync(
            () =>
                measurements.Any(m =>
                    m.Instrument == "gen_ai.server.request.duration"
                    && (string?)m.Tags[AttributeNames.GenAiRequestModel] == model),
            "the measurements");

        var ours = measurements.Where(m => (string?)m.Tags[AttributeNames.GenAiRequestModel] == model).ToList();
        var usage = ours.Where(m => m.Instrument == "gen_ai.client.token.usage")
            .ToDictionary(m => (string)m.Tags["gen_ai.token.type"]!, m => m.Value);
        var cost = Assert.Single(ours, m => m.Instrument == "tracedllm.usage.cost");
        Assert.Equal((usage["input"] * 2 + usage["output"] * 10) / 1e6, cost.Value, 12);
        var llm = Assert.Single(exported.Snapshot(), s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Equal((double)llm.GetTagItem(AttributeNames.GenAiUsageCost)!, cost.Value, 12);
    }

    [Fact]
    public async Task EveryHistogramIsExportedWithTheConventionsBucketBoundaries()
    {
        var exported = new List<Metric>();
        using (var meters = Sdk.CreateMeterProviderBuilder()
                .AddMeter(TracedLlmTelemetry.SourceName)
                .AddInMemoryExporter(exported)
                .Build())
        {
            using var host = new GatewayHost();
            using var response = await host.CreateClient().SendAsync(
                GatewayHost.Post("/v1/chat/completions",
                    """{"model":"buckets-model","stream":true,"messages":[{"role":"user","content":"stream some """
                    + """tokens"}]}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
            await Eventually.HoldsAsync(
                () =>
                {
                    meters.ForceFlush();
                    return exported.Any(m => m.Name == "gen_ai.server.time_per_output_token");
                },
                "the time per output token");
        }

        Assert.Equal(
            new double[] { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864 },
            Boundaries(exported, "gen_ai.client.token.usage"));
        Assert.Equal(
            new[] { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 },
            Boundaries(exported, "gen_ai.server.request.duration"));
        Assert.Equal(
            new[] { 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0 },
            Boundaries(exported, "gen_ai.server.time_to_first_token"));
        Assert.Equal(
            new[] { 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5 },
            Boundaries(exported, "gen_ai.server.time_per_output_token"));
    }

    /// <summary>
    /// The explicit bounds of an exported histogram's point for the test's model (the last bucket, +Inf, left out).
    /// </summary>
    private static IReadOnlyList<double> Boundaries(List<Metric> exported, string name)
    {
        var point = ExportedPoints
            .Of(exported, name, AttributeNames.GenAiRequestModel, "buckets-model")
            .FirstOrDefault();
        Assert.True(point is not null, $"{name} was not exported for the test's model");
        return point.Bounds;
    }

    [Fact]
    public void ModelNamesAreBoundedSoClientsCannotExplodeCardinality()
    {
        var bound = new BoundedValues(GatewayMetrics.MaxModelNames, GatewayMetrics.OtherModel);
        var seen = Enumerable
            .Range(0, GatewayMetrics.MaxModelNames * 2)
            .Select(i => bound.Bound($"model-{i}"))
            .ToList();

        Assert.Equal(
            Enumerable.Range(0, GatewayMetrics.MaxModelNames).Select(i => $"model-{i}"),
            seen.Take(GatewayMetrics.MaxModelNames));
        Assert.All(seen.Skip(GatewayMetrics.MaxModelNames), m => Assert.Equal(GatewayMetrics.OtherModel, m));
        Assert.Equal("model-7", bound.Bound("model-7"));
        Assert.Equal("unknown", bound.Bound(null));
    }

    /// <summary>Every measurement of the gateway's meter, with its tags.</summary>
    private static MeterListener Listen(
        ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> measurements)
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
        listener.SetMeasurementEventCallback<long>(
            (instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>(
            (instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.Start();
        return listener;
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }
}
