using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TracedLlm.Telemetry;
using TracedLlm.Tests;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Issue 40 item 4: the latest convention mode's per-attempt client metrics
/// (<c>gen_ai.client.operation.duration</c>, <c>gen_ai.client.token.usage</c>) and its time to
/// first chunk from the answering attempt's send, read back from a real MeterProvider.
/// </summary>
public sealed class AttemptMetricsTests : IDisposable
{
    private static readonly double[] DurationBuckets =
    [
        0.01,
        0.02,
        0.04,
        0.08,
        0.16,
        0.32,
        0.64,
        1.28,
        2.56,
        5.12,
        10.24,
        20.48,
        40.96,
        81.92
    ];

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task EachAttemptRecordsItsDurationWithTheErrorTypeOfAFailure()
    {
        await using var upstream = await UpstreamStub.StartAsync(503, 200);
        var exported = await RunAsync(upstream, latest: true,
            """{"model":"attempt-metrics","messages":[{"role":"user","content":"hi"}]}""",
            "gen_ai.client.operation.duration");

        var durations = Points(exported, "gen_ai.client.operation.duration", "attempt-metrics");
        Assert.Equal(2, durations.Count);
        var failed = Assert.Single(durations, p => p.Tags.ContainsKey(AttributeNames.ErrorType));
        Assert.Equal("503", failed.Tags[AttributeNames.ErrorType]);
        Assert.Single(durations, p => !p.Tags.ContainsKey(AttributeNames.ErrorType));

        // The failed attempt's span says the same error.type as its metric (the exception's type is in its exception
        // event).
        var attempts = (await _spans.SingleTraceAsync())
            .Spans.Where(s => s.GetTagItem(AttributeNames.AttemptOutcome) is not null)
            .ToList();
        var failedSpan = Assert.Single(
            attempts,
            a => (string?)a.GetTagItem(AttributeNames.AttemptOutcome) == "failure");
        Assert.Equal("503", failedSpan.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(
            typeof(UpstreamException).FullName,
            failedSpan.Events.Single(e => e.Name == "exception").Tags.Single(t => t.Key == "exception.type").Value);
        Assert.Null(
            Assert
                .Single(attempts, a => (string?)a.GetTagItem(AttributeNames.AttemptOutcome) == "success")
                .GetTagItem(AttributeNames.ErrorType));
        Assert.All(
            durations,
            p =>
            {
                Assert.Equal(1L, p.Count);
                Assert.Equal("chat", p.Tags[AttributeNames.GenAiOperationName]);
                Assert.Equal("openai", p.Tags[AttributeNames.GenAiProviderName]);
                Assert.False(p.Tags.ContainsKey(AttributeNames.HttpRoute));
                    // the attempt's dimensions, not the request's
                Assert.Equal(DurationBuckets, p.Bounds);
            });

        // The answering attempt's usage, with the attempt's dimensions: the request-level record (with http.route) is
        // not made too.
        var usage = Points(exported, "gen_ai.client.token.usage", "attempt-metrics");
        Assert.Equal(2, usage.Count);
        Assert.All(usage, p => Assert.False(p.Tags.ContainsKey(AttributeNames.HttpRoute)));
        Assert.Equal(7, usage.Single(p => p.Tag("gen_ai.token.type") == "input").Sum);
        Assert.Equal(2, usage.Single(p => p.Tag("gen_ai.token.type") == "output").Sum);
    }

    [Fact]
    public async Task TheDefaultModeRecordsNoClientOperationMetrics()
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        var exported = await RunAsync(upstream, latest: false,
            """{"model":"attempt-metrics-default","messages":[{"role":"user","content":"hi"}]}""",
            "gen_ai.server.request.duration");

        Assert.Empty(Points(exported, "gen_ai.client.operation.duration", "attempt-metrics-default"));
        var usage = Points(exported, "gen_ai.client.token.usage", "attempt-metrics-default");
        Assert.Equal(2, usage.Count);
        Assert.All(usage, p => Assert.Equal("/v1/chat/completions", p.Tags[AttributeNames.HttpRoute]));
    }

    [Fact]
    public async Task TimeToFirstChunkCountsFromTheAnsweringAttemptsSend()
    {
        // The first attempt takes 400 ms to fail: the handler's start is that far before the answering attempt's send.
        await using var upstream = await UpstreamStub.StartWithAsync(
            async (_, context, _) =>
            {
                await Task.Delay(400);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            },
            UpstreamStub.Reply.Status(200));
        var exported = await RunAsync(upstream, latest: true,
            """{"model":"ttfc-model","stream":true,"stream_options":{"include_usage":true},"messages":["""
                + """{"role":"user","content":"hi"}]}""", "gen_ai.client.operation.time_to_first_chunk");

        var llm = (await _spans.SingleTraceAsync()).Single("chat ttfc-model");
        var fromHandler = (double)llm.GetTagItem(AttributeNames.TimeToFirstToken)!;
        var fromSend = (double)llm.GetTagItem(AttributeNames.GenAiResponseTimeToFirstChunk)!;
        // At least the first attempt's 400 ms, less the timer's granularity (Task.Delay's clock ticks in
        // milliseconds, the span's in Stopwatch units: 399.5 ms was measured once).
        Assert.True(fromHandler >= 0.39, fromHandler.ToString(CultureInfo.InvariantCulture));
        Assert.True(fromSend > 0 && fromSend <= fromHandler - 0.35, $"{fromSend} vs {fromHandler}");

        var point = Assert.Single(Points(exported, "gen_ai.client.operation.time_to_first_chunk", "ttfc-model"));
        Assert.Equal(fromSend, point.Sum, 6);
        Assert.Equal(DurationBuckets, point.Bounds);
    }

    [Fact]
    public async Task TheDefaultModeKeepsItsTimeToFirstTokenAndAddsNoChunkMeasure()
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        await RunAsync(upstream, latest: false,
            """{"model":"ttft-default","stream":true,"stream_options":{"include_usage":true},"messages":["""
                + """{"role":"user","content":"hi"}]}""", "gen_ai.server.time_to_first_token");

        var llm = (await _spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.IsType<double>(llm.GetTagItem(AttributeNames.TimeToFirstToken));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiResponseTimeToFirstChunk));
    }

    private static async Task<List<Metric>> RunAsync(UpstreamStub upstream, bool latest, string body, string awaited)
    {
        var exported = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(TracedLlmTelemetry.SourceName)
            .AddInMemoryExporter(exported)
            .Build();
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .With("Retry:MaxRetries", "2")
            .With("Retry:BaseDelayMs", "1")
            .With("TracedLlm:SemanticConventions", latest ? "GenAiLatestExperimental" : "Default");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        await Eventually.HoldsAsync(
            () =>
            {
                meters.ForceFlush();
                return exported.Any(m => m.Name == awaited);
            },
            awaited,
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(20));

        meters.ForceFlush();
        return exported;
    }

    /// <summary>
    /// The exported points of <paramref name="name"/> for <paramref name="model"/> (the last export of each).
    /// </summary>
    private static List<ExportedPoint> Points(List<Metric> exported, string name, string model) =>
        ExportedPoints.Of(exported, name, AttributeNames.GenAiRequestModel, model);
}
