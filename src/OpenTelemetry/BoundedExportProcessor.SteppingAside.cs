using System;
using System.Diagnostics;
using System.Threading;

namespace TracedLlm;

public sealed partial class BoundedExportProcessor
{
    // Stepping aside (ExportThreadScheduling): the export thread runs under SCHED_IDLE while the queue
    // is short, and the request path brings it back (by its thread id) once the spans behind it reach
    // _catchUp, so a busy gateway never starves it into dropping spans. After spans have piled up it
    // stays the requests' equal until _equalHold has passed with none piling up (the thread state's
    // EqualUntil, a Stopwatch timestamp): a gateway whose export keeps falling behind keeps it there,
    // instead of starving it again before every batch; one that catches up steps aside again at most
    // once a hold.
    private readonly int _catchUp;
    private readonly long _equalHold;
    private readonly bool _yieldToRequests;
    private bool _canStepAside;

    // The thread's state: its own, or the shared export thread's for a router's destinations (so
    // that every destination on it sees whether it is stepped aside, and holds it equal for all).
    private readonly ExportThreadState _threadState;

    /// <summary>
    /// How long the export thread stays the requests' equal after spans last piled up behind it,
    /// before it steps aside again. A second: long beside a batch's export (milliseconds), short
    /// beside a burst of traffic, so a saturated gateway never starves its export thread.
    /// </summary>
    internal static TimeSpan DefaultEqualHold { get; } = TimeSpan.FromSeconds(1);

    // Before each batch: step aside while less than a batch waits behind this one, no flush or
    // shut-down waits for it and no spans have piled up for a while; otherwise run as the requests' equal.
    private void StepAsideUnlessNeeded(bool waitedFor)
    {
        if (!_canStepAside)
        {
            return;
        }

        if (QueuedAtLeast(_batchSize) || SharedBacklog())
        {
            HoldEqual();
            StepBack();
        }
        else if (waitedFor || Stopwatch.GetTimestamp() < Volatile.Read(ref _threadState.EqualUntil))
        {
            StepBack();
        }
        else if (Volatile.Read(ref _threadState.Background) == 0 && ExportThreadScheduling.Apply(background: true))
        {
            // Published after the policy is set, then the queue read again: a request that queued
            // a backlog meanwhile either sees the flag and brings the thread back, or is seen here.
            Volatile.Write(ref _threadState.Background, 1);
            if (Backlog())
            {
                HoldEqual();
                StepBack();
            }
        }
    }

    // Spans piled up: no stepping aside until they have not for _equalHold.
    private void HoldEqual() => Volatile.Write(ref _threadState.EqualUntil, Stopwatch.GetTimestamp() + _equalHold);

    // Back to the normal policy, from the export thread or a request thread (once per step aside).
    private void StepBack()
    {
        if (Interlocked.CompareExchange(ref _threadState.Background, 0, 1) == 1)
        {
            ExportThreadScheduling.Apply(background: false, _threadState.ThreadId);
        }
    }
}
