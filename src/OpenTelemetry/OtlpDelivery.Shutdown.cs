using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

// OtlpDelivery: a flush's and a shut-down's wait for the batches before them, what a stopping delivery keeps on disk or
// drops, and its disposal.
internal sealed partial class OtlpDelivery
{
    /// <summary>
    /// Waits until every batch up to <paramref name="sequence"/> is delivered, dropped or refused; false when the time
    /// runs out.
    /// </summary>
    public bool WaitResolved(long sequence, int timeoutMilliseconds)
    {
        var started = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            while (_unresolved.Count > 0 && _unresolved.Min <= sequence)
            {
                var left =
                    timeoutMilliseconds < 0
                        ? Timeout.Infinite
                        : (int)Math.Max(0, timeoutMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (left == 0 || !Monitor.Wait(_gate, left))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Delivers what is left within <paramref name="bound"/>, then stops: what is still undelivered is
    /// dropped (<c>shutdown_timeout</c>) when in memory, and stays for the next process when in the disk
    /// buffer. The spans left in the disk buffer, and the in-memory spans lost: abandoned, or in sends
    /// cancelled but not yet ended when the wait for them runs out (each counts its spans as dropped
    /// as it ends). Both read in one step, so no span is in both.
    /// </summary>
    public (long Kept, long Lost) Shutdown(TimeSpan bound)
    {
        var started = Stopwatch.GetTimestamp();
        var all = LastSequence;
        WaitResolved(all, (int)Math.Max(0, bound.TotalMilliseconds));
        List<ExportPayload> left;
        lock (_gate)
        {
            _stopping = true;
            left = new List<ExportPayload>(_waiting);
            _waiting.Clear();
        }

        lock (_gate)
        {
            _retryTimer?.Change(Timeout.Infinite, Timeout.Infinite);
        }

        _stop.Cancel();

        // The sends cancelled just now end at once; each settles its own batch.
        lock (_gate)
        {
            // At least 200 ms, counted once: each settled send pulses, and the wait goes on with what is left.
            var deadline =
                Stopwatch.GetTimestamp()
                + (long)(
                    Math.Max(200, bound.TotalMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds)
                    * Stopwatch.Frequency
                    / 1000);
            while (_inFlight > 0
                && Stopwatch.GetTimestamp() < deadline
                && Monitor.Wait(
                    _gate,
                    (int)Math.Max(1, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency))
            ) { }
        }

        foreach (var payload in left)
        {
            Abandon(payload, wasInFlight: false);
        }

        lock (_gate)
        {
            return (_keptOnStop, _droppedOnStop + _inFlightMemorySpans);
        }
    }

    public void Dispose()
    {
        // No send or retry starts after this (a Pump would use the disposed timer).
        lock (_gate)
        {
            _stopping = true;
        }

        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        lock (_gate)
        {
            _retryTimer?.Dispose();
        }

        _disk?.Dispose();
    }
}
