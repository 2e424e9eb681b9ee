using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Exporter;

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
/// nothing to do. A flush with no timeout waits <see cref="ExportQueueOptions.FlushTimeout"/> at most,
/// and a shut-down delivers what is queued within <see cref="ExportQueueOptions.ShutdownTimeout"/>.
/// </summary>
public sealed partial class BoundedExportProcessor : BaseExportProcessor<Activity>
{
    /// <summary>
    /// Spans serialized at a time for OTLP, so that a request that wakes behind the export thread waits for one piece
    /// at most.
    /// </summary>
    /// <remarks>
    /// A piece takes about a tenth of a millisecond on a slow core, and the export thread yields between pieces, so a
    /// request waits for one piece, not for a whole batch (bench/results/2026-11-25-export-at-saturation.md).
    /// </remarks>
    internal const int PieceSize = 32;

    private readonly int _maxQueueSize;
    private readonly int _batchSize;
    private readonly long _maxQueueBytes;
    private readonly long _maxRequestBytes;
    private readonly TimeSpan _scheduledDelay;
    private readonly TimeSpan _quietDelayLimit;
    private readonly TimeSpan _shutdownTimeout;
    private readonly int _flushTimeoutMilliseconds;
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

    // The export thread: its own, or for a router's destination the router's shared one (_workers),
    // where it has its place (_member).
    private readonly Thread? _loop;
    private readonly ExportWorkers? _workers;
    private readonly ExportWorkers.Member? _member;
    private readonly ManualResetEventSlim _loopEnded = new(false, spinCount: 0);

    // OTLP: the exporter serializes pieces into _capture, sealed into batches of _batchSize spans (or
    // after the scheduled delay) and handed to _delivery. Null for any other exporter.
    private readonly OtlpCapture? _capture;
    private readonly OtlpDelivery? _delivery;

    // A router's destination: its pieces go through the router's one serializer; its name tags its drops.
    private readonly SharedSerializer? _serializer;
    private readonly KeyValuePair<string, object?> _destinationTag;
    private readonly BatchMembers _members = new();
    private readonly ExportBudget? _queueBudget;
    private readonly ExportBudget? _bufferBudget;

    // The open batch's bytes counted in the buffer budget's Open.
    private long _openBytes;
    private readonly int _wakeAt;
    private int _openSpans;
    private long _openedAt;
    private long _openDueAt;

    private long _dropped;
    private long _flushTimeouts;
    private long _lastFlushWarning;
    private long _exported;
    private long _lastWarning;
    private long _lastRetryWarning;
    private long _lastDiskWarning;
    private long _diskWriteFailures;
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
    /// <exception cref="InvalidOperationException">The options' headers cannot be sent (malformed, or not valid HTTP
    /// headers).</exception>
    public BoundedExportProcessor(OtlpExporterOptions otlp, ExportQueueOptions? options)
        : this(OtlpSetup.Create(otlp), options, warn: null, diskSubdirectory: null)
    {
    }

    internal BoundedExportProcessor(
        OtlpSetup otlp,
        ExportQueueOptions? options,
        Action<string>? warn,
        string? diskSubdirectory,
        TimeSpan? equalHold = null)
        : this(otlp.Exporter, options, warn, equalHold, otlp, diskSubdirectory) { }

