using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway exporting its metrics over OTLP/HTTP (<c>OTEL_METRICS_EXPORTER=otlp</c>) every half second.
/// </summary>
public sealed class MetricsEnvironment : SampleGatewayEnvironment
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() => new Dictionary<string, string?>
    {
        ["OTEL_METRICS_EXPORTER"] = "otlp",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };
}

/// <summary>
/// Issue 40 item 3 on the wire: the histograms' bucket boundaries as a collector reads them, the
/// sample gateway's OTLP metrics export decoded by the receiver the other end-to-end tests use
/// (OpenTelemetry JS's generated protobuf decoder), not the in-process exporter.
/// </summary>
public sealed class MetricsEndToEndTests(MetricsEnvironment environment) : IClassFixture<MetricsEnvironment>
{
    private const string Model = "buckets-e2e-model";

    [Fact]
    public async Task EveryHistogramReachesTheCollectorWithTheConventionsBucketBoundaries()
    {
        var status = await environment.PostAsync(
            "/v1/chat/completions",
            $$"""{"model":"{{Model}}","stream":true,"messages":[{"role":"user","content":"stream some tokens"}]}""",
            traceparent: null);
        Assert.Equal(HttpStatusCode.OK, status);

        var histograms = await ExportedHistograms.WaitAsync(
            environment,
            Model,
            "gen_ai.client.token.usage",
            "gen_ai.server.request.duration",
            "gen_ai.server.time_to_first_token",
            "gen_ai.server.time_per_output_token");

        // The GenAI conventions' advice (gen-ai metrics, semantic-conventions 1.37 to 1.41), as exported.
        Assert.Equal(
            new double[] { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864 },
            histograms["gen_ai.client.token.usage"]);
        Assert.Equal(
            new[] { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 },
            histograms["gen_ai.server.request.duration"]);
        Assert.Equal(
            new[] { 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0 },
            histograms["gen_ai.server.time_to_first_token"]);
        Assert.Equal(
            new[] { 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5 },
            histograms["gen_ai.server.time_per_output_token"]);
    }
}

/// <summary>Histograms as the end-to-end receiver decoded them from the gateway's OTLP metrics export.</summary>
internal static class ExportedHistograms
{
    /// <summary>
    /// Waits until the receiver has decoded a point of each named histogram for this test's model
    /// with a count, and returns each one's explicit bounds (OTLP metrics decoded by receiver.cjs).
    /// </summary>
    public static async Task<Dictionary<string, double[]>> WaitAsync(
        SampleGatewayEnvironment environment,
        string model,
        params string[] names)
    {
        var found = new Dictionary<string, double[]>();
        await Eventually.HoldsAsync(
            () =>
            {
                found = Read(environment, model, names);
                return names.All(found.ContainsKey);
            },
            $"the histograms [{string.Join(", ", names)}] of {model}",
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(100));
        return found;
    }

    private static Dictionary<string, double[]> Read(SampleGatewayEnvironment environment, string model, string[] names)
    {
        var found = new Dictionary<string, double[]>();
        foreach (var line in environment
                .ReceiverLines()
                .Where(l =>
                    l.StartsWith("{\"method\"", StringComparison.Ordinal)
                    && l.Contains("/v1/metrics", StringComparison.Ordinal)))
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("error").ValueKind);
            foreach (var metric in document.RootElement.GetProperty("metrics").EnumerateArray())
            {
                var name = metric.GetProperty("name").GetString()!;
                if (metric.GetProperty("type").GetString() != "histogram" || !names.Contains(name))
                {
                    continue;
                }

                foreach (var point in metric.GetProperty("points").EnumerateArray())
                {
                    if (point.GetProperty("attributes").TryGetProperty("gen_ai.request.model", out var pointModel)
                        && pointModel.GetString() == model
                        && point.GetProperty("count").GetInt64() > 0)
                    {
                        found[name] = point
                            .GetProperty("explicitBounds")
                            .EnumerateArray()
                            .Select(b => b.GetDouble())
                            .ToArray();
                    }
                }
            }
        }

        return found;
    }
}
