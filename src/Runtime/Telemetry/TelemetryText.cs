using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Threading;

namespace TracedLlm.Telemetry;

/// <summary>
/// The one way client-derived text reaches a span: credentials redacted, cut to the length limit
/// with a visible marker, and charged to the request's byte budget (<see cref="TelemetryBudget"/>).
/// Every value left out or cut is counted by <c>tracedllm.telemetry.dropped</c>.
/// </summary>
internal static class TelemetryText
{
    // A credential cut in two by truncation must still be recognized: the scan looks this far past the cut.
    private const int ScanBeyondCut = 256;

    private static readonly Counter<long> Dropped = TracedLlmTelemetry.Meter.CreateCounter<long>(
        "tracedllm.telemetry.dropped",
        "{value}",
        "Client-derived telemetry values cut or left out by TracedLlm's bounds, by tracedllm.drop.reason.");

    private static readonly Counter<long> Redacted = TracedLlmTelemetry.Meter.CreateCounter<long>(
        "tracedllm.telemetry.redacted",
        "{value}",
        "Client-derived telemetry values in which TracedLlm redacted a secret.");

    /// <summary>Why a value was cut or left out.</summary>
    public static class Reasons
    {
        public const string Truncated = "truncated";
        public const string AttributeLimit = "attribute_limit";
        public const string EventLimit = "event_limit";
        public const string MetadataKeyLimit = "metadata_key_limit";
        public const string RequestBudget = "request_budget";
    }

    /// <summary>
    /// <paramref name="value"/> as it may be recorded on a span of <paramref name="call"/>: redacted,
    /// cut to <paramref name="maxLength"/>, charged with <paramref name="key"/> to the request's
    /// budget; null (left out) when the budget is spent. <paramref name="dropped"/> counts both.
    /// </summary>
    public static string? ForSpan(LlmCall call, string key, string value, int maxLength, ref int dropped)
    {
        var options = call.Gateway.Options;
        var bounded = Bound(value, maxLength, options.Redaction, ref dropped);
        if (!call.TelemetryBudget.TryCharge(
                key.Length + Encoding.UTF8.GetByteCount(bounded),
                options.Limits.MaxTelemetryBytesPerRequest))
        {
            Count(Reasons.RequestBudget);
            dropped++;
            return null;
        }

        return bounded;
    }

    /// <summary>
    /// <paramref name="value"/> redacted and cut to <paramref name="maxLength"/> characters, with the marker when cut.
    /// </summary>
    public static string Bound(string value, int maxLength, SecretRedaction redaction)
    {
        var dropped = 0;
        return Bound(value, maxLength, redaction, ref dropped);
    }

    private static string Bound(string value, int maxLength, SecretRedaction redaction, ref int dropped)
    {
        maxLength = Math.Max(0, maxLength);

        // Only the part that can be kept is scanned (a huge value is not scanned to its end), but
        // far enough past the cut that a credential crossing it is seen whole.
        var scanned = value.Length > maxLength + ScanBeyondCut ? value[..(maxLength + ScanBeyondCut)] : value;
        var redacted = redaction.Redact(scanned);
        if (!ReferenceEquals(redacted, scanned))
        {
            Redacted.Add(1);
        }

        if (redacted.Length <= maxLength && scanned.Length == value.Length)
        {
            return redacted;
        }

        Count(Reasons.Truncated);
        dropped++;
        var marker = TelemetryLimits.TruncationMarker;
        return maxLength <= marker.Length
            ? redacted[..Math.Min(maxLength, redacted.Length)]
            : string.Concat(redacted.AsSpan(0, Math.Min(redacted.Length, maxLength - marker.Length)), marker);
    }

    /// <summary>Counts one value cut or left out.</summary>
    public static void Count(string reason, long values = 1)
    {
        if (Dropped.Enabled && values > 0)
        {
            Dropped.Add(values, new KeyValuePair<string, object?>("tracedllm.drop.reason", reason));
        }
    }

    /// <summary>
    /// Adds an <c>exception</c> event whose message and stack trace are redacted and bounded (an
    /// exception's message may carry client text), unless the span has reached its event limit.
    /// On an unauthenticated request, only a gateway exception's message (the reason the client was
    /// told) is kept: any other message could echo what the caller sent, and the stack trace is the frames alone.
    /// </summary>
    public static void AddException(Activity span, Exception exception, LlmCall call)
    {
        if (!span.IsAllDataRequested)
        {
            return;
        }

        var options = call.Gateway.Options;
        if (!HasRoomForEvent(span, options.Limits.MaxEventsPerSpan))
        {
            return;
        }

        var limit = options.Limits.MaxAttributeValueLength;
        var trusted = call.Trust != CallerTrust.Unauthenticated;
        var message =
            trusted || exception is GatewayException
                ? exception.Message
                : "(not recorded: the caller was not authenticated)";
        // Without the source files' directories: build paths never reach a trace backend.
        var stackTrace = ExceptionEvents.WithoutSourceDirectories(
            trusted
                ? exception.ToString()
                : $"{exception.GetType().FullName}{Environment.NewLine}{exception.StackTrace}");
        span.AddException(
            exception,
            new TagList
            {
                { "exception.message", Bound(message, limit, options.Redaction) },
                { "exception.stacktrace", Bound(stackTrace, limit, options.Redaction) },
            });
    }

    /// <summary>
    /// True when the span has fewer than <paramref name="maxEvents"/> events; counts the drop otherwise.
    /// </summary>
    public static bool HasRoomForEvent(Activity span, int maxEvents)
    {
        var events = 0;
        foreach (ref readonly var _ in span.EnumerateEvents())
        {
            if (++events >= maxEvents)
            {
                break;
            }
        }

        if (events < maxEvents)
        {
            return true;
        }

        Count(Reasons.EventLimit);
        return false;
    }
}

/// <summary>
/// What is left of one request's telemetry byte budget; shared by all its spans (and guardrails running beside the
/// handler).
/// </summary>
internal struct TelemetryBudget
{
    private long _spent;

    /// <summary>
    /// Charges <paramref name="bytes"/>; false, and nothing charged, when that would pass <paramref name="limit"/>.
    /// </summary>
    public bool TryCharge(long bytes, long limit)
    {
        var spent = Interlocked.Add(ref _spent, bytes);
        if (spent <= limit)
        {
            return true;
        }

        Interlocked.Add(ref _spent, -bytes);
        return false;
    }
}
