using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A <see cref="BoundedExportProcessor"/> around an exporter given as is (here OpenTelemetry's OTLP
/// exporter, built by the test): its results are final, so against an endpoint that refuses, hangs,
/// or answers 500 / 429, spans are dropped and counted (counter, property, one rate-limited warning),
/// the queue stays bounded, and export resumes when the endpoint recovers. (Built from OTLP options,
/// as TracedLlm's exporters are, the processor retries: <see cref="ExportRetryTests"/>.)
/// </summary>
public sealed class ExportFaultTests
{
    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    [InlineData(0)]
    public async Task FailedExportsAreCountedWarnedOnceAndExportResumes(int fault)
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        endpoint.Otherwise = ScriptedOtlpEndpoint.Status(fault == 0 ? 200 : fault);
        var url = fault == 0 ? $"http://127.0.0.1:{LoopbackApp.FreePort()}/v1/traces" : endpoint.Url;
        var warnings = new ConcurrentQueue<string>();
        var counted = 0L;
        using var meter = CountDropped(value => Interlocked.Add(ref counted, value));
        var processor = new BoundedExportProcessor(Exporter(url), Options(warnings));
        using var provider = Provider(processor);

        Emit(10);
        Assert.True(provider.ForceFlush(10_000));
        Emit(10);
        Assert.True(provider.ForceFlush(10_000));

        Assert.Equal(20, processor.DroppedSpans);
        Assert.Equal(0, processor.ExportedSpans);
        Assert.Equal(20, Interlocked.Read(ref counted));
        // The first failed batch warns: all ten spans, or fewer where the 20 ms delay ended while they were
        // emitted (a loaded machine), the rest in the next batch.
        var warning = Assert.Single(warnings);
        var said = System.Text.RegularExpressions.Regex.Match(
            warning, @"^TracedLlm export: the exporter could not deliver a batch; (\d+) span\(s\) dropped so far\.");
        Assert.True(said.Success, warning);
        Assert.InRange(int.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 10);

        if (fault != 0)
        {
            endpoint.Otherwise = ScriptedOtlpEndpoint.Status(200);
            Emit(5);
            Assert.True(provider.ForceFlush(10_000));
            Assert.Equal(5, processor.ExportedSpans);
            Assert.Contains(endpoint.Requests, r => r.Accepted);
        }
    }

    [Fact]
    public async Task AHangingEndpointKeepsTheQueueBoundedAndDropsAreCounted()
    {
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        endpoint.Otherwise = ScriptedOtlpEndpoint.Hang();
        var warnings = new ConcurrentQueue<string>();
        var processor = new BoundedExportProcessor(Exporter(endpoint.Url, timeoutMs: 500), new ExportQueueOptions
        {
            MaxQueueSize = 100,
            MaxBatchSize = 10,
            ScheduledDelay = TimeSpan.FromMilliseconds(20),
            Warn = warnings.Enqueue,
        });
        using var provider = Provider(processor);

        // Enqueueing never waits for the endpoint: 1,000 spans against a queue of 100.
        Emit(1000);

        // At most a queue and one batch in flight are kept; the rest are dropped and counted at once.
        Assert.True(processor.DroppedSpans >= 1000 - 100 - 10, $"dropped {processor.DroppedSpans}");
        Assert.Single(warnings);
        Assert.StartsWith("TracedLlm export: the export queue is full", warnings.Single(), StringComparison.Ordinal);
        provider.ForceFlush(100);
    }

    [Fact]
    public async Task SpansWaitForAFullBatchOrAFlushNotOneExportEach()
    {
        var batches = new ConcurrentQueue<int>();
        var processor = new BoundedExportProcessor(new CountingExporter(batches), new ExportQueueOptions
        {
            MaxBatchSize = 4,
            ScheduledDelay = TimeSpan.FromMinutes(10),
        });
        using var provider = Provider(processor);

        // Three spans are a partial batch: nothing is exported before the (long) scheduled delay.
        Emit(3);
        await Task.Delay(200);
        Assert.Empty(batches);

        // The fourth fills the batch, which goes at once and whole.
        Emit(1);
        await Eventually.HoldsAsync(() => !batches.IsEmpty, "a batch", TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { 4 }, batches);

        // A flush sends a partial batch without waiting for the delay.
        Emit(2);
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(new[] { 4, 2 }, batches);
        Assert.Equal(6, processor.ExportedSpans);
    }

    [Fact]
    public async Task ATimedOutShutDownThenDisposeEndsTheExportThreadQuietly()
    {
        // The exporter hangs in its first export, past the shut-down's timeout; the processor is
        // then disposed, and the export returns afterwards. Its thread must end without an
        // exception (one there would take the whole process down) and export nothing more.
        using var release = new ManualResetEventSlim();
        var batches = new ConcurrentQueue<int>();
        var processor = new BoundedExportProcessor(
            new BlockingExporter(batches, release),
            new ExportQueueOptions { MaxBatchSize = 2, ScheduledDelay = TimeSpan.FromMilliseconds(10) });
        var provider = Provider(processor);
        Emit(2);
        await Eventually.HoldsAsync(() => !batches.IsEmpty, "a batch", TimeSpan.FromSeconds(10));

        Emit(2);
        Assert.False(processor.Shutdown(100));
        processor.Dispose();
        release.Set();
        await Task.Delay(200);

        Assert.Equal(new[] { 2 }, batches);
        provider.Dispose();
    }

    [Fact]
    public async Task ABatchLargerThanTheQueueGoesOutWhenTheQueueIsFull()
    {
        var batches = new ConcurrentQueue<int>();
        using var provider = Provider(new BoundedExportProcessor(new CountingExporter(batches), new ExportQueueOptions
        {
            MaxQueueSize = 3,
            MaxBatchSize = 10,
            ScheduledDelay = TimeSpan.FromMinutes(10),
        }));

        // Ten spans could never be queued at once: three fill the queue and are one batch.
        Emit(3);
        await Eventually.HoldsAsync(() => !batches.IsEmpty, "a batch", TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { 3 }, batches);
    }

    [Fact]
    public void TheQueueSizesFollowOpenTelemetrysBatchProcessorVariables()
    {
        var saved = (
            Environment.GetEnvironmentVariable("OTEL_BSP_MAX_QUEUE_SIZE"),
            Environment.GetEnvironmentVariable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"));
        try
        {
            Environment.SetEnvironmentVariable("OTEL_BSP_MAX_QUEUE_SIZE", "8192");
            Environment.SetEnvironmentVariable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "not a number");
            var options = new ExportQueueOptions();
            Assert.Equal(8192, options.MaxQueueSize);
            Assert.Equal(512, options.MaxBatchSize);
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                new BoundedExportProcessor(
                    new CountingExporter(new ConcurrentQueue<int>()),
                    new ExportQueueOptions { MaxQueueSize = 0 }));
        }
        finally
        {
            Environment.SetEnvironmentVariable("OTEL_BSP_MAX_QUEUE_SIZE", saved.Item1);
            Environment.SetEnvironmentVariable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", saved.Item2);
        }
    }

    private static ExportQueueOptions Options(ConcurrentQueue<string> warnings) => new()
    {
        ScheduledDelay = TimeSpan.FromMilliseconds(20),
        WarningInterval = TimeSpan.FromMinutes(5),
        Warn = warnings.Enqueue,
    };

    private static OtlpTraceExporter Exporter(string url, int timeoutMs = 1000) => new(new OtlpExporterOptions
    {
        Endpoint = new Uri(url),
        Protocol = OtlpExportProtocol.HttpProtobuf,
        TimeoutMilliseconds = timeoutMs,
    });

    private static TracerProvider Provider(BoundedExportProcessor processor) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddProcessor(processor).Build()!;

    private static readonly ActivitySource Source = new("TracedLlm.Tests.ExportFaults");

    private static void Emit(int spans)
    {
        for (var i = 0; i < spans; i++)
        {
            using var activity = Source.StartActivity("span");
        }
    }

    private static MeterListener CountDropped(Action<long> add)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "tracedllm.export.dropped_spans")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => add(value));
        listener.Start();
        return listener;
    }

    /// <summary>Records the size of each batch it is given.</summary>
    private sealed class CountingExporter(ConcurrentQueue<int> batches) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            batches.Enqueue((int)batch.Count);
            return ExportResult.Success;
        }
    }

    private sealed class BlockingExporter(ConcurrentQueue<int> batches, ManualResetEventSlim release)
        : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            batches.Enqueue((int)batch.Count);
            release.Wait();
            return ExportResult.Success;
        }
    }
}
