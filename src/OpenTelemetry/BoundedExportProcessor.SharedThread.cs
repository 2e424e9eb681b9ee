using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace TracedLlm;

// A router's channel on the router's one export thread (ExportWorkers): its turns, and its spans
// held as spans only briefly, then serialized, a translation at a time.
public sealed partial class BoundedExportProcessor
{
    /// <summary>
    /// How long a channel's spans wait as spans at most before they are serialized, a partial piece
    /// then: the scheduled delay, at most 100 ms.
    /// </summary>
    /// <remarks>
    /// A span waiting to be serialized holds its whole <see cref="Activity"/> (a few times its
    /// serialized bytes); a thousand quiet channels each waiting for a whole piece of 32 spans held
    /// their teams' last seconds of spans so, and ten thousand of them filled the queues' bound
    /// (bench/results/2026-11-29-destinations-scale.md). Serialized, they wait in the open batch.
    /// </remarks>
    internal static readonly TimeSpan SpanHold = TimeSpan.FromMilliseconds(100);

    // When its wait ends (a Stopwatch timestamp).
    private long _dueAt;

    // When the queue last became non-empty (a Stopwatch timestamp); under _gate. A router's channel only.
    private long _heldSince;
    private long _holdTicks;

    // Its queued spans have waited their hold: a partial piece is taken. Under _gate.
    private bool HeldLocked() =>
        _workers is not null && _queue.Count > 0 && Stopwatch.GetTimestamp() - _heldSince >= _holdTicks;

    // What is left of the queued spans' hold (a router's channel with spans queued), else null.
    private TimeSpan? HoldLeft()
    {
        if (_workers is null)
        {
            return null;
        }

        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            return _queue.Count == 0 ? null : Stopwatch.GetElapsedTime(now, _heldSince + _holdTicks);
        }
    }

    /// <summary>A router's channel's turn on the shared export thread (<see cref="ExportWorkers"/>).</summary>
    /// <remarks>
    /// One piece of the round under way, or the round's end, or a new round when there is work or its
    /// wait has ended. Says whether it worked, whether it is done for good (shut down or stopped),
    /// and when its wait ends if it has nothing to do.
    /// </remarks>
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

        // The round ends in the turn that takes its last piece, and a channel with nothing more to do
        // gives its due time at once: a quiet team's request of spans took three turns (its piece, the
        // round's end, a look for more work), each a pass through the shared thread's queues and this
        // channel's lock (bench/results/2026-11-30-destinations-own-cpu.md).
        piece.EnsureRoom(_wakeAt);
        if (NextInRound(piece.Spans, piece, _wakeAt) && _roundPending > 0)
        {
            return (true, false, 0);
        }

        _inRound = false;
        if (EndRound())
        {
            TurnsEnded();
            return (true, true, long.MaxValue);
        }

        var more = HasWork();
        if (!more)
        {
            Interlocked.Increment(ref _waits);
        }

        _dueAt = Stopwatch.GetTimestamp() + WaitTime().Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        return (true, false, more ? 0 : _dueAt);
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

        // A yield a piece's worth of spans, whoever's they were: a thousand quiet channels' pieces of a
        // request each, a yield each, switched the thread out two thousand times a second.
        _threadState.SerializedSinceYield += count;
        if (yieldAfter && _threadState.SerializedSinceYield >= PieceSize)
        {
            _threadState.SerializedSinceYield = 0;
            Thread.Yield();
        }
    }
}
