using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using OpenTelemetry;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Request-scoped tail sampling in front of an export processor (<see cref="TailSamplingOptions"/>): a request's spans
/// go on together, or none of them.
/// </summary>
/// <remarks>
/// Each ended span waits with its request's others until the request's first span in this process ends, then the whole
/// request goes on to <c>next</c>, or none of it. A request is what starts under one span: its children, found by their
/// parent object or, as TracedLlm starts them, by their parent's context (so ASP.NET Core's request span, the TracedLlm
/// server span inside it, and every span under either are one request). Held spans are bounded like queued ones: a
/// request holds at most <see cref="TailSamplingOptions.MaxHeldBytesPerRequest"/>, all requests together at most
/// <see cref="TailSamplingOptions.MaxHeldBytes"/>; a span past either is refused and counted
/// (<c>tracedllm.export.dropped_spans</c>), never a held one evicted. A request still running past
/// <see cref="TailSamplingOptions.LatencyThreshold"/> is kept whatever else happens, so its spans stop waiting: they
/// pass on as they end once it is that old, and when the held bytes reach their bound, those of every such request pass
/// on at once (so a root span that is never ended cannot pin memory for good). A span that fails after its request was
/// decided is passed on even so: no failure is sampled out.
/// </remarks>
public sealed partial class TailSamplingProcessor : CompositeProcessor<Activity>
{
    /// <summary>The counter of sampling decisions, one per request.</summary>
    internal const string DecisionsInstrument = "tracedllm.export.sampling_decisions";

    private static readonly Counter<long> Decisions = TracedLlmTelemetry.Meter.CreateCounter<long>(
        DecisionsInstrument,
        "{request}",
        "Tail-sampling decisions, by decision (keep, drop) and reason (failure, guardrail, latency, joined, ratio).");

    private readonly double _ratio;
    private readonly TimeSpan _latencyThreshold;
    private readonly bool _keepJoined;
    private readonly long _maxRequestBytes;
    private readonly long _maxHeldBytes;

    // What the processor behind passes on (null: every span). A span it would not send is not held:
    // only its reason to keep its request counts.
    private readonly Func<Activity, bool>? _sends;

    // Every running span of the provider, by span id, to its request (a short lock per start and end).
    private readonly Lock _gate = new();
    private readonly Dictionary<ActivitySpanId, Request> _running = new();
    private long _heldBytes;
    private DateTime _nextSweep;
    private long _dropped;
    private bool _closed;

    /// <summary>
    /// Samples what reaches <paramref name="next"/>; flushes, shut-downs and the provider pass through.
    /// When <paramref name="next"/> is a <see cref="GenerationsOnlyProcessor"/>, only the spans it
    /// sends are held (and count against the bounds); the others still give their reasons.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names each.</exception>
    public TailSamplingProcessor(BaseProcessor<Activity> next, TailSamplingOptions options)
        : this(next, options, sends: next is GenerationsOnlyProcessor ? GenerationsOnlyProcessor.IsGeneration : null)
    {
    }

    /// <summary>
    /// Samples what reaches <paramref name="next"/>, which passes on only the spans <paramref name="sends"/> accepts.
    /// </summary>
    internal TailSamplingProcessor(
        BaseProcessor<Activity> next,
        TailSamplingOptions options,
        Func<Activity, bool>? sends)
        : base(new[] { next ?? throw new ArgumentNullException(nameof(next)) })
    {
        _sends = sends;
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentOutOfRangeException(nameof(options), string.Join(" ", problems));
        }

