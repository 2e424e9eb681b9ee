using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Exports finished spans in batches off the request path, through a queue bounded in spans and in
/// bytes. The request path only tries to enqueue, so a slow, failing or hanging endpoint never slows
/// a request and memory stays bounded. A request's spans may hold only their share of the bytes
/// (<see cref="ExportQueueOptions.MaxQueueBytesPerRequest"/>), and a full queue refuses the newcomer:
/// a queued span is never evicted, so one huge request pays for its own size and no one else's.
/// Built for OTLP (<see cref="BoundedExportProcessor(OtlpExporterOptions, ExportQueueOptions?)"/>, what
/// <c>AddTracedLlmOtlpExporter</c> and <c>AddTracedLlmLangfuseExporter</c> use), it serializes the
/// queue in small pieces as spans arrive, with OpenTelemetry's own OTLP serializer, giving the core
/// back to requests between pieces while it keeps up (once a batch waits behind it, it catches up
/// without yielding), and delivers the batches with retries, several at once, from a
/// memory buffer bounded in bytes and an optional disk buffer (<see cref="OtlpDelivery"/>). Built
/// around any other exporter, it
/// hands that exporter whole batches and does not retry.
/// Every span that is not delivered is counted in <see cref="DroppedSpans"/> and in the
/// <c>tracedllm.export.dropped_spans</c> counter with its <c>reason</c>, with a warning at most once
/// per <see cref="ExportQueueOptions.WarningInterval"/>. Flush and shut-down requests never travel
/// through the queue, so a full queue cannot lose them; the export thread blocks whenever it has
/// nothing to do. A shut-down delivers what is queued within <see cref="ExportQueueOptions.ShutdownTimeout"/>.
/// </summary>
public sealed class BoundedExportProcessor : BaseExportProcessor<Activity>
{
    /// <summary>The counter of spans not delivered.</summary>
    internal const string DroppedSpansInstrument = "tracedllm.export.dropped_spans";

    /// <summary>The counter's tag that says why: one of the <see cref="DropReason"/> names in snake case.</summary>
    internal const string ReasonTag = "reason";

    private static readonly Counter<long> DroppedCounter = TracedLlmTelemetry.Meter.CreateCounter<long>(
        DroppedSpansInstrument, "{span}", "Spans not delivered to the exporter, by reason: queue_full, queue_bytes, request_share, buffer_full, export_failed, shut_down, shutdown_timeout.");

    /// <summary>
    /// Spans serialized at a time for OTLP: a piece takes about a tenth of a millisecond on a slow
    /// core, and the export thread yields between pieces, so a request that wakes behind it waits for
    /// one piece at most, not for a whole batch (bench/README.md, "The export off the tail").
    /// </summary>
    internal const int PieceSize = 32;

    private readonly int _maxQueueSize;
    private readonly int _batchSize;
    private readonly long _maxQueueBytes;
    private readonly long _maxRequestBytes;
    private readonly TimeSpan _scheduledDelay;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeSpan _warningInterval;
    private readonly Action<string> _warn;

    // The queue and its accounting, under one short lock (the request path holds it to enqueue one span).
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _queue = new();
    private readonly Dictionary<ActivityTraceId, long> _requestBytes = new();
    private long _queuedBytes;
    private bool _closed;

    // Wakes the loop before the scheduled delay: set when a full batch is queued, a flush is asked
    // for, or the processor shuts down. No spinning: the loop's wait is long, and a spinning waiter
    // would take a core from the requests.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);

    // Flushes are numbers, not queue entries: the loop completes every flush asked for before it
    // began a drain, so a full queue can never lose one.
    private readonly object _flushGate = new();
    private long _flushRequested;
    private long _flushDone;

    private readonly Thread _loop;

    // OTLP: the exporter serializes pieces into _capture, sealed into batches of _batchSize spans (or
    // after the scheduled delay) and handed to _delivery. Null for any other exporter.
    private readonly OtlpCapture? _capture;
    private readonly OtlpDelivery? _delivery;
    private readonly int _wakeAt;
    private int _openSpans;
    private long _openedAt;

