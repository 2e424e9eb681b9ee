using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace TracedLlm;

// The queue on the request path: a span enqueued within the bounds (spans, bytes, its request's share)
// or refused and counted, and taken off by the export thread.
public sealed partial class BoundedExportProcessor
{
    /// <summary>The estimated bytes queued now.</summary>
    internal long QueuedBytes
    {
        get
        {
            lock (_gate)
            {
                return _queuedBytes;
            }
        }
    }

    /// <summary>The spans queued now.</summary>
    internal int QueuedSpans
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <inheritdoc />
    protected override void OnExport(Activity data) => Enqueue(data, route: null);

    /// <summary>
    /// Queues a router's span for <paramref name="route"/>'s destination, or refuses it uncounted when
    /// the processor is closed (the router then queues it where the destination opened again).
    /// </summary>
    internal bool TryEnqueue(Activity data, SpanRoute route) => Enqueue(data, route);

    // False only when closed and the span is a router's (its caller queues it elsewhere).
    private bool Enqueue(Activity data, SpanRoute? route)
    {
        var bytes = SpanSize.Estimate(data);
        var request = data.TraceId;
        DropReason? refused = null;
        bool batchReady, backlog;
        long heldUntil = 0;
        var stepsAside = Volatile.Read(ref _threadState.Background) == 1;
        lock (_gate)
        {
            if (_closed)
            {
                if (route is not null)
                {
                    return false;
                }

                refused = DropReason.ShutDown;
            }
            else if (_queue.Count >= _maxQueueSize)
            {
                refused = DropReason.QueueFull;
            }
            else
            {
                ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_requestBytes, request, out var known);
                // A router's destination also shares the queued bytes of every destination (its budget).
                if (held + bytes > _maxRequestBytes || _queuedBytes + bytes > _maxQueueBytes
                    || !(_queueBudget?.TryTake(bytes, _queuedBytes + bytes) ?? true))
                {
                    refused = held + bytes > _maxRequestBytes ? DropReason.RequestShare : DropReason.QueueBytes;
                    if (!known)
                    {
                        _requestBytes.Remove(request);
                    }
                }
                else
                {
                    held += bytes;
                    _queuedBytes += bytes;
                    _queue.Enqueue(new Entry(data, bytes, request, route));
                    if (_queue.Count == 1 && route is not null)
                    {
                        heldUntil = (_heldSince = Stopwatch.GetTimestamp()) + _holdTicks;
                    }
                }
            }

            batchReady = _queue.Count >= _wakeAt;
            backlog = stepsAside && QueuedAtLeastLocked(_catchUp);
        }

        if (heldUntil != 0)
        {
            // A turn once the hold has passed, unless the queue fills a piece before.
            _workers!.ScheduleAt(_member!, heldUntil);
        }

        if (refused is { } reason)
        {
            Dropped(1, reason, route?.Tag);
        }
        else
        {
            if (batchReady)
            {
                Wake();
            }

            // Checked on every span of a router's channel: a thousand channels of a request or two
            // each never fill a batch, while together they may hold seconds of spans. The queue as
            // this span left it (read under the lock only while stepped aside): reading it again
            // took the channel's lock a second time a span.
            if (stepsAside && (batchReady || _queueBudget is not null) && (backlog || SharedBacklog()))
            {
                HoldEqual();
                StepBack();
            }
        }

        return true;
    }

    // Spans pile up behind the export: it must compete with requests as their equal.
    private bool Backlog() => QueuedAtLeast(_catchUp) || SharedBacklog();

    // A router's channels together hold a sixteenth of their queues' bound: the export falls behind.
    private bool SharedBacklog() => _queueBudget is { } budget && budget.Used >= budget.Total / 16;

    // At least this many spans, or half the byte budget, wait in the queue.
    private bool QueuedAtLeast(int spans)
    {
        lock (_gate)
        {
            return QueuedAtLeastLocked(spans);
        }
    }

    // QueuedAtLeast, under _gate.
    private bool QueuedAtLeastLocked(int spans) => _queue.Count >= spans || _queuedBytes >= _maxQueueBytes / 2;

    // Up to max spans off the queue into batch, and their routes into routes (when given).
    private int Take(Activity[] batch, SpanRoute?[]? routes, int max)
    {
        var count = 0;
        var taken = 0L;
        lock (_gate)
        {
            while (count < max && _queue.TryDequeue(out var entry))
            {
                if (routes is not null)
                {
                    routes[count] = entry.Route;
                }

                batch[count++] = entry.Span;
                taken += entry.Bytes;
                ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_requestBytes, entry.Request);
                if (!Unsafe.IsNullRef(ref held) && (held -= entry.Bytes) <= 0)
                {
                    _requestBytes.Remove(entry.Request);
                }
            }

            // Given back to the shared budget once a take, not once a span: every channel's requests
            // add to the same counter from the other core.
            _queuedBytes -= taken;
            _queueBudget?.Return(taken);
        }

        return count;
    }

    private readonly record struct Entry(Activity Span, long Bytes, ActivityTraceId Request, SpanRoute? Route);
}
