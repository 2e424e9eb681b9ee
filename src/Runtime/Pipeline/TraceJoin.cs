using System;
using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>How the server span joins its caller's trace.</summary>
internal enum TraceJoinSource
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
internal readonly struct TraceJoin
{
    private readonly InvalidTraceInput _invalid;

    private TraceJoin(
        ActivityContext parent, TraceJoinSource source, InvalidTraceInput invalid, string? traceIdSeed = null)
    {
        Parent = parent;
        Source = source;
        _invalid = invalid;
        TraceIdSeed = traceIdSeed;
    }

    /// <summary>The server span's parent context (default for a new root).</summary>
    public ActivityContext Parent { get; }

    /// <summary>Where <see cref="Parent"/> came from.</summary>
    public TraceJoinSource Source { get; }

    /// <summary>
    /// The non-hex <c>trace_id</c> / <c>existing_trace_id</c> the trace id was derived from
    /// (<see cref="TraceIdFromSeed"/>), or null.
    /// </summary>
    public string? TraceIdSeed { get; }

    /// <summary>Applies the precedence.</summary>
    public static TraceJoin Resolve(
        LlmMetadata metadata, StringValues traceParent, StringValues traceState, bool ignoreContextPropagation)
    {
        var invalid = InvalidTraceInput.None;
        var inbound = default(ActivityContext);
        if (!ignoreContextPropagation && traceParent.Count > 0)
        {
            if (traceParent.Count > 1
                || !ActivityContext.TryParse(traceParent[0], traceState: null, isRemote: true, out inbound))
            {
                invalid |= InvalidTraceInput.TraceParent;
                inbound = default;
            }
            else if (traceState.Count > 0)
            {
                // ActivityContext takes any text as its trace state: OpenTelemetry's propagator reads it
                // (TraceStateHeader), several headers as one list, and an invalid one is not kept.
                if (TraceStateHeader.TryRead(traceState, out var kept))
                {
                    inbound = new ActivityContext(
                        inbound.TraceId, inbound.SpanId, inbound.TraceFlags, kept, isRemote: true);
                }
                else
                {
                    invalid |= InvalidTraceInput.TraceState;
                }
            }
        }

        if (metadata.ExistingTraceId is { } rawTraceId)
        {
            if (TryResolveTraceId(rawTraceId, out var traceId, out var seeded))
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
                var parent = new ActivityContext(
                    traceId,
                    parentSpanId,
                    ActivityTraceFlags.Recorded,
                    inbound.TraceId == traceId ? inbound.TraceState : null,
                    isRemote: true);
                return new TraceJoin(parent, TraceJoinSource.Metadata, invalid, seeded ? rawTraceId : null);
            }

            invalid |= metadata.TraceIdFromAlias ? InvalidTraceInput.TraceIdAlias : InvalidTraceInput.ExistingTraceId;
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

        Add(server, InvalidTraceInput.TraceParent, "traceparent",
            "not a valid W3C traceparent, or sent more than once");
        Add(server, InvalidTraceInput.TraceState, "tracestate",
            "not a valid W3C tracestate (at most 32 key=value members of its characters and lengths): none kept");
        Add(server, InvalidTraceInput.ExistingTraceId, "existing_trace_id", InvalidTraceIdReason);
        Add(server, InvalidTraceInput.TraceIdAlias, "trace_id", InvalidTraceIdReason);
        Add(server, InvalidTraceInput.ParentObservationId, "parent_observation_id", "not 16 hex digits, or all zeros");
        Add(server, InvalidTraceInput.ParentObservationWithoutTrace, "parent_observation_id",
            "sent without existing_trace_id or trace_id");
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

    /// <summary>
    /// The trace id a metadata <c>trace_id</c> / <c>existing_trace_id</c> names: 32 hex digits (either case, dashes
    /// allowed, so a UUID too) are the id itself.
    /// </summary>
    /// <remarks>
    /// Any other non-empty string is a seed, hashed the way Langfuse's SDKs' <c>createTraceId(seed)</c> does
    /// (<see cref="TraceIdFromSeed"/>). Empty and all-zero values name no trace.
    /// </remarks>
    public static bool TryResolveTraceId(string value, out ActivityTraceId traceId, out bool seeded)
    {
        seeded = false;
        Span<char> digits = stackalloc char[32];
        switch (CollectHex(value, digits, allowDashes: true))
        {
            case HexId.Valid:
                traceId = ActivityTraceId.CreateFromString(digits);
                return true;
            case HexId.Empty:
                traceId = default;
                return false;
            default:
                traceId = TraceIdFromSeed(value);
                seeded = true;
                return true;
        }
    }

    /// <summary>32 hex digits (either case) once dashes are removed (a UUID), not all zeros.</summary>
    public static bool TryParseTraceId(string value, out ActivityTraceId traceId)
    {
        Span<char> digits = stackalloc char[32];
        if (CollectHex(value, digits, allowDashes: true) == HexId.Valid)
        {
            traceId = ActivityTraceId.CreateFromString(digits);
            return true;
        }

        traceId = default;
        return false;
    }

    /// <summary>16 hex digits (either case), not all zeros.</summary>
    public static bool TryParseSpanId(string value, out ActivitySpanId spanId)
    {
        Span<char> digits = stackalloc char[16];
        if (CollectHex(value, digits, allowDashes: false) == HexId.Valid)
        {
            spanId = ActivitySpanId.CreateFromString(digits);
            return true;
        }

        spanId = default;
        return false;
    }

    /// <summary>
    /// The trace id Langfuse's SDKs derive from a seed string (<c>createTraceId(seed)</c> in
    /// <c>@langfuse/tracing</c>, <c>create_trace_id(seed=...)</c> in Python): the first 16 bytes of
    /// the SHA-256 of the seed's UTF-8 bytes. A client that correlates by its own string id and the
    /// gateway thus land in the same trace.
    /// </summary>
    public static ActivityTraceId TraceIdFromSeed(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var length = Encoding.UTF8.GetByteCount(seed);
        var rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[256];
            utf8 = utf8[..Encoding.UTF8.GetBytes(seed, utf8)];
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8, hash);
            return ActivityTraceId.CreateFromBytes(hash[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Collects exactly <c>digits.Length</c> hex digits, lower-cased; a value of zeros (and dashes) only is
    /// <see cref="HexId.Empty"/>.
    /// </summary>
    private static HexId CollectHex(string value, Span<char> digits, bool allowDashes)
    {
        var count = 0;
        var onlyZeros = true;
        var hex = true;
        foreach (var c in value)
        {
            if (c == '-' && allowDashes)
            {
                continue;
            }

            onlyZeros &= c == '0';
            if (count == digits.Length || !char.IsAsciiHexDigit(c))
            {
                hex = false;
                continue;
            }

            digits[count++] = char.ToLowerInvariant(c);
        }

        return onlyZeros ? HexId.Empty : hex && count == digits.Length ? HexId.Valid : HexId.NotHex;
    }

    private const string InvalidTraceIdReason = "empty or all zeros: names no trace";

    private enum HexId
    {
        Valid,
        Empty,
        NotHex,
    }

    [Flags]
    private enum InvalidTraceInput
    {
        None = 0,
        TraceParent = 1,
        ExistingTraceId = 2,
        ParentObservationId = 4,
        ParentObservationWithoutTrace = 8,
        TraceIdAlias = 16,
        TraceState = 32,
    }
}
