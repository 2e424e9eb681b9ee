using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>The TracedLlm.Gateway meter: token usage and request duration with gen_ai dimensions, bounded.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task ARequestRecordsTokenUsageAndDurationWithGenAiDimensions()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.Start();

        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", """{"model":"metrics-model","messages":[{"role":"user","content":"count my tokens"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitAsync(() => measurements.Any(m => m.Instrument == "gen_ai.server.request.duration" && (string?)m.Tags[AttributeNames.GenAiRequestModel] == "metrics-model"));

        var ours = measurements.Where(m => (string?)m.Tags[AttributeNames.GenAiRequestModel] == "metrics-model").ToList();
        var usage = ours.Where(m => m.Instrument == "gen_ai.client.token.usage").ToDictionary(m => (string)m.Tags["gen_ai.token.type"]!, m => m.Value);
        Assert.Equal(3, usage["input"]);
        Assert.Equal(4, usage["output"]);
        var duration = Assert.Single(ours, m => m.Instrument == "gen_ai.server.request.duration");
        Assert.Equal(200, duration.Tags[AttributeNames.HttpResponseStatusCode]);
        Assert.Equal("chat", duration.Tags[AttributeNames.GenAiOperationName]);
        Assert.Equal("tracedllm.embedded", duration.Tags[AttributeNames.GenAiProviderName]);
        Assert.Equal("/v1/chat/completions", duration.Tags[AttributeNames.HttpRoute]);
        Assert.True(duration.Value > 0);
    }

    [Fact]
    public void ModelNamesAreBoundedSoClientsCannotExplodeCardinality()
    {
        var bound = new BoundedValues(GatewayMetrics.MaxModelNames, GatewayMetrics.OtherModel);
        var seen = Enumerable.Range(0, GatewayMetrics.MaxModelNames * 2).Select(i => bound.Bound($"model-{i}")).ToList();

        Assert.Equal(Enumerable.Range(0, GatewayMetrics.MaxModelNames).Select(i => $"model-{i}"), seen.Take(GatewayMetrics.MaxModelNames));
        Assert.All(seen.Skip(GatewayMetrics.MaxModelNames), m => Assert.Equal(GatewayMetrics.OtherModel, m));
        Assert.Equal("model-7", bound.Bound("model-7"));
        Assert.Equal("unknown", bound.Bound(null));
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

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the measurements did not arrive");
            await Task.Delay(10);
        }
    }
}
