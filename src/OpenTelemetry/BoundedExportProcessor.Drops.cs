using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using TracedLlm.Telemetry;

namespace TracedLlm;

// Drop accounting: every span not delivered counted by reason, in DroppedSpans and the
// tracedllm.export.dropped_spans counter, and warned about at most once per interval.
public sealed partial class BoundedExportProcessor
{
    /// <summary>The counter of spans not delivered.</summary>
    internal const string DroppedSpansInstrument = "tracedllm.export.dropped_spans";

    /// <summary>The counter's tag that says why: one of the <see cref="DropReason"/> names in snake case.</summary>
    internal const string ReasonTag = "reason";

    /// <summary>
    /// The counter's tag that says whose spans: the exporter's queue or a router's destination, by its configured name.
    /// </summary>
    /// <remarks>
    /// The queue is <c>Langfuse</c>, <c>Otlp</c>, <c>Phoenix</c> or <c>LangSmith</c>. The names are bounded:
    /// destinations are configured, and at most <see cref="TraceRoutingOptions.MaxLiveDestinations"/> are open.
    /// </remarks>
    internal const string DestinationTag = "destination";

    private static readonly Counter<long> DroppedCounter = TracedLlmTelemetry.Meter.CreateCounter<long>(
        DroppedSpansInstrument,
        "{span}",
        "Spans not delivered to the exporter, by reason: queue_full, queue_bytes, request_share, held_bytes, "
        + "held_request_share, buffer_full, export_failed, rejected, shut_down, shutdown_timeout.");

    /// <summary>Why a span was not delivered.</summary>
    internal enum DropReason
    {
        /// <summary>The queue held <see cref="ExportQueueOptions.MaxQueueSize"/> spans.</summary>
        QueueFull,

        /// <summary>The span would have taken the queue past <see cref="ExportQueueOptions.MaxQueueBytes"/>.</summary>
        QueueBytes,

        /// <summary>
        /// The span would have taken its request past <see cref="ExportQueueOptions.MaxQueueBytesPerRequest"/>.
        /// </summary>
        RequestShare,

        /// <summary>
        /// The span's serialized batch would have taken the buffer past
        /// <see cref="ExportQueueOptions.MaxBufferedExportBytes"/> (and the disk buffer, if any, was full).
        /// </summary>
        BufferFull,

        /// <summary>The exporter did not deliver the span's batch, or the endpoint refused it for good.</summary>
        ExportFailed,

        /// <summary>
        /// The endpoint took the span's batch but rejected the span (an OTLP partial success): it is not sent again.
        /// </summary>
        Rejected,

        /// <summary>The span ended after the processor shut down.</summary>
        ShutDown,

        /// <summary>The span was still queued when the shut-down's time ran out.</summary>
        ShutdownTimeout,

        /// <summary>
        /// The tail sampler refused to hold the span: it would have taken the held spans past
        /// <see cref="TailSamplingOptions.MaxHeldBytes"/>.
        /// </summary>
        HeldBytes,

        /// <summary>
        /// The tail sampler refused to hold the span: it would have taken its request past
        /// <see cref="TailSamplingOptions.MaxHeldBytesPerRequest"/>.
        /// </summary>
        HeldRequestShare,
    }

    private void Dropped(long spans, DropReason reason, KeyValuePair<string, object?>? destination) =>
        Dropped(spans, reason, warn: true, said: null, destination);

