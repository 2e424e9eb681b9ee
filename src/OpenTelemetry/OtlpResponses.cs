using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;

namespace TracedLlm;

/// <summary>What became of one try to send a batch.</summary>
internal readonly record struct SendOutcome(SendResult Result, TimeSpan? RetryAfter, string Detail)
{
    public static SendOutcome Delivered { get; } = new(SendResult.Delivered, null, "delivered");
}

/// <summary>The three ways a try ends.</summary>
internal enum SendResult
{
    /// <summary>The endpoint took the batch.</summary>
    Delivered,

    /// <summary>A failure the OTLP specification calls transient: the batch is sent again later.</summary>
    Retry,

    /// <summary>The endpoint refused the batch for good (a 400, 401, 413, ...): sending it again would not help.</summary>
    Refused,
}

/// <summary>
/// The OTLP specification's failure rules (opentelemetry-proto, docs/specification.md, "Failures" and
/// "Throttling"): over HTTP, 429, 502, 503 and 504 are retryable and any other failure status is not;
/// over gRPC, CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are, and
/// RESOURCE_EXHAUSTED when the server sends a <c>RetryInfo</c>. A timeout or a connection that could
/// not be made, or was reset, is retryable too. A server's wait (<c>Retry-After</c> in seconds or as a
/// date, or gRPC's <c>RetryInfo.retry_delay</c>) is honoured, within <see cref="LongestServerWait"/>.
/// </summary>
internal static class OtlpResponses
{
    /// <summary>The longest wait a server may ask for: a longer one is cut to it, so that a wrong header cannot stop the export for a day.</summary>
    internal static readonly TimeSpan LongestServerWait = TimeSpan.FromMinutes(5);

    // The shortest: a server asking for none still gets a breath between tries.
    private static readonly TimeSpan ShortestServerWait = TimeSpan.FromMilliseconds(100);

    /// <summary>An OTLP/HTTP answer.</summary>
    public static SendOutcome FromHttp(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return SendOutcome.Delivered;
        }

        return status is 429 or 502 or 503 or 504
            ? new SendOutcome(SendResult.Retry, RetryAfter(response.Headers.RetryAfter), $"HTTP {status}")
            : new SendOutcome(SendResult.Refused, null, $"HTTP {status}");
    }

    /// <summary>An OTLP/gRPC answer, its body read (so that its trailers are there).</summary>
    public static SendOutcome FromGrpc(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // A proxy's answer before gRPC: judged as HTTP.
            return FromHttp(response);
        }

        var code = Header(response, "grpc-status");
        if (code is null || !int.TryParse(code, out var status))
        {
            return new SendOutcome(SendResult.Retry, null, "gRPC answer without grpc-status");
        }

        if (status == 0)
        {
            return SendOutcome.Delivered;
        }

        var delay = Header(response, "grpc-status-details-bin") is { } details ? RetryDelay(details) : null;
        var retryable = status is 1 or 4 or 10 or 11 or 14 or 15 || (status == 8 && delay is not null);
        return new SendOutcome(retryable ? SendResult.Retry : SendResult.Refused, Bound(delay), $"gRPC status {status}");
    }

    /// <summary>A send that threw: a timeout or a connection failure is retried; a request the client cannot make at all is not.</summary>
    public static SendOutcome FromException(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded or HttpRequestError.ExtendedConnectNotSupported
            or HttpRequestError.UserAuthenticationError or HttpRequestError.VersionNegotiationError } failed
            => new SendOutcome(SendResult.Refused, null, $"{failed.HttpRequestError}"),
        HttpRequestException failed => new SendOutcome(SendResult.Retry, null, failed.HttpRequestError == HttpRequestError.Unknown ? "connection failed" : $"{failed.HttpRequestError}"),
        OperationCanceledException => new SendOutcome(SendResult.Retry, null, "timed out"),
        _ => new SendOutcome(SendResult.Retry, null, exception.GetType().Name),
    };

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return Bound(delta);
        }

        return header?.Date is { } date ? Bound(date - DateTimeOffset.UtcNow) : null;
    }

    private static TimeSpan? Bound(TimeSpan? wait) => wait is { } value
        ? (value < ShortestServerWait ? ShortestServerWait : value > LongestServerWait ? LongestServerWait : value)
        : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.TrailingHeaders.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    // google.rpc.Status (base64) → details (Any, field 3) whose type is google.rpc.RetryInfo →
    // retry_delay (google.protobuf.Duration, field 1: seconds 1, nanos 2). Anything malformed: none.
    internal static TimeSpan? RetryDelay(string base64)
    {
        try
        {
            var padded = base64.Trim();
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var status = Convert.FromBase64String(padded);
            foreach (var (field, any) in Fields(status))
            {
                if (field != 3 || any.IsEmpty)
                {
                    continue;
                }

                string? type = null;
                ReadOnlyMemory<byte> value = default;
                foreach (var (anyField, content) in Fields(any))
                {
                    if (anyField == 1)
                    {
                        type = System.Text.Encoding.UTF8.GetString(content.Span);
                    }
                    else if (anyField == 2)
                    {
                        value = content;
                    }
                }

                if (type != "type.googleapis.com/google.rpc.RetryInfo")
                {
                    continue;
                }

                foreach (var (retryField, duration) in Fields(value))
                {
                    if (retryField == 1)
                    {
                        return Duration(duration.Span);
                    }
                }
            }
        }
        catch (FormatException)
        {
        }

        return null;
    }

    private static TimeSpan Duration(ReadOnlySpan<byte> message)
    {
        long seconds = 0, nanos = 0;
        var at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            var value = (key & 7) == 0 ? Varint(message, ref at) : throw new FormatException("Duration fields are varints.");
            if (key >> 3 == 1)
            {
                seconds = (long)value;
            }
            else if (key >> 3 == 2)
            {
                nanos = (long)value;
            }
        }

        return TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(nanos / 100);
    }

    // The length-delimited fields of a message (other wire types are skipped).
    private static System.Collections.Generic.List<(int Field, ReadOnlyMemory<byte> Content)> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new System.Collections.Generic.List<(int, ReadOnlyMemory<byte>)>();
        var at = 0;
        var span = message.Span;
        while (at < span.Length)
        {
            var key = Varint(span, ref at);
            switch (key & 7)
            {
                case 0:
                    Varint(span, ref at);
                    break;
                case 1:
                    at += 8;
                    break;
                case 5:
                    at += 4;
                    break;
                case 2:
                    var length = (int)Varint(span, ref at);
                    if (length < 0 || at + length > span.Length)
                    {
                        throw new FormatException("A field runs past its message.");
                    }

                    fields.Add(((int)(key >> 3), message.Slice(at, length)));
                    at += length;
                    break;
                default:
                    throw new FormatException("Unknown wire type.");
            }
        }

        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new FormatException("A varint runs past its message.");
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("A varint longer than ten bytes.");
    }
}
