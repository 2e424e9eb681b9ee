using System;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

// Flushes and the shut-down: what they wait for, within which bounds, and what is counted when a bound passes.
public sealed partial class BoundedExportProcessor
{
    private TimeSpan _waitedBefore;

    /// <inheritdoc />
    /// <remarks>
    /// A flush with no timeout (<see cref="Timeout.Infinite"/>, what <c>TracerProvider.ForceFlush()</c>
    /// passes) waits <see cref="ExportQueueOptions.FlushTimeout"/> at most; a given timeout is kept as
    /// given. When the time runs out the flush returns false and says how many spans it left: they
    /// stay queued or buffered and keep being tried (a later success delivers them), so they are not
    /// counted as dropped; a shut-down that cannot deliver them counts them (<c>shutdown_timeout</c>).
    /// </remarks>
    protected override bool OnForceFlush(int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        if (timeoutMilliseconds < 0)
        {
            timeoutMilliseconds = _flushTimeoutMilliseconds;
        }

        if (FlushWithin(started, timeoutMilliseconds))
        {
            return true;
        }

        var left = QueuedSpans + (_delivery?.UndeliveredSpans ?? Volatile.Read(ref _inFlight));
        Interlocked.Increment(ref _flushTimeouts);
        if (WarningDue(ref _lastFlushWarning))
        {
            _warn(
                $"TracedLlm export: a flush's {timeoutMilliseconds / 1000.0:0.###} s ran out with {left} span(s) "
                + "not yet delivered; they stay queued and are tried again.");
        }

        return false;
    }

    /// <summary>
    /// Flushes that returned false since start (their time ran out before everything asked for was
    /// delivered).
    /// </summary>
    internal long FlushTimeouts => Interlocked.Read(ref _flushTimeouts);

    /// <summary>Asks for a flush without waiting; <see cref="WaitFlush"/> waits for the number returned.</summary>
    internal long RequestFlush()
    {
        var target = Interlocked.Increment(ref _flushRequested);
        Wake();
        return target;
    }

    /// <summary>
    /// Waits for the flush <paramref name="target"/> names: the queue serialized or exported up to it,
    /// then (OTLP) the batches sealed by then delivered, dropped or refused, within the time.
    /// </summary>
    internal bool WaitFlush(long target, long started, int timeoutMilliseconds)
    {
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

        if (_delivery is { } delivery
            && !delivery.WaitResolved(delivery.LastSequence, Remaining(started, timeoutMilliseconds)))
        {
            return false;
        }

        return exporter.ForceFlush(Remaining(started, timeoutMilliseconds));
    }

    /// <summary>Closes the queue without waiting; <see cref="Settled"/> says when what it held is delivered.</summary>
    /// <remarks>
    /// A span after this is refused (a router's goes where its destination opened again), and the
    /// export thread delivers what is held.
    /// </remarks>
    internal void BeginClose()
    {
        lock (_gate)
        {
            _closed = true;
        }

        Wake();
    }

    /// <summary>Whether, once closed, the export thread is done and each batch delivered, dropped or refused.</summary>
    internal bool Settled => _loopEnded.IsSet && (_delivery?.Settled ?? true);

    /// <summary>
    /// Shuts down after its caller already waited <paramref name="waited"/> for it (a router's channels
    /// are closed side by side, then finished): said in the warnings, so they name the whole wait.
    /// </summary>
    internal bool ShutdownAfter(TimeSpan waited, int timeoutMilliseconds)
    {
        _waitedBefore = waited;
        return Shutdown(timeoutMilliseconds);
    }

    private bool FlushWithin(long started, int timeoutMilliseconds) =>
        WaitFlush(RequestFlush(), started, timeoutMilliseconds);

    /// <inheritdoc />
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        var bound =
            timeoutMilliseconds < 0
                ? _shutdownTimeout
                : TimeSpan.FromMilliseconds(Math.Min(timeoutMilliseconds, _shutdownTimeout.TotalMilliseconds));
        lock (_gate)
        {
            _closed = true;
        }

        Wake();
        var finished = _loop?.Join(bound) ?? _loopEnded.Wait(bound);
        if (!finished)
        {
            int left;
            lock (_gate)
            {
                left = _queue.Count;
                _queue.Clear();
                _requestBytes.Clear();
                _queueBudget?.Return(_queuedBytes);
                _queuedBytes = 0;
            }

            if (left > 0)
            {
                Dropped(left, DropReason.ShutdownTimeout, warn: false);
            }

            // Said every time, not rate-limited: it happens once, and it is why spans are missing.
            _warn($"TracedLlm export: the shut-down's {(_waitedBefore + bound).TotalSeconds:0.###} s ran out with "
                + $"{Volatile.Read(ref _inFlight)} span(s) being exported and {left} queued; they are dropped.");
        }

        if (_delivery is { } delivery)
        {
            // What the loop sealed, delivered within what is left of the bound; then the rest settled.
            var (kept, lost) = delivery.Shutdown(
                TimeSpan.FromMilliseconds(
                    Math.Max(0, bound.TotalMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds)));
            if (kept > 0)
            {
                _warn($"TracedLlm export: the shut-down's {(_waitedBefore + bound).TotalSeconds:0.###} s ran out with "
                    + $"{kept} span(s) undelivered; they stay in the disk buffer for the next start.");
                finished = false;
            }

            // Sends still ending count their spans as they end: said now, with the others.
            if (lost > 0)
            {
                _warn($"TracedLlm export: the shut-down's {(_waitedBefore + bound).TotalSeconds:0.###} s ran out with "
                    + $"{lost} span(s) undelivered; they are dropped.");
                finished = false;
            }
        }

        // The exporter cancels what it still sends (OTLP cancels its pending request).
        var exporterDone = exporter.Shutdown(
            (int)Math.Max(0, bound.TotalMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds));
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
            if (_member is { } member)
            {
                ExportWorkers.Remove(member);
            }
            _bufferBudget?.AddOpen(-Interlocked.Exchange(ref _openBytes, 0));
            _delivery?.Dispose();
            _stop.Dispose();
            _wake.Dispose();
        }

        base.Dispose(disposing);
    }

    private static int Remaining(long started, int timeoutMilliseconds) =>
        timeoutMilliseconds < 0
            ? Timeout.Infinite
            : (int)Math.Max(0, timeoutMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}
