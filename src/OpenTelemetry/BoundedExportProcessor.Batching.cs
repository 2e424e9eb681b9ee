using System;
using System.Diagnostics;
using System.Threading;
using OpenTelemetry;

namespace TracedLlm;

// Batching: what the export thread serializes next, into the open batch, and when that batch is sealed
// and handed to the delivery (a router's channel learns how long its batches wait).
public sealed partial class BoundedExportProcessor
{
    /// <summary>The scheduled delays a quiet batch waits at most (<see cref="QuietDelayLimit"/>).</summary>
    internal const int QuietDelayFactor = 4;

    /// <summary>
    /// What the export thread serializes next out of <paramref name="pending"/> queued spans, and
    /// whether it yields after.
    /// </summary>
    /// <remarks>
    /// A piece and a yield while the export keeps up (less than a batch waits); once a batch or more
    /// waits, what completes the open batch, at once and without a yield (<see cref="Serialize"/> says why).
    /// </remarks>
    internal static (int Spans, bool YieldAfter) NextPiece(int pending, int openSpans, int batchSize, int pieceSize) =>
        pending >= batchSize
            ? (batchSize - openSpans, false)
            : (Math.Min(Math.Min(pending, pieceSize), batchSize - openSpans), true);

    /// <summary>How many grids a scheduled delay holds: a router's channels seal their quiet batches on them.</summary>
    internal const int SealGridsPerDelay = 4;

    // The open OTLP batch has waited its delay (to its due time).
    private bool OpenBatchDue() => _openSpans > 0 && Stopwatch.GetTimestamp() >= _openDueAt;

    /// <summary>
    /// When a batch opened at <paramref name="openedAt"/> is due after <paramref name="delay"/>, all
    /// <see cref="Stopwatch"/> timestamps.
    /// </summary>
    /// <remarks>
    /// A router's channel's batch is due on a grid of <paramref name="grid"/> (never later, never sooner than a grid
    /// before), a plain exporter's (grid 0) exactly.
    /// So a thousand quiet channels' batches, opened at any time, are sealed and sent together a few
    /// times a delay, not one at a time: each send that came alone woke a pool thread, which then spun
    /// before it slept, and that spin cost more CPU than the send (bench/results/2026-11-29-destinations-own.md).
    /// </remarks>
    internal static long DueAt(long openedAt, long delay, long grid)
    {
        if (delay >= long.MaxValue - openedAt)
        {
            return long.MaxValue;
        }

        var due = openedAt + delay;
        if (grid <= 0 || delay <= grid)
        {
            return due;
        }

        var aligned = due - (((due % grid) + grid) % grid);
        return aligned > openedAt ? aligned : due;
    }

    // The open batch's due time, from when it opened and its delay.
    private long OpenDueAt(long openedAt)
    {
        var delay = (long)(_batchDelay.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        var grid = _quietDelayLimit > _scheduledDelay
            ? (long)(_scheduledDelay.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond) / SealGridsPerDelay
            : 0;
        return DueAt(openedAt, delay, grid);
    }

    /// <summary>
    /// How long a router's destination lets its open batch wait at most: its scheduled delay times
    /// <see cref="QuietDelayFactor"/>. Only a destination's: a plain exporter keeps its scheduled delay.
    /// </summary>
    internal static TimeSpan QuietDelayLimit(TimeSpan scheduledDelay, bool routed) =>
        routed && scheduledDelay.Ticks <= TimeSpan.MaxValue.Ticks / QuietDelayFactor
            ? scheduledDelay * QuietDelayFactor
            : scheduledDelay;

    /// <summary>The delay a destination's next batch waits, learned from the batch just sealed.</summary>
    /// <remarks>
    /// The time a full batch took to fill, or for a batch sealed by its delay with
    /// <paramref name="spans"/>, the time a full batch would take at the same rate; never below the
    /// scheduled delay (<paramref name="scheduled"/>) nor above <paramref name="limit"/>. So a quiet destination's
    /// batches grow toward full ones (a hundred quiet teams send a hundred times fewer, larger OTLP
    /// requests than at the scheduled delay; bench/results/2026-11-28-destinations-shared.md), and a busy
    /// one, whose batches fill before the scheduled delay, keeps it.
    /// </remarks>
    internal static TimeSpan NextDelay(TimeSpan waited, int spans, int batchSize, TimeSpan scheduled, TimeSpan limit)
    {
        var wanted = spans >= batchSize
            ? waited
            : TimeSpan.FromTicks((long)Math.Min(limit.Ticks, (double)waited.Ticks * batchSize / Math.Max(1, spans)));
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

    // Spans through OpenTelemetry's serializer into the open batch (translated by rewriter, for a
    // router's), which is sealed once it holds a batch's spans.
    private void SerializeGroup(Activity[] group, SpanRoute?[]? routes, int count, OtlpRewriter? rewriter)
    {
        ExportResult result;
        var before = _capture!.Pieces;
        try
        {
            result = _serializer is { } shared
                ? shared.Serialize(group, count, _capture, rewriter)
                : exporter.Export(new Batch<Activity>(group, count));
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
            // Counted a run at a time: a request's spans come one after the other.
            for (var i = 0; i < count;)
            {
                var route = routes[i];
                var run = 1;
                while (i + run < count && ReferenceEquals(routes[i + run], route))
                {
                    run++;
                }

                if (route is not null && serialized)
                {
                    _members.Add(route, run);
                }
                else if (route is not null)
                {
                    Dropped(run, DropReason.ExportFailed, route.Tag);
                }

                i += run;
            }

            Array.Clear(routes, 0, count);
        }

        if (serialized)
        {
            if (_openSpans == 0)
            {
                _openedAt = Stopwatch.GetTimestamp();
                _openDueAt = OpenDueAt(_openedAt);
            }

            _openSpans += count;
            if (_openSpans >= _batchSize || OpenBatchHoldsItsShare())
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

    // Under memory pressure (the batches the router's channels build and hold reach half the delivery buffer), a
    // channel seals its batch once it holds a quarter of its reserve (what a channel may always hold): a piece more
    // and a buffer of at most twice its bytes still fit. So the batches of a thousand quiet teams after a long delay
    // leave as they grow, not together on the grid past the buffer's bound, where a quarter of their spans were
    // dropped (bench/results/2026-11-29-destinations-quiet-batches.md); without pressure they grow as before.
    private bool OpenBatchHoldsItsShare()
    {
        if (_bufferBudget is not { } budget)
        {
            return false;
        }

        var length = _capture!.Length;
        budget.AddOpen(length - _openBytes);
        _openBytes = length;
        return 4L * length >= budget.Reserve && budget.UnderPressure;
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
        _bufferBudget?.AddOpen(-_openBytes);
        _openBytes = 0;
        var members = _members.Take(_destinationTag);
        if (_capture!.Take() is ({ } body, var length))
        {
            _delivery.Add(body, length, spans, members);
        }
    }
}