    internal BoundedExportProcessor(
        BaseExporter<Activity> exporter,
        ExportQueueOptions? options,
        Action<string>? warn,
        TimeSpan? equalHold = null,
        OtlpSetup? otlp = null,
        string? diskSubdirectory = null)
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
        _batchDelay = _scheduledDelay;
        _shutdownTimeout = options.ShutdownTimeout;
        _flushTimeoutMilliseconds =
            options.FlushTimeout == Timeout.InfiniteTimeSpan
                ? Timeout.Infinite
                : (int)Math.Min(int.MaxValue, options.FlushTimeout.TotalMilliseconds);
        _warningInterval = options.WarningInterval;
        _warn = options.Warn ?? warn ?? (static message => Console.Error.WriteLine(message));
        _catchUp = Math.Max(1, Math.Min(2 * _batchSize, _maxQueueSize / 2));
        _yieldToRequests = options.YieldToRequests;
        _equalHold = (long)((equalHold ?? DefaultEqualHold).TotalSeconds * Stopwatch.Frequency);
        _destinationTag = new(DestinationTag, otlp?.Destination ?? diskSubdirectory);
        _workers = otlp?.Serializer?.Workers;
        _threadState = _workers?.State ?? new ExportThreadState();
        if (otlp is not null)
        {
            _capture = otlp.Capture;
            _serializer = otlp.Serializer;
            _queueBudget = otlp.QueueBudget;
            _bufferBudget = otlp.BufferBudget;
            _quietDelayLimit = QuietDelayLimit(_scheduledDelay, otlp.Serializer is not null);
            DiskExportBuffer? disk = null;
            if (options.DiskBufferDirectory is { } directory)
            {
                disk = DiskExportBuffer.Open(
                    diskSubdirectory is null ? directory : System.IO.Path.Combine(directory, diskSubdirectory),
                    options.MaxDiskBufferBytes,
                    out var problem);
                if (problem is not null)
                {
                    _warn($"TracedLlm export: {problem}.");
                }

                if (disk?.CutShortSpans is > 0 and var cutShort)
                {
                    Dropped(cutShort, DropReason.ExportFailed, warn: false);
                    _warn(
                        "TracedLlm export: the disk buffer held batches cut short (the machine stopped before "
                        + $"they were written out); {cutShort} span(s) in them are dropped.");
                }
            }

            _delivery = new OtlpDelivery(
                otlp.Client,
                otlp.Capture,
                otlp.GrpcEndpoint,
                otlp.Gzip,
                options,
                disk,
                new Report(this),
                otlp.BufferBudget);
            _delivery.Start();
        }

        // The piece size may be changed for a measurement only (bench/export "cost"), by the
        // AppContext switch TracedLlm.Export.PieceSize (runtimeconfig.json or AppContext.SetData).
        var pieceSize =
            AppContext.GetData("TracedLlm.Export.PieceSize") is string set
            && int.TryParse(set, out var asked)
            && asked > 0
                ? asked
                : PieceSize;
        _wakeAt = _capture is null ? _batchSize : Math.Min(pieceSize, _batchSize);

        // A thread of its own, as OpenTelemetry's batch processor has: exporters are synchronous
        // (OTLP/HTTP blocks on its send), so a hanging endpoint holds this thread for its timeout,
        // never a thread-pool thread the requests need. (With OTLP, it only serializes.) A router's
        // destination takes turns on the router's one export thread instead: it only serializes.
        if (_workers is { } workers)
        {
            var hold = _scheduledDelay < SpanHold ? _scheduledDelay : SpanHold;
            _holdTicks = (long)(hold.TotalSeconds * Stopwatch.Frequency);
            _member = workers.Add(this);
        }
        else
        {
            _loop = new Thread(ExportLoop) { IsBackground = true, Name = "TracedLlm span export" };
            _loop.Start();
        }
    }

    /// <summary>Spans not delivered since start, for any reason.</summary>
    public long DroppedSpans => Interlocked.Read(ref _dropped);

    /// <summary>Spans delivered since start.</summary>
    public long ExportedSpans => Interlocked.Read(ref _exported);

    /// <summary>The serialized bytes of OTLP batches held in memory now, waiting to be delivered.</summary>
    internal long BufferedExportBytes => _delivery?.MemoryBytes ?? 0;

    /// <summary>
    /// Failed rounds of export tries since the last delivery (the delivery sends one batch at a time while above zero).
    /// </summary>
    internal int ExportFailures => _delivery?.Failures ?? 0;

    /// <summary>How often the export loop has blocked waiting for work (a loop that spins never does).</summary>
    internal long Waits => Interlocked.Read(ref _waits);

    /// <summary>
    /// Whether the export thread steps aside for requests while the queue is short (Linux, when permitted).
    /// </summary>
    internal bool StepsAside => Volatile.Read(ref _canStepAside);
}