    // Stepping aside (ExportThreadScheduling): the export thread runs under SCHED_IDLE while the queue
    // is short, and the request path brings it back (by its thread id) once the spans behind it reach
    // _catchUp, so a busy gateway never starves it into dropping spans. After spans have piled up it
    // stays the requests' equal until _equalHold has passed with none piling up (_equalUntil, a
    // Stopwatch timestamp): a gateway whose export keeps falling behind keeps it there, instead of
    // starving it again before every batch; one that catches up steps aside again at most once a hold.
    private readonly int _catchUp;
    private readonly long _equalHold;
    private long _equalUntil;
    private readonly bool _yieldToRequests;
    private bool _canStepAside;
    private int _exportThreadId;
    private int _background;
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;
    private long _shutdownDropped;
    private long _exported;
    private long _lastWarning;
    private long _lastRetryWarning;
    private long _waits;
    private int _inFlight;
    private int _disposed;

    /// <summary>
    /// Starts the export loop around any exporter: it gets whole batches and its result is final (no
    /// retry). (Deriving from BaseExportProcessor hands the provider, and so its resource, to the exporter.)
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names each.</exception>
    // RS0027 asks the overload with an optional parameter to have the most parameters; the OTLP
    // overload below has as many, and their first parameters' types differ, so no call is ambiguous.
#pragma warning disable RS0027
    public BoundedExportProcessor(BaseExporter<Activity> exporter, ExportQueueOptions? options = null)
#pragma warning restore RS0027
        : this(exporter, options, warn: null)
    {
    }

    /// <summary>
    /// Starts the export loop for OTLP as <paramref name="otlp"/> says (endpoint, headers, timeout,
    /// protocol, compression, HTTP client): OpenTelemetry's <see cref="OtlpTraceExporter"/> serializes,
    /// and the processor sends, retries and buffers (<see cref="ExportQueueOptions"/>). The processor
    /// takes over <paramref name="otlp"/>'s <see cref="OtlpExporterOptions.HttpClientFactory"/> (it
    /// sends with the client it made).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names each.</exception>
    public BoundedExportProcessor(OtlpExporterOptions otlp, ExportQueueOptions? options)
        : this(OtlpSetup.Create(otlp), options, warn: null, diskSubdirectory: null)
    {
    }

    internal BoundedExportProcessor(OtlpSetup otlp, ExportQueueOptions? options, Action<string>? warn, string? diskSubdirectory, TimeSpan? equalHold = null)
        : this(otlp.Exporter, options, warn, equalHold, otlp, diskSubdirectory)
    {
    }

    internal BoundedExportProcessor(BaseExporter<Activity> exporter, ExportQueueOptions? options, Action<string>? warn, TimeSpan? equalHold = null, OtlpSetup? otlp = null, string? diskSubdirectory = null)
        : base(exporter ?? throw new ArgumentNullException(nameof(exporter)))
    {
        options ??= new ExportQueueOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentOutOfRangeException(nameof(options), string.Join(" ", problems));
        }

        _maxQueueSize = options.MaxQueueSize;

        // A batch larger than the queue could never fill: it is the queue's size then.
        _batchSize = Math.Min(options.MaxBatchSize, options.MaxQueueSize);
        _maxQueueBytes = options.MaxQueueBytes;
        _maxRequestBytes = options.MaxQueueBytesPerRequest;
        _scheduledDelay = options.ScheduledDelay;
        _shutdownTimeout = options.ShutdownTimeout;
        _warningInterval = options.WarningInterval;
        _warn = options.Warn ?? warn ?? (static message => Console.Error.WriteLine(message));
        _catchUp = Math.Max(1, Math.Min(2 * _batchSize, _maxQueueSize / 2));
        _yieldToRequests = options.YieldToRequests;
        _equalHold = (long)((equalHold ?? DefaultEqualHold).TotalSeconds * Stopwatch.Frequency);
        if (otlp is not null)
        {
            _capture = otlp.Capture;
            DiskExportBuffer? disk = null;
            if (options.DiskBufferDirectory is { } directory)
            {
                disk = DiskExportBuffer.Open(diskSubdirectory is null ? directory : System.IO.Path.Combine(directory, diskSubdirectory), options.MaxDiskBufferBytes, out var problem);
                if (problem is not null)
                {
                    _warn($"TracedLlm export: {problem}.");
                }

                if (disk?.CutShortSpans is > 0 and var cutShort)
                {
                    Dropped(cutShort, DropReason.ExportFailed, warn: false);
                    _warn($"TracedLlm export: the disk buffer held batches cut short (the machine stopped before they were written out); {cutShort} span(s) in them are dropped.");
                }
            }

            _delivery = new OtlpDelivery(otlp.Client, otlp.Capture, otlp.GrpcEndpoint, otlp.Gzip, options, disk, new Report(this));
            _delivery.Start();
        }

