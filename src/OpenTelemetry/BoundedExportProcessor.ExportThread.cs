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
                // A router's destination seals for its delay only once the open batch has waited it
                // (spans that waited in the queue open a batch), and learns the next batch's delay.
                if (closed || flushes > Volatile.Read(ref _flushDone) || _quietDelayLimit <= _scheduledDelay)
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
        ExportResult result;
        var before = _capture!.Pieces;
        try
        {
            result = _serializer is { } shared ? shared.Serialize(piece, count, _capture) : exporter.Export(new Batch<Activity>(piece, count));
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
                AdaptDelay(full: true);
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
}
