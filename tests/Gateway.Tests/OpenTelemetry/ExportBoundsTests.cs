using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry.Trace;
using static TracedLlm.Gateway.Tests.ExportRetryTests;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Flushes and shut-downs end within their documented bounds (<see cref="ExportQueueOptions.FlushTimeout"/>,
/// <see cref="ExportQueueOptions.ShutdownTimeout"/>) against an endpoint that fails for ever (503) and
/// one that accepts and never answers, and say what they left: a flush leaves the spans to be tried
/// again (not dropped), a shut-down counts them as <c>shutdown_timeout</c>. The bounds are asserted
/// with a generous margin: that they are honoured, not how fast.
/// </summary>
public sealed class ExportBoundsTests : IDisposable
{
    // Above the bound, what a loaded two-core machine may add: thread wake-ups, a cancelled send's settling.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(8);
    private readonly DropCounter _drops = new();

    public void Dispose() => _drops.Dispose();

    [Theory]
    [InlineData("503")]
    [InlineData("hang")]
    public async Task AFlushWithNoTimeoutEndsWithinFlushTimeoutAndLeavesTheSpansToBeTriedAgain(string fault)
    {
        await using var endpoint = await Failing(fault);
        var (processor, warnings) = Bounded(endpoint);
        using var provider = Provider(processor);
        Emit("span", 5);

        var flush = Stopwatch.StartNew();
        var flushed = await Task.Run(() => provider.ForceFlush()).WaitAsync(TimeSpan.FromSeconds(60));
        flush.Stop();

        Assert.False(flushed);
        Assert.InRange(flush.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(1) + Margin);
        Assert.Equal(1, processor.FlushTimeouts);
        Assert.Contains(
            "TracedLlm export: a flush's 1 s ran out with 5 span(s) not yet delivered; they stay queued and are "
            + "tried again.",
            warnings);

        // Not dropped: they are still tried (503: again and again; hanging: the one try goes on).
        Assert.Equal(0, processor.DroppedSpans);
        Assert.NotEmpty(endpoint.Requests);
        Assert.Empty(endpoint.Delivered);
    }

    [Theory]
    [InlineData("503")]
    [InlineData("hang")]
    public async Task DisposingTheProviderEndsWithinShutdownTimeoutAndCountsWhatWasNotDelivered(string fault)
    {
        await using var endpoint = await Failing(fault);
        var (processor, warnings) = Bounded(endpoint);
        var provider = Provider(processor);
        Emit("span", 6);

        // The batch has been tried at least once: the shut-down finds it retrying or hanging.
        await Eventually.HoldsAsync(() => endpoint.Requests.Count > 0, "the endpoint to be tried");

        var shutdown = Stopwatch.StartNew();
        await Task.Run(provider.Dispose).WaitAsync(TimeSpan.FromSeconds(60));
        shutdown.Stop();

        Assert.InRange(shutdown.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1) + Margin);

        // A send the shut-down cancelled counts its spans as it settles, which may be just after.
        await Eventually.HoldsAsync(
            () => _drops.Count("shutdown_timeout") >= 6,
            "the cancelled send's drops to be counted");
        Assert.Equal(6, _drops.Count("shutdown_timeout"));
        Assert.Equal(6, processor.DroppedSpans);
        Assert.Equal(0, processor.ExportedSpans);
        Assert.Empty(endpoint.Delivered);
        Assert.Contains(
            "TracedLlm export: the shut-down's 1 s ran out with 6 span(s) undelivered; they are dropped.",
            warnings);
    }

    [Fact]
    public async Task ASendAbandonedWhileTheShutDownReadsItsCountsIsCountedOnce()
    {
        // The cancelled send reports its drop (the counter's measurement) and is held there, while
        // the shut-down waits for it and reads what was lost: it must be counted as dropped or as
        // still in flight, never both. 13 spans: a count no other test's shut-down drops.
        const int Spans = 13;
        using var held = new ManualResetEventSlim();
        using var reporting = new ManualResetEventSlim();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == BoundedExportProcessor.DroppedSpansInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (value == Spans && tags.ToArray().Any(t => t.Key == BoundedExportProcessor.ReasonTag
                && (string?)t.Value == "shutdown_timeout"))
            {
                reporting.Set();
                held.Wait(TimeSpan.FromSeconds(30));
            }
        });
        listener.Start();

        await using var endpoint = await Failing("hang");
        var (processor, warnings) = Bounded(endpoint);
        var provider = Provider(processor);
        Emit("span", Spans);
        await Eventually.HoldsAsync(() => endpoint.Requests.Count > 0, "the endpoint to be tried");

        var shutdown = Task.Run(provider.Dispose);
        try
        {
            await shutdown.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            held.Set();
        }

        // Cancelled, the send ends at once and reports during the shut-down's wait for it, or just after.
        await Eventually.HoldsAsync(() => reporting.IsSet, "the cancelled send to report its drop");
        var lost = Assert.Single(warnings, w => w.EndsWith("undelivered; they are dropped.", StringComparison.Ordinal));
        Assert.Equal(
            $"TracedLlm export: the shut-down's 1 s ran out with {Spans} span(s) undelivered; they are dropped.",
            lost);
        Assert.Equal(Spans, processor.DroppedSpans);
    }

    [Fact]
    public async Task AFlushGivenATimeoutKeepsItAndAnInfiniteFlushTimeoutWaitsUntilDelivered()
    {
        await using var endpoint = (await ScriptedOtlpEndpoint.StartAsync()).Then(
            ScriptedOtlpEndpoint.Status(503),
            ScriptedOtlpEndpoint.Status(503));
        var processor = Processor(
            endpoint.Url,
            options: o =>
            {
                o.FlushTimeout = System.Threading.Timeout.InfiniteTimeSpan;
                o.RetryInitialBackoff = TimeSpan.FromMilliseconds(600);
                o.RetryMaxBackoff = TimeSpan.FromMilliseconds(600);
            });
        using var provider = Provider(processor);
        Emit("span", 3);

        // 100 ms given: false before the second try, whatever FlushTimeout says.
        Assert.False(provider.ForceFlush(100));

        // No timeout, and an infinite FlushTimeout: waits for the third try's 200.
        Assert.True(await Task.Run(() => provider.ForceFlush()).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(3, endpoint.Requests.Count);
        Assert.Equal(3, endpoint.Delivered.Count);
        Assert.Equal(1, processor.FlushTimeouts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void AFlushTimeoutThatIsNeitherPositiveNorInfiniteIsRefused(int milliseconds)
    {
        var options = new ExportQueueOptions { FlushTimeout = TimeSpan.FromMilliseconds(milliseconds) };
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new BoundedExportProcessor(new ThrowingExporter(), options));
        Assert.Contains(
            "TracedLlm:Export:FlushTimeout must be positive, or infinite (-00:00:00.001) (it is "
            + $"{TimeSpan.FromMilliseconds(milliseconds)}).",
            refused.Message);
    }

    // Flush and shut-down bounds of a second; an exporter timeout far past them (a hanging try never ends by itself).
    private static (BoundedExportProcessor Processor, ConcurrentQueue<string> Warnings) Bounded(
        ScriptedOtlpEndpoint endpoint)
    {
        var warnings = new ConcurrentQueue<string>();
        var processor = Processor(endpoint.Url, timeoutMs: 120_000, options: o =>
        {
            o.FlushTimeout = TimeSpan.FromSeconds(1);
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
            o.Warn = warnings.Enqueue;
        });
        return (processor, warnings);
    }

    private static async Task<ScriptedOtlpEndpoint> Failing(string fault)
    {
        var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        endpoint.Otherwise = fault == "hang" ? ScriptedOtlpEndpoint.Hang() : ScriptedOtlpEndpoint.Status(503);
        return endpoint;
    }

    private sealed class ThrowingExporter : OpenTelemetry.BaseExporter<Activity>
    {
        public override OpenTelemetry.ExportResult Export(in OpenTelemetry.Batch<Activity> batch) =>
            throw new InvalidOperationException("never called");
    }
}