        _ratio = options.Ratio;
        _latencyThreshold = options.LatencyThreshold;
        _keepJoined = options.KeepJoinedTraces;
        _maxRequestBytes = options.MaxHeldBytesPerRequest;
        _maxHeldBytes = options.MaxHeldBytes;
    }

    /// <summary>Spans refused while held (past a byte bound), since start.</summary>
    public long DroppedSpans => Interlocked.Read(ref _dropped);

    /// <summary>The estimated bytes of the spans held now, waiting for their request's decision.</summary>
    internal long HeldBytes
    {
        get
        {
            lock (_gate)
            {
                return _heldBytes;
            }
        }
    }

    /// <summary>The spans started and not yet ended.</summary>
    internal int RunningSpans
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <inheritdoc />
    public override void OnStart(Activity data)
    {
        lock (_gate)
        {
            _running[data.SpanId] = RequestOf(data) ?? new Request(data);
        }

        base.OnStart(data);
    }

    /// <inheritdoc />
    public override void OnEnd(Activity data)
    {
        List<HeldSpan>? released = null;
        string? reason = null;
        var keep = false;
        var decided = false;
        lock (_gate)
        {
            _running.Remove(data.SpanId, out var request);
            if (_closed)
            {
                // Shut down: nothing is held any more; the queue behind counts the span (shut_down).
                keep = true;
            }
            else if (request is not null && !ReferenceEquals(request.Root, data))
            {
                if (!request.Decided && !RunningPastThreshold(request, DateTime.UtcNow))
                {
                    released = Hold(request, data);
                }
                else
                {
                    if (!request.Decided)
                    {
                        // Running past the latency threshold: kept whatever else happens, so nothing need wait.
                        KeepEarly(request, ref released);
                    }

                    // Ended after its request was decided: it follows the decision, unless it failed.
                    keep = request.Kept || data.Status == ActivityStatusCode.Error;
                }
            }
            else
            {
                // The request's first span (or one started before this processor was there): the decision.
                decided = true;
                (keep, reason, released) = Decide(request, data, DateTime.UtcNow);
            }
        }

        if (decided)
        {
            CountDecision(keep, reason);
        }

        if (released is not null)
        {
            foreach (var held in released)
            {
                base.OnEnd(held.Span);
            }
        }

        if (keep)
        {
            base.OnEnd(data);
        }
    }

    // The request of a span starting now: its nearest ancestor this processor saw start. Under _gate.
    private Request? RequestOf(Activity span) => SpanRequests.Nearest(span, _running);

    // Holds an ended span until its request's decision, within the bounds; what a full bound frees
    // first (see Sweep) is returned, to be passed on. Under _gate.
    private List<HeldSpan>? Hold(Request request, Activity span)
    {
        request.Reason ??= Reason(span, root: false);
        if (_sends is { } sends && !sends(span))
        {
            // Never sent, whatever the decision: nothing to hold.
            return null;
        }

        var bytes = SpanSize.Estimate(span);
        List<HeldSpan>? released = null;
        if (_heldBytes + bytes > _maxHeldBytes)
        {
            released = Sweep();
        }

        var refused = request.Bytes + bytes > _maxRequestBytes ? BoundedExportProcessor.DropReason.HeldRequestShare
            : _heldBytes + bytes > _maxHeldBytes ? BoundedExportProcessor.DropReason.HeldBytes
            : (BoundedExportProcessor.DropReason?)null;
        if (refused is { } reason)
        {
            Interlocked.Increment(ref _dropped);
            BoundedExportProcessor.CountDrop(1, reason);
            return released;
        }

        (request.Held ??= new List<HeldSpan>()).Add(new HeldSpan(span, bytes));
        request.Bytes += bytes;
        _heldBytes += bytes;
        return released;
    }

    // The held bound is full: the requests running past the latency threshold (kept whatever else
    // happens, and all that a root that never ends can be) let their spans go. Under _gate. A sweep
    // that frees nothing says when the next one can: no request crosses the threshold before the
    // earliest undecided one does (a request that starts later crosses it later), so while the bound
    // stays full, a span's end costs a clock read, not a walk over every running request.
    private List<HeldSpan>? Sweep()
    {
        var now = DateTime.UtcNow;
        if (now < _nextSweep)
        {
            return null;
        }

        List<HeldSpan>? released = null;
        var next = now + _latencyThreshold;
        foreach (var request in _running.Values)
        {
            if (request.Decided)
            {
                continue;
            }

            if (request.Held is not null && RunningPastThreshold(request, now))
            {
                KeepEarly(request, ref released);
            }
            else if (request.Root.StartTimeUtc + _latencyThreshold is var due && due > now && due < next)
            {
                // A request already past the threshold that holds nothing has nothing for a sweep to
                // free (its later spans are kept as they end), so it does not bring the next sweep forward.
                next = due;
            }
        }

        _nextSweep = next;
        return released;
    }

    private bool RunningPastThreshold(Request request, DateTime now) =>
        now - request.Root.StartTimeUtc >= _latencyThreshold;

    // Decided before its end: kept (for its latency, counted when its first span ends). Under _gate.
    private void KeepEarly(Request request, ref List<HeldSpan>? released)
    {
        if (Settle(request, keep: true) is { } held)
        {
            (released ??= new List<HeldSpan>()).AddRange(held);
        }

        request.Reason ??= "latency";
    }

    // The request is decided: its held spans leave the bound, returned to be passed on if it is kept. Under _gate.
    private List<HeldSpan>? Settle(Request request, bool keep)
    {
        var held = request.Held;
        _heldBytes -= request.Bytes;
        request.Held = null;
        request.Bytes = 0;
        request.Decided = true;
        request.Kept = keep;
        return keep ? held : null;
    }

    private readonly record struct HeldSpan(Activity Span, long Bytes);

    private sealed class Request(Activity root)
    {
        public readonly Activity Root = root;
        public List<HeldSpan>? Held;
        public long Bytes;
        public string? Reason;
        public bool Decided;
        public bool Kept;
    }
}