    // Counted under destination's name when given (a router's span), else under the processor's.
    private void Dropped(
        long spans,
        DropReason reason,
        bool warn = true,
        string? said = null,
        KeyValuePair<string, object?>? destination = null)
    {
        var total = Interlocked.Add(ref _dropped, spans);
        CountDrop(spans, reason, destination ?? _destinationTag);
        if (!warn)
        {
            return;
        }

        // Formatted only when it is written: a saturated gateway drops spans on the request path.
        if (WarningDue(ref _lastWarning))
        {
            _warn(
                $"TracedLlm export: {Describe(reason)}{(said is { Length: > 0 } ? $" (\"{said}\")" : string.Empty)}; "
                + $"{total} span(s) dropped so far. Requests are not affected.");
        }
    }

    /// <summary>Adds to the <c>tracedllm.export.dropped_spans</c> counter.</summary>
    internal static void CountDrop(long spans, DropReason reason) =>
        DroppedCounter.Add(spans, new KeyValuePair<string, object?>(ReasonTag, TagValue(reason)));

    /// <summary>
    /// Adds to the <c>tracedllm.export.dropped_spans</c> counter, for the destination <paramref name="destination"/>
    /// names (when it names one).
    /// </summary>
    internal static void CountDrop(long spans, DropReason reason, KeyValuePair<string, object?> destination)
    {
        if (destination.Value is null)
        {
            CountDrop(spans, reason);
        }
        else
        {
            DroppedCounter.Add(spans, new KeyValuePair<string, object?>(ReasonTag, TagValue(reason)), destination);
        }
    }

    // Whether a warning may be written now (at most once per interval per kind; this caller takes the turn).
    private bool WarningDue(ref long last)
    {
        var now = Stopwatch.GetTimestamp();
        var previous = Interlocked.Read(ref last);
        return (previous == 0 || Stopwatch.GetElapsedTime(previous, now) >= _warningInterval)
            && Interlocked.CompareExchange(ref last, now, previous) == previous;
    }

    private static string TagValue(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.QueueBytes => "queue_bytes",
        DropReason.RequestShare => "request_share",
        DropReason.BufferFull => "buffer_full",
        DropReason.ExportFailed => "export_failed",
        DropReason.Rejected => "rejected",
        DropReason.ShutDown => "shut_down",
        DropReason.HeldBytes => "held_bytes",
        DropReason.HeldRequestShare => "held_request_share",
        _ => "shutdown_timeout",
    };

    private static string Describe(DropReason reason) => reason switch
    {
        DropReason.QueueFull => "the export queue is full",
        DropReason.QueueBytes => "the export queue holds its byte limit",
        DropReason.RequestShare => "a request's spans passed their share of the export queue",
        DropReason.BufferFull => "the export buffer holds its byte limit while the endpoint does not take batches",
        DropReason.ExportFailed => "the exporter could not deliver a batch",
        DropReason.Rejected => "the endpoint took a batch but rejected some of its spans",
        DropReason.ShutDown => "spans ended after the export shut down",
        DropReason.HeldBytes => "the tail sampler holds its byte limit",
        DropReason.HeldRequestShare => "a request's spans passed their share of the tail sampler's held bytes",
        _ => "the shut-down's time ran out with spans queued",
    };

    /// <summary>
    /// A batch's spans, <paramref name="spans"/> of them, by destination: each its own count when
    /// they are all of the batch's, else shares in proportion (an endpoint's partial rejection names no span).
    /// </summary>
    internal static IEnumerable<(KeyValuePair<string, object?> Destination, long Spans)> Shares(
        ExportPayload.Member[] members, long spans)
    {
        long total = 0;
        foreach (var member in members)
        {
            total += member.Spans;
        }

        var left = spans;
        for (var i = 0; i < members.Length && left > 0; i++)
        {
            // The last takes what is left: the shares add up to the spans whatever the rounding.
            var proportional = spans >= total ? members[i].Spans : members[i].Spans * spans / total;
            var share = i == members.Length - 1 ? left : Math.Min(left, proportional);
            if (share > 0)
            {
                left -= share;
                yield return (members[i].Destination, share);
            }
        }
    }

    /// <summary>The delivery's news, into the processor's counts and warnings.</summary>
    private sealed class Report(BoundedExportProcessor processor) : IDeliveryReport
    {
        public void Delivered(long spans) => Interlocked.Add(ref processor._exported, spans);

        // A shut-down's drops are said once, with the delivery's count (OnShutdown).
        public void Dropped(ExportPayload? payload, long spans, DropReason reason, string? said = null)
        {
            var warn = reason != DropReason.ShutdownTimeout;
            if (payload?.Members is not { } members)
            {
                processor.Dropped(spans, reason, warn, said);
                return;
            }

            foreach (var (destination, share) in Shares(members, spans))
            {
                processor.Dropped(share, reason, warn, said, destination);
            }
        }

        public void Retrying(long spans, string detail, TimeSpan wait)
        {
            if (processor.WarningDue(ref processor._lastRetryWarning))
            {
                processor._warn(
                    $"TracedLlm export: the endpoint did not take a batch ({detail}); trying again in "
                    + $"{wait.TotalSeconds:0.#} s, with {processor._delivery?.UndeliveredSpans ?? spans} span(s) "
                    + "waiting. New spans keep queueing; requests are not affected.");
            }
        }

        public void Warn(string message) => processor._warn(message);

        public void DiskWriteFailed(string problem)
        {
            // Once per interval, with how many failed since the last warning: a full or broken disk
            // fails every batch, and a line per batch would flood the log.
            Interlocked.Increment(ref processor._diskWriteFailures);
            if (processor.WarningDue(ref processor._lastDiskWarning))
            {
                var others = Interlocked.Exchange(ref processor._diskWriteFailures, 0) - 1;
                var more = others > 0
                    ? $" {others} more batch(es) could not be written since the last warning."
                    : string.Empty;
                processor._warn($"TracedLlm export: {problem}; batches wait in memory." + more);
            }
        }
    }
}
