using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The export queue under pressure: bounded in bytes as well as spans, a request's share that one
/// huge request cannot pass, a full queue that refuses the newcomer and never evicts, flushes that a
/// full queue cannot lose, an export thread that blocks instead of spinning, and a shut-down bound.
/// </summary>
public sealed class ExportQueueTests : IDisposable
{
    private static readonly ActivitySource Source = new("TracedLlm.Tests.ExportQueue");
    private readonly ActivityListener _listener;
    private readonly DropCounter _drops = new();

    public ExportQueueTests()
    {
        // Every span recorded, so that requests built here are whole trees with in-process parents.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source == Source,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _drops.Dispose();
    }

    [Fact]
    public void TheEstimateCountsWhatASpanHolds()
    {
        using var small = Source.StartActivity("small")!;
        small.Stop();
        Assert.Equal(SpanSize.Span + 24 + (2 * "small".Length), SpanSize.Estimate(small));

        // Lengths, not contents: an 8 MB attribute is 16 MB of UTF-16, however cheap to measure.
        using var huge = Source.StartActivity("huge")!;
        huge.SetTag("gen_ai.request.model", new string('m', 8 * 1024 * 1024));
        huge.AddEvent(
            new ActivityEvent(
                "tracedllm.invalid_trace_context",
                tags: new ActivityTagsCollection { ["tracedllm.field"] = "traceparent" }));
        huge.AddLink(
            new ActivityLink(
                new ActivityContext(
                    ActivityTraceId.CreateRandom(),
                    ActivitySpanId.CreateRandom(),
                    ActivityTraceFlags.None)));
        huge.SetTag("langfuse.trace.tags", new[] { "a", "b" });
        huge.Stop();
        var estimate = SpanSize.Estimate(huge);
        Assert.InRange(estimate, 16L * 1024 * 1024, (16L * 1024 * 1024) + 2048);
    }

