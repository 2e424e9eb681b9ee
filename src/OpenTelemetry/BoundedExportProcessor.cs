using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Channels;
using OpenTelemetry;
using TracedLlm.Telemetry;

namespace TracedLlm.OpenTelemetry;

/// <summary>
/// Exports finished spans in batches off the request path, through a bounded queue. The request
/// path only tries to enqueue, so a slow, failing or hanging endpoint never slows a request and
/// memory stays bounded; every span that is not delivered (queue full, or export failed) is
/// counted in <see cref="DroppedSpans"/> and the <c>tracedllm.export.dropped_spans</c> counter, with
/// a warning at most once per <see cref="ExportQueueOptions.WarningInterval"/>. Export resumes as
/// soon as the endpoint answers again.
/// </summary>
public sealed class BoundedExportProcessor : BaseExportProcessor<Activity>
{
    private static readonly Counter<long> DroppedCounter = TracedLlmTelemetry.Meter.CreateCounter<long>(
        "tracedllm.export.dropped_spans", "{span}", "Spans not delivered to the exporter: queue full or export failed.");

    private readonly ExportQueueOptions _options;
    private readonly int _batchSize;
    private readonly Channel<Activity> _queue;
    private readonly Thread _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _flushed = new(0);

    // Wakes the loop before the scheduled delay: set when a full batch is queued, a flush is asked
    // for, or the processor shuts down. Spans in between wake nothing. No spinning: the loop's wait
    // is long, and a spinning waiter would take a core from the requests.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

    // Flushes asked for and not yet done, plus one once shut-down starts: while non-zero, no waiting.
    private int _urgent;
    private long _dropped;
    private long _exported;
    private long _lastWarning;
    private int _disposed;

    /// <summary>Starts the export loop. (Deriving from BaseExportProcessor hands the provider, and so its resource, to the exporter.)</summary>
    public BoundedExportProcessor(BaseExporter<Activity> exporter, ExportQueueOptions? options = null)
        : base(exporter ?? throw new ArgumentNullException(nameof(exporter)))
    {
        _options = options ?? new ExportQueueOptions();
        if (_options.MaxQueueSize < 1 || _options.MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxQueueSize and MaxBatchSize must be at least 1.");
        }

        // A batch larger than the queue could never fill: it is the queue's size then.
        _batchSize = Math.Min(_options.MaxBatchSize, _options.MaxQueueSize);
        _queue = Channel.CreateBounded<Activity>(
            new BoundedChannelOptions(_options.MaxQueueSize) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Dropped(1, "the export queue is full"));

        // A thread of its own, as OpenTelemetry's batch processor has: exporters are synchronous
        // (OTLP/HTTP blocks on its send), so a hanging endpoint holds this thread for its timeout,
        // never a thread-pool thread the requests need.
        _loop = new Thread(ExportLoop) { IsBackground = true, Name = "TracedLlm span export" };
        _loop.Start();
    }

    /// <summary>Spans not delivered since start: queue full or export failed.</summary>
    public long DroppedSpans => Interlocked.Read(ref _dropped);

    /// <summary>Spans delivered since start.</summary>
    public long ExportedSpans => Interlocked.Read(ref _exported);

    /// <inheritdoc />
    protected override void OnExport(Activity data)
    {
        if (_queue.Writer.TryWrite(data) && _queue.Reader.Count >= _batchSize)
        {
            Wake();
        }
    }

