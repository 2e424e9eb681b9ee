using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// Delivers serialized batches to an OTLP endpoint, several at once in the order they were sealed, each sent again
/// after a transient failure.
/// </summary>
/// <remarks>
/// Retries follow <see cref="OtlpResponses"/>, with exponential backoff and jitter or the server's own wait, while new
/// batches keep coming. While the endpoint fails, one batch is tried at a time; the first success opens the way for the
/// others. Batches wait in memory within a byte bound, or in the disk buffer when there is one; a batch past both is
/// dropped and counted. Sends run on the thread pool (HttpClient's asynchronous send), never on the export thread that
/// serializes.
/// </remarks>
internal sealed partial class OtlpDelivery : IDisposable
{
    private readonly HttpClient _client;
    private readonly OtlpCapture _capture;
    private readonly Uri? _grpcEndpoint;
    private readonly bool _gzip;
    private readonly int _maxConcurrent;
    private readonly long _maxMemoryBytes;
    private readonly TimeSpan _initialBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly DiskExportBuffer? _disk;
    private readonly IDeliveryReport _report;
    private readonly CancellationTokenSource _stop = new();
    // Made at the first retry: a delivery that never retries (most of a router's) needs none.
    private Timer? _retryTimer;

    // All state below under _gate (a monitor: flushes and the shut-down wait on it).
    private readonly object _gate = new();
    private readonly LinkedList<ExportPayload> _waiting = new();
    private readonly SortedSet<long> _unresolved = new();
    private long _memoryBytes;
    private int _inFlight;
    private long _inFlightSpans;
    private long _inFlightMemorySpans;
    private int _failures;
    private long _lastFailureAt;
    private long _retryAt;
    private long _sequence;
    private bool _stopping;

    // Spans a stopping delivery could not send: in the disk buffer (the next process's), and in
    // memory (dropped).
    private long _keptOnStop;
    private long _droppedOnStop;

    // The buffered bytes every destination of a router shares; null for an exporter of its own.
    private readonly ExportBudget? _budget;

    public OtlpDelivery(
        HttpClient client,
        OtlpCapture capture,
        Uri? grpcEndpoint,
        bool gzip,
        ExportQueueOptions options,
        DiskExportBuffer? disk,
        IDeliveryReport report,
        ExportBudget? budget = null)
    {
        _budget = budget;
        _client = client;
        _capture = capture;
        _grpcEndpoint = grpcEndpoint;
        _gzip = gzip;
        _maxConcurrent = options.MaxConcurrentExports;
        _maxMemoryBytes = options.MaxBufferedExportBytes;
        _initialBackoff = options.RetryInitialBackoff;
        _maxBackoff = options.RetryMaxBackoff;
        _disk = disk;
        _report = report;
        if (disk is not null)
        {
            // What an earlier process left goes first, oldest first.
            foreach (var (file, bytes, spans) in disk.Found)
            {
                var payload = ExportPayload.FromFile(++_sequence, file, bytes, spans);
                _waiting.AddLast(payload);
                _unresolved.Add(payload.Sequence);
            }
        }
    }

    /// <summary>The sequence number of the last batch handed over (0 before the first).</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    /// <summary>Failed rounds of tries since the last delivery: above zero, one batch goes at a time.</summary>
    public int Failures
    {
        get
        {
            lock (_gate)
            {
                return _failures;
            }
        }
    }

    /// <summary>The serialized bytes held in memory now (waiting or being sent).</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_gate)
            {
                return _memoryBytes;
            }
        }
    }

    /// <summary>Whether every batch handed over is delivered, dropped or refused (none waits, none is sent).</summary>
    public bool Settled
    {
        get
        {
            lock (_gate)
            {
                return _unresolved.Count == 0 && _inFlight == 0;
            }
        }
    }

    /// <summary>Spans in batches not yet delivered, dropped or refused.</summary>
    public long UndeliveredSpans
    {
        get
        {
            lock (_gate)
            {
                long spans = 0;
                foreach (var payload in _waiting)
                {
                    spans += payload.Spans;
                }

                return spans + _inFlightSpans;
            }
        }
    }

    /// <summary>Starts delivering what an earlier process left in the disk buffer.</summary>
    public void Start() => Pump();

    /// <summary>
    /// Takes a sealed batch from the export thread: to the disk buffer, else to memory within the bound, else dropped
    /// and counted.
    /// </summary>
    /// <remarks>
    /// The disk buffer takes it when there is one and it has room.
    /// </remarks>
    public void Add(byte[] body, int length, int spans, ExportPayload.Member[]? members = null)
    {
        ExportPayload payload;
        lock (_gate)
        {
            payload = new ExportPayload(++_sequence, body, length, spans, members);
        }

        string? problem = null;
        var onDisk = _disk is not null && _disk.TryWrite(payload, out problem);
        if (problem is not null)
        {
            _report.DiskWriteFailed(problem);
        }

        lock (_gate)
        {
            if (!onDisk)
            {
                if (_stopping
                    || _memoryBytes + payload.MemoryBytes > _maxMemoryBytes
                    || !(_budget?.TryTake(payload.MemoryBytes, _memoryBytes + payload.MemoryBytes) ?? true))
                {
                    var reason = _stopping
                        ? BoundedExportProcessor.DropReason.ShutDown
                        : BoundedExportProcessor.DropReason.BufferFull;
                    _report.Dropped(payload, payload.Spans, reason);
                    payload.Release();
                    return;
                }

                _memoryBytes += payload.MemoryBytes;
            }

            _waiting.AddLast(payload);
            _unresolved.Add(payload.Sequence);
        }

        Pump();
    }

    // Delivered or refused: its memory, file and place in the flush order go.
    private void Resolve(ExportPayload payload)
    {
        if (payload.File is not null)
        {
            _disk?.Delete(payload);
        }

        Forget(payload);
    }

    // Never to be sent by this process: in the disk buffer it waits for the next, in memory it is
    // dropped. Counted, its send ended (if it was in flight) and forgotten in one step under _gate.
    private void Abandon(ExportPayload payload, bool wasInFlight)
    {
        lock (_gate)
        {
            if (wasInFlight)
            {
                EndSend(payload);
            }

            if (payload.File is null)
            {
                _droppedOnStop += payload.Spans;
            }
            else
            {
                _keptOnStop += payload.Spans;
            }

            ForgetLocked(payload);
        }

        if (payload.File is null)
        {
            _report.Dropped(payload, payload.Spans, BoundedExportProcessor.DropReason.ShutdownTimeout);
        }

        payload.Release();
    }

    // Settled for this process: its memory leaves the bound, its place in the flush order goes, and
    // its buffer goes back to the pool.
    private void Forget(ExportPayload payload)
    {
        lock (_gate)
        {
            ForgetLocked(payload);
        }

        payload.Release();
    }

    private void ForgetLocked(ExportPayload payload)
    {
        if (payload.InMemory)
        {
            _memoryBytes -= payload.MemoryBytes;
            _budget?.Return(payload.MemoryBytes);
        }

        _unresolved.Remove(payload.Sequence);
        Monitor.PulseAll(_gate);
    }
}