    [Fact]
    public void TheEstimatesFixedPartIsWhatAnEndedSpanAllocates()
    {
        static long Allocated()
        {
            using var parent = Source.StartActivity("parent", ActivityKind.Server);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var span = Source.StartActivity("litellm_request", ActivityKind.Client)!;
            span.Stop();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        for (var i = 0; i < 200; i++)
        {
            Allocated();
        }

        Assert.InRange(SpanSize.Span, Allocated() * 3 / 4, Allocated() * 3 / 2);
    }

    [Fact]
    public async Task AFullQueueRefusesTheNewcomerAndKeepsEveryQueuedSpan()
    {
        using var release = new ManualResetEventSlim();
        var exported = new ConcurrentQueue<string>();
        var exporter = new ThreadRecordingExporter(exported, release);
        var processor = new BoundedExportProcessor(
            exporter,
            Quiet(new ExportQueueOptions { MaxQueueSize = 10, MaxBatchSize = 10 }));
        using var provider = Provider(processor);

        // Ten spans fill a batch, which the exporter holds: the queue is empty and nothing drains it.
        for (var i = 0; i < 10; i++)
        {
            Request($"held-{i}", children: 0, attributeBytes: 0);
        }

        await Eventually.HoldsAsync(() => exporter.ThreadId is not null);

        // Twenty one-span requests, each its own trace: the first ten are queued, the rest refused.
        for (var i = 0; i < 20; i++)
        {
            Request($"request-{i}", children: 0, attributeBytes: 0);
        }

        Assert.Equal(10, processor.QueuedSpans);
        release.Set();
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(
            Enumerable
                .Range(0, 10)
                .Select(i => $"held-{i}")
                .Concat(Enumerable.Range(0, 10).Select(i => $"request-{i}")),
            exported);
        Assert.Equal(10, processor.DroppedSpans);
        Assert.Equal(10, _drops.Count("queue_full"));
    }

    [Fact]
    public void TheQueueIsBoundedInBytesAndRefusesTheNewcomer()
    {
        var exported = new ConcurrentQueue<string>();
        var processor = new BoundedExportProcessor(new NamingExporter(exported), Quiet(new ExportQueueOptions
        {
            MaxQueueSize = 10_000,
            MaxBatchSize = 10_000,
            MaxQueueBytes = 100_000,
            MaxQueueBytesPerRequest = 100_000,
        }));
        using var provider = Provider(processor);

        // Spans of about 10 KB, each its own request: ten are too many for 100,000 bytes.
        for (var i = 0; i < 20; i++)
        {
            Request($"request-{i}", children: 0, attributeBytes: 10_000);
        }

        Assert.InRange(processor.QueuedBytes, 80_000, 100_000);
        var queued = processor.QueuedSpans;
        Assert.InRange(queued, 8, 9);
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(Enumerable.Range(0, queued).Select(i => $"request-{i}"), exported);
        Assert.Equal(20 - queued, _drops.Count("queue_bytes"));
        Assert.Equal(0, processor.QueuedBytes);
    }

    [Fact]
    public void OneHugeRequestPaysForItsOwnSizeAndOthersLoseNothing()
    {
        var exported = new ConcurrentQueue<string>();
        var processor = new BoundedExportProcessor(new NamingExporter(exported), Quiet(new ExportQueueOptions
        {
            MaxQueueSize = 10_000,
            MaxBatchSize = 10_000,
            MaxQueueBytes = 2_000_000,
            MaxQueueBytesPerRequest = 200_000,
        }));
        using var provider = Provider(processor);

        // A hostile request of 50 spans of 100 KB each, between well-behaved requests of seven small spans.
        Request("polite-before", children: 6, attributeBytes: 100);
        Request("hostile", children: 49, attributeBytes: 50_000);
        for (var i = 0; i < 20; i++)
        {
            Request($"polite-{i}", children: 6, attributeBytes: 100);
        }

        Assert.True(provider.ForceFlush(10_000));

        // Every well-behaved span arrived; the hostile request kept what fits its share, no more.
        Assert.Equal(21 * 7, exported.Count(name => name.StartsWith("polite", StringComparison.Ordinal)));
        var hostileKept = exported.Count(name => name.StartsWith("hostile", StringComparison.Ordinal));
        Assert.InRange(hostileKept, 1, 200_000 / 50_000);
        Assert.Equal(50 - hostileKept, _drops.Count("request_share"));
        Assert.Equal(0, _drops.Count("queue_full") + _drops.Count("queue_bytes"));

        // Its share is freed once exported: the next request of the same size is treated the same.
        Request("hostile-again", children: 49, attributeBytes: 50_000);
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(hostileKept, exported.Count(name => name.StartsWith("hostile-again", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AFlushAskedWithAFullQueueIsNotLostAndTheExportThreadThenBlocks()
    {
        // The exporter holds its first batch until released; meanwhile the queue fills up and a
        // flush is asked for. (A flush marker put into the full queue used to be dropped, leaving the
        // loop spinning on Thread.Yield at a whole core.)
        using var release = new ManualResetEventSlim();
        var exported = new ConcurrentQueue<string>();
        var exporter = new ThreadRecordingExporter(exported, release);
        var processor = new BoundedExportProcessor(exporter, Quiet(new ExportQueueOptions
        {
            MaxQueueSize = 8,
            MaxBatchSize = 4,
            ScheduledDelay = TimeSpan.FromMilliseconds(200),
        }));
        using var provider = Provider(processor);
        for (var i = 0; i < 4; i++)
        {
            Request($"first-{i}", children: 0, attributeBytes: 0);
        }

        await Eventually.HoldsAsync(() => exporter.ThreadId is not null);
        for (var i = 0; i < 12; i++)
        {
            Request($"second-{i}", children: 0, attributeBytes: 0);
        }

        Assert.Equal(8, processor.QueuedSpans);
        Assert.Equal(4, _drops.Count("queue_full"));
        Assert.False(provider.ForceFlush(100));
        var flushing = Task.Run(() => provider.ForceFlush(Timeout.Infinite));

        release.Set();

        // The flush asked while the queue was full completes with everything that was queued.
        Assert.True(await flushing.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(12, exported.Count);
        Assert.Equal(0, processor.QueuedSpans);

        // Idle now: over two seconds the export thread blocks (a few scheduled wake-ups, about no
        // CPU). A spinning thread would use most of the window even on a loaded machine.
        var cpuBefore = ThreadCpu(exporter.ThreadId!.Value);
        var waitsBefore = processor.Waits;
        var window = Stopwatch.StartNew();
        await Task.Delay(2000);
        var cpu = ThreadCpu(exporter.ThreadId.Value) - cpuBefore;
        var waits = processor.Waits - waitsBefore;
        window.Stop();
        Assert.True(
            cpu < TimeSpan.FromMilliseconds(200),
            $"export thread used {cpu.TotalMilliseconds} ms of CPU in {window.ElapsedMilliseconds} ms");
        Assert.InRange(waits, 1, (window.ElapsedMilliseconds / 200) + 2);
    }

    [Fact]
    public async Task AShutDownEndsWithinItsBoundWhenTheExporterHangs()
    {
        using var release = new ManualResetEventSlim();
        var warnings = new ConcurrentQueue<string>();
        var exporter = new ThreadRecordingExporter(new ConcurrentQueue<string>(), release);
        var processor = new BoundedExportProcessor(exporter, new ExportQueueOptions
        {
            MaxBatchSize = 2,

            // Long: the first export must be the full batch of the request's two spans. A short delay
            // could export the child alone before its parent ends (and the counts below would differ).
            ScheduledDelay = TimeSpan.FromMinutes(10),
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            Warn = warnings.Enqueue,
        });
        var provider = Provider(processor);
        Request("in-flight", children: 1, attributeBytes: 0);
        await Eventually.HoldsAsync(() => exporter.ThreadId is not null);
        Request("queued", children: 4, attributeBytes: 0);

        // Asked to wait for ever, it waits for its own bound.
        var shutdown = Task.Run(() => processor.Shutdown(Timeout.Infinite));
        Assert.False(await shutdown.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(
            "TracedLlm export: the shut-down's 0.3 s ran out with 2 span(s) being exported and 5 queued; they are "
            + "dropped.",
            warnings);
        Assert.Equal(5, _drops.Count("shutdown_timeout"));

        // A span that ends after the shut-down is counted too.
        Request("late", children: 0, attributeBytes: 0);
        Assert.Equal(1, _drops.Count("shut_down"));
        release.Set();
        provider.Dispose();
    }

    private static ExportQueueOptions Quiet(ExportQueueOptions options)
    {
        options.ScheduledDelay =
            options.ScheduledDelay == TimeSpan.FromSeconds(1) ? TimeSpan.FromMinutes(10) : options.ScheduledDelay;
        options.Warn = _ => { };
        return options;
    }

    private static TracerProvider Provider(BoundedExportProcessor processor) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddProcessor(processor).Build()!;

    // One request: a server span with children, each with one attribute of the given size.
    private static void Request(string name, int children, int attributeBytes)
    {
        using var server = Source.StartActivity(name, ActivityKind.Server, parentContext: default)!;
        for (var i = 0; i < children; i++)
        {
            using var child = Source.StartActivity($"{name}/{i}")!;
            if (attributeBytes > 0)
            {
                child.SetTag("payload", new string('x', attributeBytes / 2));
            }
        }

        if (attributeBytes > 0)
        {
            server.SetTag("payload", new string('x', attributeBytes / 2));
        }
    }

    [Fact]
    public async Task TheExportThreadStepsAsideWhileTheQueueIsShortAndComesBackWhenSpansPileUp()
    {
        // A batch of 4 is exported while nothing waits behind it: under SCHED_IDLE where the
        // thread may come back (Linux, permitted), else as an equal. The exporter then holds a batch
        // while two more batches pile up behind it: a request thread brings the export
        // thread back to the normal policy before the held batch is released. It stays the
        // requests' equal for the hold after the pile-up, and steps aside again once that has passed.
        var hold = TimeSpan.FromSeconds(3);
        using var release = new ManualResetEventSlim();
        var exported = new ConcurrentQueue<string>();
        var exporter = new PolicyRecordingExporter(exported, release);
        var processor = new BoundedExportProcessor(
            exporter,
            Quiet(
                new ExportQueueOptions
                {
                    MaxQueueSize = 100,
                    MaxBatchSize = 4,
                    YieldToRequests = true
                }),
            warn: null,
            equalHold: hold);
        using var provider = Provider(processor);
        for (var i = 0; i < 4; i++)
        {
            Request($"first-{i}", children: 0, attributeBytes: 0);
        }

        await Eventually.HoldsAsync(() => exporter.Policies.Count == 1);
        var canStepAside = processor.StepsAside;
        Assert.Equal(OperatingSystem.IsLinux() && CanLeaveIdlePolicy(), canStepAside);
        Assert.Equal(canStepAside, exporter.Policies.Single());
        Assert.Equal(canStepAside, exporter.PolicyNow());

        // Twelve: whenever the export thread takes its next batch of 4, 8 (two batches) wait behind it.
        for (var i = 0; i < 12; i++)
        {
            Request($"second-{i}", children: 0, attributeBytes: 0);
        }

        await Eventually.HoldsAsync(() => exporter.Policies.Count == 2);
        var piledUp = Stopwatch.GetTimestamp();
        Assert.False(exporter.PolicyNow());
        release.Set();

        // No flush here: a batch a flush waits for runs as an equal anyway.
        await Eventually.HoldsAsync(() => exported.Count == 16);
        var drained = Stopwatch.GetTimestamp();

        // The last of those batches had nothing behind it, and still ran as an equal: within the hold.
        Assert.True(Stopwatch.GetElapsedTime(piledUp) < hold, "the test was too slow to observe the hold");
        Assert.Equal(4, exporter.Policies.Count);
        Assert.DoesNotContain(true, exporter.Policies.Skip(2));

        // Once the hold has passed with the queue short, a lone batch steps aside again. The last
        // pile-up was seen before the queue drained, so the hold has passed a hold after that.
        await Task.Delay(hold - Stopwatch.GetElapsedTime(drained) + TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 4; i++)
        {
            Request($"third-{i}", children: 0, attributeBytes: 0);
        }

        await Eventually.HoldsAsync(() => exporter.Policies.Count == 5);
        Assert.Equal(canStepAside, exporter.Policies.Last());
        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(20, exported.Count);

        // With the option off (the default) the thread never steps aside.
        Assert.False(new ExportQueueOptions().YieldToRequests);
        var plain = new PolicyRecordingExporter(new ConcurrentQueue<string>(), release);
        using var plainProvider = Provider(
            new BoundedExportProcessor(plain, Quiet(new ExportQueueOptions { MaxBatchSize = 1 })));
        Request("plain", children: 0, attributeBytes: 0);
        Assert.True(plainProvider.ForceFlush(10_000));
        await Eventually.HoldsAsync(() => !plain.Policies.IsEmpty);
        Assert.DoesNotContain(true, plain.Policies);
    }

    // Whether this process may leave SCHED_IDLE (root, CAP_SYS_NICE or RLIMIT_NICE >= 20), tried on a thread of its
    // own.
    private static bool CanLeaveIdlePolicy()
    {
        var result = false;
        var thread = new Thread(() =>
            result = ExportThreadScheduling.Apply(background: true) && ExportThreadScheduling.Apply(background: false));
        thread.Start();
        thread.Join();
        return result;
    }

    // A thread's user + system CPU time, from /proc (clock ticks of 10 ms).
    private static TimeSpan ThreadCpu(int threadId)
    {
        var stat = File.ReadAllText($"/proc/self/task/{threadId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks =
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    [Theory]
    [InlineData(32, 0, 32, true)] // keeping up: a piece, then the core to any waiting request
    [InlineData(100, 64, 32, true)]
    [InlineData(20, 0, 20, true)] // a flush's or the delay's partial piece
    [InlineData(511, 480, 32, true)]
    [InlineData(40, 500, 12,
        true)] // a piece never takes the open batch past its size (a batch size not a multiple of 32)
    [InlineData(512, 0, 512, false)] // a batch waits: the whole batch at once, no yield
    [InlineData(600, 96, 416, false)] // behind: what completes the open batch
    [InlineData(16384, 500, 12, false)]
    public void WhileTheExportKeepsUpItSerializesPiecesAndYieldsAndOnceABatchWaitsItCompletesTheOpenBatchAtOnce(
        int pending,
        int openSpans,
        int spans,
        bool yieldAfter)
    {
        // On a saturated core a yield per piece sent the export thread behind every ready request
        // thread until the queue filled (bench/results/2026-11-25-export-at-saturation.md): once a
        // batch or more waits, it serializes without yielding and catches up.
        Assert.Equal(
            (spans, yieldAfter),
            BoundedExportProcessor.NextPiece(pending, openSpans, batchSize: 512, pieceSize: 32));
    }

    /// <summary>Records the names of the spans it exports.</summary>
    private class NamingExporter(ConcurrentQueue<string> names) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var span in batch)
            {
                names.Enqueue(span.DisplayName);
            }

            return ExportResult.Success;
        }
    }

    /// <summary>Records the export thread's OS id, and holds every batch until released.</summary>
    private sealed class ThreadRecordingExporter(ConcurrentQueue<string> names, ManualResetEventSlim release)
        : NamingExporter(names)
    {
        public int? ThreadId { get; private set; }

        public override ExportResult Export(in Batch<Activity> batch)
        {
            // /proc/thread-self is a link to /proc/<pid>/task/<tid> of the calling thread.
            ThreadId ??= int.Parse(
                Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!),
                CultureInfo.InvariantCulture);
            release.Wait();
            return base.Export(batch);
        }
    }

    /// <summary>
    /// Records whether each batch was exported under SCHED_IDLE; holds batches after the first until released.
    /// </summary>
    private sealed class PolicyRecordingExporter(ConcurrentQueue<string> names, ManualResetEventSlim release)
        : NamingExporter(names)
    {
        private int _threadId;

        public ConcurrentQueue<bool> Policies { get; } = new();

        // The export thread's policy now, read from /proc by another thread: SCHED_IDLE is 5.
        public bool PolicyNow()
        {
            foreach (var line in File.ReadAllLines($"/proc/self/task/{_threadId}/sched"))
            {
                if (line.StartsWith("policy", StringComparison.Ordinal))
                {
                    return line.Split(':')[1].Trim() == "5";
                }
            }

            throw new InvalidOperationException("no policy line");
        }

        public override ExportResult Export(in Batch<Activity> batch)
        {
            _threadId = int.Parse(
                Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!),
                CultureInfo.InvariantCulture);
            Policies.Enqueue(ExportThreadScheduling.IsBackground());
            if (Policies.Count > 1)
            {
                release.Wait();
            }

            return base.Export(batch);
        }
    }
}
