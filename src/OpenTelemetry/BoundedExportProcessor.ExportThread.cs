using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using OpenTelemetry;

namespace TracedLlm;

// The export thread: it sleeps until there is work, then serializes (OTLP) or exports (any other
// exporter) what is queued, seals OTLP batches and hands them to the delivery.
public sealed partial class BoundedExportProcessor
{
    /// <summary>How many scheduled delays a quiet destination's batch may wait at most (<see cref="QuietDelayLimit"/>).</summary>
    internal const int QuietDelayFactor = 4;

    private readonly CancellationTokenSource _stop = new();

    // The open batch's delay: the scheduled delay, or for a router's destination, learned (NextDelay).
    private TimeSpan _batchDelay;

    // The round under way: what was queued when it began (left to take), whether it drains all
    // (partial pieces too, then seals), whether the processor was closed then, and the flushes it completes.
    private int _roundPending;
    private bool _roundAll;
    private bool _roundClosed;
    private long _roundFlushes;
    private bool _inRound;

    // A router's destination, on the shared export thread: when its wait ends (a Stopwatch timestamp).
    private long _dueAt;

    private void ExportLoop()
    {
        _canStepAside = _yieldToRequests && ExportThreadScheduling.CanStepAside();
        _threadState.ThreadId = _canStepAside ? ExportThreadScheduling.CurrentThreadId() : 0;
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
            TurnsEnded();
        }
    }

    // No flush can complete after this: every waiter is released, and a shut-down's wait ends.
    internal void TurnsEnded()
    {
        lock (_flushGate)
        {
            Volatile.Write(ref _flushDone, long.MaxValue);
            Monitor.PulseAll(_flushGate);
        }

        _loopEnded.Set();
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

            BeginRound(timedOut);
            while (NextInRound(batch, routed: null, _batchSize))
            {
            }

            if (EndRound())
            {
                return;
            }
        }
    }

    /// <summary>
    /// A router's destination's turn on the shared export thread (<see cref="ExportWorkers"/>): one
    /// piece of the round under way, or the round's end, or a new round when there is work or its
    /// wait has ended. Says whether it worked, whether it is done for good (shut down or stopped),
    /// and when its wait ends if it has nothing to do.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal (bool Worked, bool Done, long DueAt) Turn(PieceArrays piece, bool worked)
    {
        if (_stop.IsCancellationRequested)
        {
            TurnsEnded();
            return (worked, true, long.MaxValue);
        }

        if (!_inRound)
        {
            if (_dueAt == 0)
            {
                _canStepAside = _yieldToRequests && _threadState.CanStepAside;
                _dueAt = Stopwatch.GetTimestamp() + WaitTime().Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
            }

            var timedOut = Stopwatch.GetTimestamp() >= _dueAt;
            if (!timedOut && !HasWork())
            {
                return (worked, false, _dueAt);
            }

            BeginRound(timedOut);
        }

        piece.EnsureRoom(_wakeAt);
        if (NextInRound(piece.Spans, piece, _wakeAt))
        {
            return (true, false, 0);
        }

        _inRound = false;
        if (EndRound())
        {
            TurnsEnded();
            return (true, true, long.MaxValue);
        }

        if (!HasWork())
        {
            Interlocked.Increment(ref _waits);
        }

        _dueAt = Stopwatch.GetTimestamp() + WaitTime().Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        return (true, false, 0);
    }

    // A round begins: everything queued before this point, in batches (for OTLP, in pieces, and only
    // whole pieces unless the delay has passed or a flush or shut-down waits); spans queued meanwhile
    // wait for the next round.
    private void BeginRound(bool timedOut)
    {
        // Reset before reading the state: a wake set from here on is for work this drain may miss.
        _wake.Reset();
        _roundFlushes = Interlocked.Read(ref _flushRequested);
        lock (_gate)
        {
            _roundClosed = _closed;
            _roundPending = _queue.Count;
        }

        _roundAll = _capture is null || _roundClosed || timedOut || _roundFlushes > Volatile.Read(ref _flushDone) || OpenBatchDue();
        if (!_roundAll)
        {
            _roundPending -= _roundPending % _wakeAt;
        }

        _inRound = true;
    }

    // The round's next batch (any exporter) or piece (OTLP), at most max spans; false when the round
    // has none left. A router's destination takes its spans' routes along (routed).
    private bool NextInRound(Activity[] batch, PieceArrays? routed, int max)
    {
        if (_roundPending <= 0)
        {
            return false;
        }

        var (take, yieldAfter) = _capture is null ? (Math.Min(_roundPending, _batchSize), false) : NextPiece(_roundPending, _openSpans, _batchSize, _wakeAt);
        var count = Take(batch, routed?.Routes, Math.Min(take, max));
        if (count == 0)
        {
            // Cleared by a shut-down whose time ran out.
            _roundPending = 0;
            return false;
        }

        _roundPending -= count;
        StepAsideUnlessNeeded(_roundClosed || _roundFlushes > Volatile.Read(ref _flushDone));
        if (_capture is null)
        {
            Export(batch, count);
        }
        else if (routed is not null)
        {
            SerializeRouted(routed, count, yieldAfter);
        }
        else
        {
            Serialize(batch, count, yieldAfter);
        }

        return true;
    }

    // The round ends: seals as it must, completes its flushes; true when the processor was closed
    // before it began (nothing could be queued after it: all delivered).
    private bool EndRound()
    {
        _inRound = false;
        var flushes = _roundFlushes;
        if (_roundAll)
        {
            // A router's destination seals for its delay only once the open batch has waited it
            // (spans that waited in the queue open a batch), and learns the next batch's delay.
            if (_roundClosed || flushes > Volatile.Read(ref _flushDone) || _quietDelayLimit <= _scheduledDelay)
            {
                Seal();
            }
            else if (OpenBatchDue())
            {
                AdaptDelay(full: false);
                Seal();
            }
        }

        if (flushes > Volatile.Read(ref _flushDone))
        {
            lock (_flushGate)
            {
                Volatile.Write(ref _flushDone, flushes);
                Monitor.PulseAll(_flushGate);
            }
        }

        return _roundClosed;
    }

    // How long the loop may sleep: the scheduled delay, or for OTLP what is left of the open batch's.
    private TimeSpan WaitTime()
    {
        if (_openSpans == 0)
        {
            return _scheduledDelay;
        }

        var left = _batchDelay - Stopwatch.GetElapsedTime(_openedAt);
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
    private bool OpenBatchDue() => _openSpans > 0 && Stopwatch.GetElapsedTime(_openedAt) >= _batchDelay;

    /// <summary>
    /// How long a router's destination lets its open batch wait at most: its scheduled delay times
    /// <see cref="QuietDelayFactor"/>. Only a destination's: a plain exporter keeps its scheduled delay.
    /// </summary>
    internal static TimeSpan QuietDelayLimit(TimeSpan scheduledDelay, bool routed) =>
        routed && scheduledDelay.Ticks <= TimeSpan.MaxValue.Ticks / QuietDelayFactor ? scheduledDelay * QuietDelayFactor : scheduledDelay;

    /// <summary>
    /// The delay a destination's next batch waits, learned from the batch just sealed: the time a
    /// full batch took to fill, or for a batch sealed by its delay with <paramref name="spans"/>, the
    /// time a full batch would take at the same rate; never below the scheduled delay
    /// (<paramref name="scheduled"/>) nor above <paramref name="limit"/>. So a quiet destination's
    /// batches grow toward full ones (a hundred quiet teams send a hundred times fewer, larger OTLP
    /// requests than at the scheduled delay; bench/results/2026-11-28-destinations-shared.md), and a busy
    /// one, whose batches fill before the scheduled delay, keeps it.
    /// </summary>
    internal static TimeSpan NextDelay(TimeSpan waited, int spans, int batchSize, TimeSpan scheduled, TimeSpan limit)
    {
        var wanted = spans >= batchSize ? waited : TimeSpan.FromTicks((long)Math.Min(limit.Ticks, (double)waited.Ticks * batchSize / Math.Max(1, spans)));
        return wanted < scheduled ? scheduled : wanted > limit ? limit : wanted;
    }

    // A destination's open batch is about to be sealed, full or for its delay: the next one's delay.
    private void AdaptDelay(bool full)
    {
        if (_quietDelayLimit > _scheduledDelay && _openSpans > 0)
        {
            var waited = full ? Stopwatch.GetElapsedTime(_openedAt) : _batchDelay;
            _batchDelay = NextDelay(waited, _openSpans, _batchSize, _scheduledDelay, _quietDelayLimit);
        }
    }

    // One piece through OpenTelemetry's serializer into the open batch; the batch is sealed once it
    // holds a batch's spans. Then, while the export keeps up, the core goes to any request waiting for
    // it. Not once a batch or more waits: on a saturated core every yield sends the thread behind
    // every ready request thread (Linux's EEVDF scheduler pushes a yielding thread's deadline back a
    // slice), so a yield per piece starved the export of its share and the queue filled (371,085
    // spans dropped at c=32 on half a core, bench/results/2026-11-25-export-at-saturation.md); it then
    // serializes what completes the open batch at once, and catches up.
    private void Serialize(Activity[] piece, int count, bool yieldAfter)
    {
        SerializeGroup(piece, routes: null, count, rewriter: null);
        if (yieldAfter)
        {
            Thread.Yield();
        }
    }

    // A router's piece: the spans of each translation together (one serializer call each), in the
    // order they first appear; a thousand teams sharing a backend and a translation cost one call.
    private void SerializeRouted(PieceArrays piece, int count, bool yieldAfter)
    {
        var (spans, routes) = (piece.Spans, piece.Routes);
        for (var start = 0; start < count; start++)
        {
            if (spans[start] is null)
            {
                continue;
            }

            var rewriter = routes[start]?.Rewriter;
            var grouped = 0;
            for (var k = start; k < count; k++)
            {
                if (spans[k] is { } span && ReferenceEquals(routes[k]?.Rewriter, rewriter))
                {
                    (piece.Group[grouped], piece.GroupRoutes[grouped]) = (span, routes[k]);
                    grouped++;
                    (spans[k], routes[k]) = (null!, null);
                }
            }

            SerializeGroup(piece.Group, piece.GroupRoutes, grouped, rewriter);
        }

        if (yieldAfter)
        {
            Thread.Yield();
        }
    }

    // Spans through OpenTelemetry's serializer into the open batch (translated by rewriter, for a
    // router's), which is sealed once it holds a batch's spans.
    private void SerializeGroup(Activity[] group, SpanRoute?[]? routes, int count, OtlpRewriter? rewriter)
    {
        ExportResult result;
        var before = _capture!.Pieces;
        try
        {
            result = _serializer is { } shared ? shared.Serialize(group, count, _capture, rewriter) : exporter.Export(new Batch<Activity>(group, count));
        }
        catch (Exception)
        {
            // An exporter must not throw; if one does, its spans are lost like a failed export's.
            result = ExportResult.Failure;
        }

        Array.Clear(group, 0, count);
        var serialized = result == ExportResult.Success && _capture.Pieces > before;
        if (routes is not null)
        {
            for (var i = 0; i < count; i++)
            {
                if (routes[i] is { } route)
                {
                    if (serialized)
                    {
                        _members.Add(route);
                    }
                    else
                    {
                        Dropped(1, DropReason.ExportFailed, route.Tag);
                    }
                }
            }

            Array.Clear(routes, 0, count);
        }

        if (serialized)
        {
            if (_openSpans == 0)
            {
                _openedAt = Stopwatch.GetTimestamp();
            }

            _openSpans += count;
            if (_openSpans >= _batchSize)
            {
                AdaptDelay(full: true);
                Seal();
            }
        }
        else if (routes is null)
        {
            // Not serialized (a span past the exporter's request size, say).
            Dropped(count, DropReason.ExportFailed);
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
        var members = _members.Take(_destinationTag);
        if (_capture!.Take() is ({ } body, var length))
        {
            _delivery.Add(body, length, spans, members);
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
            if (_member is { } member)
            {
                _workers!.Signal(member);
            }

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
}
