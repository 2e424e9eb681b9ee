using System;
using System.Collections.Generic;
using System.Diagnostics;
using TracedLlm.Telemetry;

namespace TracedLlm;

// The decision: why a request must be kept, the ratio by trace id, and at shut-down the decision
// of every request still holding spans.
public sealed partial class TailSamplingProcessor
{
    /// <inheritdoc />
    /// <remarks>
    /// What is still held is decided first, as if each request's first span ended now (by the code
    /// that decides at that span's end: a failure, guardrail or joined caller seen so far, or the time
    /// the request has run past the latency threshold keeps it, else the ratio), counted in
    /// <c>tracedllm.export.sampling_decisions</c> as any decision, and the kept spans go on to the
    /// queue before it shuts down (which delivers them within its bound or counts
    /// them): nothing held is lost uncounted. Spans that end after are passed on, and counted by the
    /// queue as <c>shut_down</c>.
    /// </remarks>
    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        var released = new List<HeldSpan>();
        var decisions = new List<(bool Keep, string? Reason)>();
        lock (_gate)
        {
            _closed = true;
            var now = DateTime.UtcNow;
            foreach (var request in _running.Values)
            {
                if (request.Decided || request.Held is null)
                {
                    continue;
                }

                var (keep, reason, held) = Decide(request, request.Root, now);
                if (held is not null)
                {
                    released.AddRange(held);
                }

                decisions.Add((keep, reason));
            }
        }

        foreach (var (keep, reason) in decisions)
        {
            CountDecision(keep, reason);
        }

        foreach (var held in released)
        {
            base.OnEnd(held.Span);
        }

        return base.OnShutdown(timeoutMilliseconds);
    }

    // The decision on a request, at its first span's end or, that span still running, at the
    // shut-down: a reason seen on its other spans or on the first span itself keeps it, else the
    // ratio. Its held spans are settled: returned to be passed on if it is kept. Under _gate.
    private (bool Keep, string? Reason, List<HeldSpan>? Released) Decide(Request? request, Activity root, DateTime now)
    {
        var reason = request?.Reason ?? Reason(root, root: true, now);
        var keep = reason is not null || InRatio(root.TraceId);
        return (keep, reason, request is null ? null : Settle(request, keep));
    }

    private static void CountDecision(bool keep, string? reason) =>
        Decisions.Add(
            1,
            new KeyValuePair<string, object?>("decision", keep ? "keep" : "drop"),
            new KeyValuePair<string, object?>("reason", reason ?? "ratio"));

    // Why a request must be kept (null: only the ratio decides): a failure, a guardrail's
    // intervention, a caller's trace it joined, and for its first span, how long it ran (until
    // now, if it is still running).
    private string? Reason(Activity span, bool root, DateTime now = default)
    {
        if (span.Status == ActivityStatusCode.Error)
        {
            return "failure";
        }

        if (span.GetTagItem(AttributeNames.GuardrailStatus) is string status && status == GuardrailStatuses.Intervened)
        {
            return "guardrail";
        }

        if (_keepJoined && span.HasRemoteParent)
        {
            return "joined";
        }

        return root && (span.IsStopped ? span.Duration : now - span.StartTimeUtc) >= _latencyThreshold
            ? "latency"
            : null;
    }

    // The ratio, by trace id, as every exporter and destination draws it (TraceIdRatio).
    private bool InRatio(ActivityTraceId traceId) => TraceIdRatio.Keeps(traceId, _ratio);
}
