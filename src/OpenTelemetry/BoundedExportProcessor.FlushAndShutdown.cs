using System;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

// Flushes and the shut-down: what they wait for, within which bounds, and what is counted when a bound passes.
public sealed partial class BoundedExportProcessor
{
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
}