    /// <inheritdoc />
    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        Interlocked.Increment(ref _urgent);
        _queue.Writer.TryWrite(FlushMarker.Instance);
        Wake();
        return _flushed.Wait(timeoutMilliseconds < 0 ? Timeout.Infinite : timeoutMilliseconds) && exporter.ForceFlush(timeoutMilliseconds);
    }

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        Interlocked.Increment(ref _urgent);
        _queue.Writer.TryComplete();
        Wake();
        var finished = _loop.Join(timeoutMilliseconds < 0 ? Timeout.Infinite : timeoutMilliseconds);
        StopLoop();
        return finished && exporter.Shutdown(timeoutMilliseconds);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The loop may still run (no shut-down, or one that timed out): stop it first.
            StopLoop();
            _stop.Dispose();
            _flushed.Dispose();
            _wake.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ExportLoop()
    {
        try
        {
            ExportUntilShutDown();
        }
        catch (ObjectDisposedException)
        {
            // Disposed without a shut-down (or after one timed out): nothing is left to export to.
        }
    }

    private void ExportUntilShutDown()
    {
        var batch = new Activity[_batchSize];
        var reader = _queue.Reader;
        while (true)
        {
            var count = 0;
            var flush = false;
            try
            {
                // A partial batch (or none) waits for the scheduled delay, a full batch, a flush or shut-down.
                if (reader.Count < batch.Length && Volatile.Read(ref _urgent) == 0)
                {
                    _wake.Wait(_options.ScheduledDelay, _stop.Token);
                }

                // Reset before draining: a wake set from here on is for spans this drain may miss.
                _wake.Reset();

                while (count < batch.Length && reader.TryRead(out var item))
                {
                    if (ReferenceEquals(item, FlushMarker.Instance))
                    {
                        flush = true;
                        break;
                    }

                    batch[count++] = item;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (count > 0)
            {
                Export(batch, count);
            }

            if (flush)
            {
                Interlocked.Decrement(ref _urgent);
                _flushed.Release();
            }
            else if (count == 0)
            {
                if (reader.Completion.IsCompleted)
                {
                    // Shut down, and every queued span handed to the exporter.
                    return;
                }

                if (Volatile.Read(ref _urgent) != 0)
                {
                    // A flush's marker is on its way into the queue: let its writer run.
                    Thread.Yield();
                }
            }
        }
    }

    private void StopLoop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: the loop has been stopped.
        }
    }

    private void Wake()
    {
        try
        {
            if (!_wake.IsSet)
            {
                _wake.Set();
            }
        }
        catch (ObjectDisposedException)
        {
            // Shut down already.
        }
    }

    private void Export(Activity[] batch, int count)
    {
        ExportResult result;
        try
        {
            result = exporter.Export(new Batch<Activity>(batch, count));
        }
        catch (Exception)
        {
            // An exporter must not throw; if one does, its spans are lost like a failed export's.
            result = ExportResult.Failure;
        }

        if (result == ExportResult.Success)
        {
            Interlocked.Add(ref _exported, count);
        }
        else
        {
            Dropped(count, "the exporter could not deliver a batch");
        }

        Array.Clear(batch, 0, count);
    }

    private void Dropped(long spans, string why)
    {
        var total = Interlocked.Add(ref _dropped, spans);
        DroppedCounter.Add(spans);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == 0 || Stopwatch.GetElapsedTime(last, now) >= _options.WarningInterval) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            _options.Warn($"TracedLlm export: {why}; {total} span(s) dropped so far. Requests are not affected.");
        }
    }

    /// <summary>A queue entry that asks the loop to export what it holds now.</summary>
    private sealed class FlushMarker : Activity
    {
        public static readonly FlushMarker Instance = new();

        private FlushMarker()
            : base("tracedllm.flush")
        {
        }
    }
}

/// <summary>The export queue's limits and its warning channel.</summary>
public sealed class ExportQueueOptions
{
    /// <summary>Spans held at most while the exporter is busy; more are dropped and counted. Default: <c>OTEL_BSP_MAX_QUEUE_SIZE</c>, else 2048.</summary>
    public int MaxQueueSize { get; init; } = FromEnvironment("OTEL_BSP_MAX_QUEUE_SIZE", 2048);

    /// <summary>Spans per export call. Default: <c>OTEL_BSP_MAX_EXPORT_BATCH_SIZE</c>, else 512.</summary>
    public int MaxBatchSize { get; init; } = FromEnvironment("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512);

    /// <summary>How long a partial batch waits for more spans. Default: <c>OTEL_BSP_SCHEDULE_DELAY</c> (ms), else 1 s.</summary>
    public TimeSpan ScheduledDelay { get; init; } = TimeSpan.FromMilliseconds(FromEnvironment("OTEL_BSP_SCHEDULE_DELAY", 1000));

    /// <summary>The shortest time between two dropped-span warnings. Default 30 s.</summary>
    public TimeSpan WarningInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where warnings go. Default: standard error.</summary>
    public Action<string> Warn { get; init; } = message => Console.Error.WriteLine(message);

    // The OpenTelemetry batch span processor's variables; a value that is not a positive integer is ignored.
    private static int FromEnvironment(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var value) && value > 0 ? value : fallback;
}
