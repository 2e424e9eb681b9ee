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

    // A round begins: everything queued before this point, in batches (for OTLP, in pieces, and only
    // whole pieces unless the delay has passed or a flush or shut-down waits); spans queued meanwhile
    // wait for the next round.
    private void BeginRound(bool timedOut)
    {
        // Reset before reading the state: a wake set from here on is for work this drain may miss.
        _wake.Reset();
        _roundFlushes = Interlocked.Read(ref _flushRequested);
        bool held;
        lock (_gate)
        {
            _roundClosed = _closed;
            _roundPending = _queue.Count;
            held = HeldLocked();
        }

        _roundAll = _capture is null || _roundClosed || timedOut || held
            || _roundFlushes > Volatile.Read(ref _flushDone) || OpenBatchDue();
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

        var (take, yieldAfter) = _capture is null
            ? (Math.Min(_roundPending, _batchSize), false)
            : NextPiece(_roundPending, _openSpans, _batchSize, _wakeAt);
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
    // A router's channel waits no longer than its queued spans' hold.
    private TimeSpan WaitTime()
    {
        var left = _openSpans == 0 ? _scheduledDelay : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _openDueAt);
        if (HoldLeft() is { } hold && hold < left)
        {
            left = hold;
        }

        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    private bool HasWork()
    {
        if (Interlocked.Read(ref _flushRequested) > Volatile.Read(ref _flushDone) || OpenBatchDue())
        {
            return true;
        }

        lock (_gate)
        {
            return _closed || _queue.Count >= _wakeAt || HeldLocked();
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