        // The piece size may be changed for a measurement only (bench/export "cost"), by the
        // AppContext switch TracedLlm.Export.PieceSize (runtimeconfig.json or AppContext.SetData).
        var pieceSize = AppContext.GetData("TracedLlm.Export.PieceSize") is string set && int.TryParse(set, out var asked) && asked > 0 ? asked : PieceSize;
        _wakeAt = _capture is null ? _batchSize : Math.Min(pieceSize, _batchSize);

        // A thread of its own, as OpenTelemetry's batch processor has: exporters are synchronous
        // (OTLP/HTTP blocks on its send), so a hanging endpoint holds this thread for its timeout,
        // never a thread-pool thread the requests need. (With OTLP, it only serializes.)
        _loop = new Thread(ExportLoop) { IsBackground = true, Name = "TracedLlm span export" };
        _loop.Start();
    }

    /// <summary>
    /// How long the export thread stays the requests' equal after spans last piled up behind it,
    /// before it steps aside again. A second: long beside a batch's export (milliseconds), short
    /// beside a burst of traffic, so a saturated gateway never starves its export thread.
    /// </summary>
    internal static TimeSpan DefaultEqualHold { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Why a span was not delivered.</summary>
    internal enum DropReason
    {
        /// <summary>The queue held <see cref="ExportQueueOptions.MaxQueueSize"/> spans.</summary>
        QueueFull,

        /// <summary>The span would have taken the queue past <see cref="ExportQueueOptions.MaxQueueBytes"/>.</summary>
        QueueBytes,

        /// <summary>The span would have taken its request past <see cref="ExportQueueOptions.MaxQueueBytesPerRequest"/>.</summary>
        RequestShare,

        /// <summary>The span's serialized batch would have taken the buffer past <see cref="ExportQueueOptions.MaxBufferedExportBytes"/> (and the disk buffer, if any, was full).</summary>
        BufferFull,

        /// <summary>The exporter did not deliver the span's batch, or the endpoint refused it for good.</summary>
        ExportFailed,

        /// <summary>The span ended after the processor shut down.</summary>
        ShutDown,

        /// <summary>The span was still queued when the shut-down's time ran out.</summary>
        ShutdownTimeout,
    }

    /// <summary>Spans not delivered since start, for any reason.</summary>
    public long DroppedSpans => Interlocked.Read(ref _dropped);

    /// <summary>Spans delivered since start.</summary>
    public long ExportedSpans => Interlocked.Read(ref _exported);

    /// <summary>The serialized bytes of OTLP batches held in memory now, waiting to be delivered.</summary>
    internal long BufferedExportBytes => _delivery?.MemoryBytes ?? 0;

    /// <summary>Failed rounds of export tries since the last delivery (the delivery sends one batch at a time while above zero).</summary>
    internal int ExportFailures => _delivery?.Failures ?? 0;

    /// <summary>The estimated bytes queued now.</summary>
    internal long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary>The spans queued now.</summary>
    internal int QueuedSpans
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>How often the export loop has blocked waiting for work (a loop that spins never does).</summary>
    internal long Waits => Interlocked.Read(ref _waits);

    /// <summary>Whether the export thread steps aside for requests while the queue is short (Linux, when permitted).</summary>
    internal bool StepsAside => Volatile.Read(ref _canStepAside);

    /// <inheritdoc />
    protected override void OnExport(Activity data)
    {
        var bytes = SpanSize.Estimate(data);
        var request = data.TraceId;
        DropReason? refused = null;
        bool batchReady;
        lock (_gate)
        {
            if (_closed)
            {
                refused = DropReason.ShutDown;
            }
            else if (_queue.Count >= _maxQueueSize)
            {
                refused = DropReason.QueueFull;
            }
            else
            {
                ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_requestBytes, request, out var known);
                if (held + bytes > _maxRequestBytes || _queuedBytes + bytes > _maxQueueBytes)
                {
                    refused = held + bytes > _maxRequestBytes ? DropReason.RequestShare : DropReason.QueueBytes;
                    if (!known)
                    {
                        _requestBytes.Remove(request);
                    }
                }
                else
                {
                    held += bytes;
                    _queuedBytes += bytes;
                    _queue.Enqueue(new Entry(data, bytes, request));
                }
            }

            batchReady = _queue.Count >= _wakeAt;
        }

        if (refused is { } reason)
        {
            Dropped(1, reason);
        }
        else if (batchReady)
        {
            Wake();
            if (Volatile.Read(ref _background) == 1 && Backlog())
            {
                HoldEqual();
                StepBack();
            }
        }
    }

    /// <inheritdoc />
    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        var target = Interlocked.Increment(ref _flushRequested);
        Wake();
        lock (_flushGate)
        {
            while (Volatile.Read(ref _flushDone) < target)
            {
                var left = Remaining(started, timeoutMilliseconds);
                if (left == 0 || !Monitor.Wait(_flushGate, left))
                {
                    return false;
                }
            }
        }

        // OTLP: the batches sealed by then delivered (or dropped, or refused) too.
        if (_delivery is { } delivery && !delivery.WaitResolved(delivery.LastSequence, Remaining(started, timeoutMilliseconds)))
        {
            return false;
        }

        return exporter.ForceFlush(Remaining(started, timeoutMilliseconds));
    }

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        var bound = timeoutMilliseconds < 0 ? _shutdownTimeout : TimeSpan.FromMilliseconds(Math.Min(timeoutMilliseconds, _shutdownTimeout.TotalMilliseconds));
        lock (_gate)
        {
            _closed = true;
        }

        Wake();
        var finished = _loop.Join(bound);
        if (!finished)
        {
            int left;
            lock (_gate)
            {
                left = _queue.Count;
                _queue.Clear();
                _requestBytes.Clear();
                _queuedBytes = 0;
            }

            if (left > 0)
            {
                Dropped(left, DropReason.ShutdownTimeout, warn: false);
            }

            // Said every time, not rate-limited: it happens once, and it is why spans are missing.
            _warn($"TracedLlm export: the shut-down's {bound.TotalSeconds:0.###} s ran out with {Volatile.Read(ref _inFlight)} span(s) being exported and {left} queued; they are dropped.");
        }

        if (_delivery is { } delivery)
        {
            // What the loop sealed, delivered within what is left of the bound; then the rest settled.
            var kept = delivery.Shutdown(TimeSpan.FromMilliseconds(Math.Max(0, bound.TotalMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds)));
            if (kept > 0)
            {
                _warn($"TracedLlm export: the shut-down's {bound.TotalSeconds:0.###} s ran out with {kept} span(s) undelivered; they stay in the disk buffer for the next start.");
                finished = false;
            }

            if (Interlocked.Read(ref _shutdownDropped) is > 0 and var lost)
            {
                _warn($"TracedLlm export: the shut-down's {bound.TotalSeconds:0.###} s ran out with {lost} span(s) undelivered; they are dropped.");
                finished = false;
            }
        }

        // The exporter cancels what it still sends (OTLP cancels its pending request).
        var exporterDone = exporter.Shutdown((int)Math.Max(0, bound.TotalMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        if (!finished)
        {
            StopLoop();
        }

        return finished && exporterDone;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The loop may still run (no shut-down, or one that timed out): stop it first.
            StopLoop();
            _delivery?.Dispose();
            _stop.Dispose();
            _wake.Dispose();
        }

        base.Dispose(disposing);
    }

    private static int Remaining(long started, int timeoutMilliseconds) =>
        timeoutMilliseconds < 0 ? Timeout.Infinite : (int)Math.Max(0, timeoutMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    private void ExportLoop()
    {
        _canStepAside = _yieldToRequests && ExportThreadScheduling.CanStepAside();
        _exportThreadId = _canStepAside ? ExportThreadScheduling.CurrentThreadId() : 0;
        try
        {
            ExportUntilShutDown();
        }
        catch (ObjectDisposedException)
        {
            // Disposed without a shut-down (or after one timed out): nothing is left to export to.
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
        finally
        {
            // No flush can complete after this: release every waiter.
            lock (_flushGate)
            {
                Volatile.Write(ref _flushDone, long.MaxValue);
                Monitor.PulseAll(_flushGate);
            }
        }
    }

    // Entered once and never left until shut-down, so tiered compilation would keep it in its
    // first, unoptimized code (and on-stack replacement's) for the process's life: a profile of the
    // export thread showed it there. Compiled optimized from the start instead.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExportUntilShutDown()
    {
        var batch = new Activity[_batchSize];
        var token = _stop.Token;
        while (true)
        {
            // A partial batch (or none) waits for the scheduled delay, a full batch (for OTLP, a full
            // piece, or a sealed batch's delay), a flush or shut-down.
            var timedOut = false;
            if (!HasWork())
            {
                Interlocked.Increment(ref _waits);
                timedOut = !_wake.Wait(WaitTime(), token);
            }

            // Reset before reading the state: a wake set from here on is for work this drain may miss.
            _wake.Reset();
            var flushes = Interlocked.Read(ref _flushRequested);
            bool closed;
            int pending;
            lock (_gate)
            {
                closed = _closed;
                pending = _queue.Count;
            }

            // Everything queued before this point, in batches (for OTLP, in pieces, and only whole
            // pieces unless the delay has passed or a flush or shut-down waits); spans queued
            // meanwhile wait for the next round.
            var all = _capture is null || closed || timedOut || flushes > Volatile.Read(ref _flushDone) || OpenBatchDue();
            if (!all)
            {
                pending -= pending % _wakeAt;
            }

            while (pending > 0)
            {
                var (take, yieldAfter) = _capture is null ? (Math.Min(pending, _batchSize), false) : NextPiece(pending, _openSpans, _batchSize, _wakeAt);
                var count = Take(batch, take);
                if (count == 0)
                {
                    // Cleared by a shut-down whose time ran out.
                    break;
                }

                pending -= count;
                StepAsideUnlessNeeded(closed || flushes > Volatile.Read(ref _flushDone));
                if (_capture is null)
                {
                    Export(batch, count);
                }
                else
                {
                    Serialize(batch, count, yieldAfter);
                }
            }

            if (all)
            {
                Seal();
            }

            if (flushes > Volatile.Read(ref _flushDone))
            {
                lock (_flushGate)
                {
                    Volatile.Write(ref _flushDone, flushes);
                    Monitor.PulseAll(_flushGate);
                }
            }

            if (closed)
            {
                // Closed before the drain began, so nothing could be queued after it: all delivered.
                return;
            }
        }
    }

    // How long the loop may sleep: the scheduled delay, or for OTLP what is left of the open batch's.
    private TimeSpan WaitTime()
    {
        if (_openSpans == 0)
        {
            return _scheduledDelay;
        }

        var left = _scheduledDelay - Stopwatch.GetElapsedTime(_openedAt);
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>
    /// What the export thread serializes next out of <paramref name="pending"/> queued spans, and
    /// whether it yields after: a piece and a yield while the export keeps up (less than a batch
    /// waits); once a batch or more waits, what completes the open batch, at once and without a
    /// yield (<see cref="Serialize"/> says why).
    /// </summary>
    internal static (int Spans, bool YieldAfter) NextPiece(int pending, int openSpans, int batchSize, int pieceSize) =>
        pending >= batchSize ? (batchSize - openSpans, false) : (Math.Min(Math.Min(pending, pieceSize), batchSize - openSpans), true);

    // The open OTLP batch has waited its scheduled delay.
    private bool OpenBatchDue() => _openSpans > 0 && Stopwatch.GetElapsedTime(_openedAt) >= _scheduledDelay;

    // One piece through OpenTelemetry's serializer into the open batch; the batch is sealed once it
    // holds a batch's spans. Then, while the export keeps up, the core goes to any request waiting for
    // it. Not once a batch or more waits: on a saturated core every yield sends the thread behind
    // every ready request thread (Linux's EEVDF scheduler pushes a yielding thread's deadline back a
    // slice), so a yield per piece starved the export of its share and the queue filled (371,085
    // spans dropped at c=32 on half a core, bench/README.md "The export at saturation"); it then
    // serializes what completes the open batch at once, and catches up.
    private void Serialize(Activity[] piece, int count, bool yieldAfter)
    {
        ExportResult result;
        var before = _capture!.Pieces;
        try
        {
            result = exporter.Export(new Batch<Activity>(piece, count));
        }
        catch (Exception)
        {
            // An exporter must not throw; if one does, its spans are lost like a failed export's.
            result = ExportResult.Failure;
        }

        Array.Clear(piece, 0, count);
        if (result == ExportResult.Success && _capture.Pieces > before)
        {
            if (_openSpans == 0)
            {
                _openedAt = Stopwatch.GetTimestamp();
            }

            _openSpans += count;
            if (_openSpans >= _batchSize)
            {
                Seal();
            }
        }
        else
        {
            // Not serialized (a span past the exporter's request size, say).
            Dropped(count, DropReason.ExportFailed);
        }

        if (yieldAfter)
        {
            Thread.Yield();
        }
    }

    // The open OTLP batch goes to the delivery.
    private void Seal()
    {
        if (_delivery is null || _openSpans == 0)
        {
            return;
        }

        var spans = _openSpans;
        _openSpans = 0;
        if (_capture!.Take() is ({ } body, var length))
        {
            _delivery.Add(body, length, spans);
        }
    }

    private bool HasWork()
    {
        if (Interlocked.Read(ref _flushRequested) > Volatile.Read(ref _flushDone) || OpenBatchDue())
        {
            return true;
        }

        lock (_gate)
        {
            return _closed || _queue.Count >= _wakeAt;
        }
    }

    // Spans pile up behind the export: it must compete with requests as their equal.
    private bool Backlog() => QueuedAtLeast(_catchUp);

    // At least this many spans, or half the byte budget, wait in the queue.
    private bool QueuedAtLeast(int spans)
    {
        lock (_gate)
        {
            return _queue.Count >= spans || _queuedBytes >= _maxQueueBytes / 2;
        }
    }

    // Before each batch: step aside while less than a batch waits behind this one, no flush or
    // shut-down waits for it and no spans have piled up for a while; otherwise run as the requests' equal.
    private void StepAsideUnlessNeeded(bool waitedFor)
    {
        if (!_canStepAside)
        {
            return;
        }

        if (QueuedAtLeast(_batchSize))
        {
            HoldEqual();
            StepBack();
        }
        else if (waitedFor || Stopwatch.GetTimestamp() < Volatile.Read(ref _equalUntil))
        {
            StepBack();
        }
        else if (Volatile.Read(ref _background) == 0 && ExportThreadScheduling.Apply(background: true))
        {
            // Published after the policy is set, then the queue read again: a request that queued
            // a backlog meanwhile either sees the flag and brings the thread back, or is seen here.
            Volatile.Write(ref _background, 1);
            if (Backlog())
            {
                HoldEqual();
                StepBack();
            }
        }
    }

    // Spans piled up: no stepping aside until they have not for _equalHold.
    private void HoldEqual() => Volatile.Write(ref _equalUntil, Stopwatch.GetTimestamp() + _equalHold);

    // Back to the normal policy, from the export thread or a request thread (once per step aside).
    private void StepBack()
    {
        if (Interlocked.CompareExchange(ref _background, 0, 1) == 1)
        {
            ExportThreadScheduling.Apply(background: false, _exportThreadId);
        }
    }

    private int Take(Activity[] batch, int max)
    {
        var count = 0;
        lock (_gate)
        {
            while (count < max && _queue.TryDequeue(out var entry))
            {
                batch[count++] = entry.Span;
                _queuedBytes -= entry.Bytes;
                ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_requestBytes, entry.Request);
                if (!Unsafe.IsNullRef(ref held) && (held -= entry.Bytes) <= 0)
                {
                    _requestBytes.Remove(entry.Request);
                }
            }
        }

        return count;
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
            // Disposed already.
        }
    }

    private void Export(Activity[] batch, int count)
    {
        ExportResult result;
        Volatile.Write(ref _inFlight, count);
        try
        {
            result = exporter.Export(new Batch<Activity>(batch, count));
        }
        catch (Exception)
        {
            // An exporter must not throw; if one does, its spans are lost like a failed export's.
            result = ExportResult.Failure;
        }
        finally
        {
            Volatile.Write(ref _inFlight, 0);
        }

        if (result == ExportResult.Success)
        {
            Interlocked.Add(ref _exported, count);
        }
        else
        {
            Dropped(count, DropReason.ExportFailed);
        }

        Array.Clear(batch, 0, count);
    }

    private void Dropped(long spans, DropReason reason, bool warn = true)
    {
        var total = Interlocked.Add(ref _dropped, spans);
        CountDrop(spans, reason);
        if (!warn)
        {
            return;
        }

        // Formatted only when it is written: a saturated gateway drops spans on the request path.
        if (WarningDue(ref _lastWarning))
        {
            _warn($"TracedLlm export: {Describe(reason)}; {total} span(s) dropped so far. Requests are not affected.");
        }
    }

    /// <summary>Adds to the <c>tracedllm.export.dropped_spans</c> counter.</summary>
    internal static void CountDrop(long spans, DropReason reason) =>
        DroppedCounter.Add(spans, new KeyValuePair<string, object?>(ReasonTag, TagValue(reason)));

    // Whether a warning may be written now (at most once per interval per kind; this caller takes the turn).
    private bool WarningDue(ref long last)
    {
        var now = Stopwatch.GetTimestamp();
        var previous = Interlocked.Read(ref last);
        return (previous == 0 || Stopwatch.GetElapsedTime(previous, now) >= _warningInterval) && Interlocked.CompareExchange(ref last, now, previous) == previous;
    }

    private static string TagValue(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.QueueBytes => "queue_bytes",
        DropReason.RequestShare => "request_share",
        DropReason.BufferFull => "buffer_full",
        DropReason.ExportFailed => "export_failed",
        DropReason.ShutDown => "shut_down",
        _ => "shutdown_timeout",
    };

    private static string Describe(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "the export queue is full",
        DropReason.QueueBytes => "the export queue holds its byte limit",
        DropReason.RequestShare => "a request's spans passed their share of the export queue",
        DropReason.BufferFull => "the export buffer holds its byte limit while the endpoint does not take batches",
        DropReason.ExportFailed => "the exporter could not deliver a batch",
        DropReason.ShutDown => "spans ended after the export shut down",
        _ => "the shut-down's time ran out with spans queued",
    };

    private readonly record struct Entry(Activity Span, long Bytes, ActivityTraceId Request);

    /// <summary>The delivery's news, into the processor's counts and warnings.</summary>
    private sealed class Report(BoundedExportProcessor processor) : IDeliveryReport
    {
        public void Delivered(long spans) => Interlocked.Add(ref processor._exported, spans);

        public void Dropped(long spans, DropReason reason)
        {
            if (reason == DropReason.ShutdownTimeout)
            {
                Interlocked.Add(ref processor._shutdownDropped, spans);
            }

            processor.Dropped(spans, reason, warn: reason != DropReason.ShutdownTimeout);
        }

        public void Retrying(long spans, string detail, TimeSpan wait)
        {
            if (processor.WarningDue(ref processor._lastRetryWarning))
            {
                processor._warn($"TracedLlm export: the endpoint did not take a batch ({detail}); trying again in {wait.TotalSeconds:0.#} s, with {processor._delivery?.UndeliveredSpans ?? spans} span(s) waiting. New spans keep queueing; requests are not affected.");
            }
        }

        public void Warn(string message) => processor._warn(message);
    }
}
