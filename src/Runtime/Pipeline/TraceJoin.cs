using System;
using System.Diagnostics;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>How the server span joins its caller's trace.</summary>
public enum TraceJoinSource
{
    /// <summary>A new root.</summary>
    None,
    /// <summary>The W3C <c>traceparent</c> header.</summary>
    TraceParent,
    /// <summary><c>existing_trace_id</c> / <c>trace_id</c> in the metadata slot.</summary>
    Metadata,
}

/// <summary>
/// Decides the server span's parent with one fixed precedence: the metadata ids, then
/// <c>traceparent</c> (unless <c>OTEL_IGNORE_CONTEXT_PROPAGATION</c>), then a new root. Invalid ids
/// never fail the request: they are ignored and reported as span events.
/// </summary>
public readonly struct TraceJoin
{
    private readonly InvalidTraceInput _invalid;

    private TraceJoin(ActivityContext parent, TraceJoinSource source, InvalidTraceInput invalid)
    {
        Parent = parent;
        Source = source;
        _invalid = invalid;
    }

    /// <summary>The server span's parent context (default for a new root).</summary>
    public ActivityContext Parent { get; }

    /// <summary>Where <see cref="Parent"/> came from.</summary>
    public TraceJoinSource Source { get; }

    /// <summary>Applies the precedence.</summary>
    public static TraceJoin Resolve(LlmMetadata metadata, StringValues traceParent, StringValues traceState, bool ignoreContextPropagation)
    {
        var invalid = InvalidTraceInput.None;
        var inbound = default(ActivityContext);
        if (!ignoreContextPropagation && traceParent.Count > 0)
        {
            if (traceParent.Count > 1
                || !ActivityContext.TryParse(traceParent[0], traceState.Count == 1 ? traceState[0] : null, isRemote: true, out inbound))
            {
                invalid |= InvalidTraceInput.TraceParent;
                inbound = default;
            }
        }

        if (metadata.ExistingTraceId is { } rawTraceId)
        {
            if (TryParseTraceId(rawTraceId, out var traceId))
            {
                ActivitySpanId parentSpanId = default;
                if (metadata.ParentObservationId is { } rawParent && !TryParseSpanId(rawParent, out parentSpanId))
                {
                    invalid |= InvalidTraceInput.ParentObservationId;
                }

                if (parentSpanId == default && inbound.TraceId == traceId)
                {
                    parentSpanId = inbound.SpanId;
                }

                // The caller asked to be joined, so its trace is recorded.
                var parent = new ActivityContext(traceId, parentSpanId, ActivityTraceFlags.Recorded, inbound.TraceId == traceId ? inbound.TraceState : null, isRemote: true);
                return new TraceJoin(parent, TraceJoinSource.Metadata, invalid);
            }

            invalid |= InvalidTraceInput.ExistingTraceId;
        }
        else if (metadata.ParentObservationId is not null)
        {
            invalid |= InvalidTraceInput.ParentObservationWithoutTrace;
        }

        return inbound == default
            ? new TraceJoin(default, TraceJoinSource.None, invalid)
            : new TraceJoin(inbound, TraceJoinSource.TraceParent, invalid);
    }

    /// <summary>Records one span event per ignored input on the server span.</summary>
    public void RecordEvents(Activity server)
    {
        if (_invalid == InvalidTraceInput.None)
        {
            return;
        }

        Add(server, InvalidTraceInput.TraceParent, "traceparent", "not a valid W3C traceparent, or sent more than once");
        Add(server, InvalidTraceInput.ExistingTraceId, "existing_trace_id", "not 32 lowercase hex digits (dashes allowed) or all zeros");
        Add(server, InvalidTraceInput.ParentObservationId, "parent_observation_id", "not 16 lowercase hex digits or all zeros");
        Add(server, InvalidTraceInput.ParentObservationWithoutTrace, "parent_observation_id", "sent without existing_trace_id");
    }

    private void Add(Activity server, InvalidTraceInput flag, string field, string reason)
    {
        if ((_invalid & flag) != 0)
        {
            server.AddEvent(new ActivityEvent(AttributeNames.InvalidTraceContextEvent, tags: new ActivityTagsCollection
            {
                [AttributeNames.InvalidTraceContextField] = field,
                [AttributeNames.InvalidTraceContextReason] = reason,
            }));
        }
    }

    /// <summary>32 lowercase hex digits once dashes are removed (a UUID), not all zeros.</summary>
    public static bool TryParseTraceId(string value, out ActivityTraceId traceId)
    {
        Span<char> digits = stackalloc char[32];
        if (TryCollectHex(value, digits, allowDashes: true))
        {
            traceId = ActivityTraceId.CreateFromString(digits);
            return true;
        }

        traceId = default;
        return false;
    }

    /// <summary>16 lowercase hex digits, not all zeros.</summary>
    public static bool TryParseSpanId(string value, out ActivitySpanId spanId)
    {
        Span<char> digits = stackalloc char[16];
        if (TryCollectHex(value, digits, allowDashes: false))
        {
            spanId = ActivitySpanId.CreateFromString(digits);
            return true;
        }

        spanId = default;
        return false;
    }

    private static bool TryCollectHex(string value, Span<char> digits, bool allowDashes)
    {
        var count = 0;
        var nonZero = false;
        foreach (var c in value)
        {
            if (c == '-' && allowDashes)
            {
                continue;
            }

            if (count == digits.Length || !(char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
            {
                return false;
            }

            nonZero |= c != '0';
            digits[count++] = c;
        }

        return count == digits.Length && nonZero;
    }

    [Flags]
    private enum InvalidTraceInput
    {
        None = 0,
        TraceParent = 1,
        ExistingTraceId = 2,
        ParentObservationId = 4,
        ParentObservationWithoutTrace = 8,
    }
}
