using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// What became of one try to send a batch. A delivered batch may have <paramref name="Rejected"/>
/// spans the endpoint took but refused for good (a partial success; <paramref name="Detail"/> is
/// then the endpoint's message).
/// </summary>
internal readonly record struct SendOutcome(SendResult Result, TimeSpan? RetryAfter, string Detail, long Rejected = 0)
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

    /// <summary>
    /// The endpoint refused the batch for good (a 400, 401, 413, ...): sending it again would not help.
    /// </summary>
    Refused,
}

/// <summary>
/// The OTLP specification's failure rules: which failures are retried, how long to wait, and which spans a success
/// rejected.
/// </summary>
/// <remarks>
/// From opentelemetry-proto/docs/specification.md, "Failures" and "Throttling": over HTTP, 429, 502, 503 and 504 are
/// retryable and any other failure status is not; over gRPC, CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
/// UNAVAILABLE and DATA_LOSS are, and RESOURCE_EXHAUSTED when the server sends a <c>RetryInfo</c>. A timeout or a
/// connection that could not be made, or was reset, is retryable too. A server's wait (<c>Retry-After</c> in seconds or
/// as a date, or gRPC's <c>RetryInfo.retry_delay</c>) is honoured, within <see cref="LongestServerWait"/>. A success's
/// body may say that some spans were rejected ("Partial Success"): they are not to be sent again, and are counted as
/// dropped.
/// </remarks>
internal static class OtlpResponses
{
    /// <summary>
    /// The longest wait a server may ask for: a longer one is cut to it, so that a wrong header cannot stop the export
    /// for a day.
    /// </summary>
    internal static readonly TimeSpan LongestServerWait = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest answer read: the specification's recommended limit; a longer one is a failure not to retry.
    /// </summary>
    internal const int LongestAnswer = 4 * 1024 * 1024;

    /// <summary>The most of an endpoint's <c>error_message</c> a warning quotes.</summary>
    internal const int LongestMessage = 200;

    // The shortest: a server asking for none still gets a breath between tries.
    private static readonly TimeSpan ShortestServerWait = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// An OTLP/HTTP answer. Two answers are no OTLP endpoint's, whatever their status, and refuse the
    /// batch: one to a request a redirect made a GET (HttpClient follows a 301, 302 or 303 to a POST
    /// with a GET, the batch left behind: a sign-in page, or http:// sent to https://), and a web page
    /// (<c>text/html</c>: the path is a web application's, not the OTLP endpoint's). Counted as delivered,
    /// their spans would be lost without a word.
    /// </summary>
    public static SendOutcome FromHttp(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (response.RequestMessage is { } request && request.Method != HttpMethod.Post)
        {
            var target = request.RequestUri is { IsAbsoluteUri: true } uri ? Address(uri) : "another address";
            return new SendOutcome(
                SendResult.Refused,
                null,
                $"HTTP {status} from {target}, where a redirect sent the request as a {request.Method} without the "
                + "batch: set the endpoint to the redirect's target");
        }

        if (status is >= 200 and < 300)
        {
            var mediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
            return mediaType is "text/html" or "application/xhtml+xml"
                ? new SendOutcome(
                    SendResult.Refused,
                    null,
                    $"HTTP {status} with a web page (text/html), not an OTLP answer: check the endpoint's path")
                : SendOutcome.Delivered;
        }

        return status is 429 or 502 or 503 or 504
            ? new SendOutcome(SendResult.Retry, RetryAfter(response.Headers.RetryAfter), $"HTTP {status}")
            : new SendOutcome(SendResult.Refused, null, $"HTTP {status}");
    }

    /// <summary>
    /// An endpoint as a message names it: scheme, host, port and path, never the user info or query, which may hold a
    /// credential.
    /// </summary>
    internal static string Address(Uri endpoint) => $"{endpoint.Scheme}://{endpoint.Authority}{endpoint.AbsolutePath}";

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
        return new SendOutcome(
            retryable ? SendResult.Retry : SendResult.Refused,
            Bound(delay),
            $"gRPC status {status}");
    }

    /// <summary>
    /// A success's body, read within <paramref name="timeout"/>: delivered, with the spans its <c>partial_success</c>
    /// rejected.
    /// </summary>
    /// <remarks>
    /// An OTLP/HTTP body is read as its <c>Content-Type</c> says, protobuf or JSON; a gRPC message after its frame,
    /// inflated when gzip. A body longer than <see cref="LongestAnswer"/> is refused, as the specification says; one
    /// that cannot be read or decoded leaves the batch delivered, as its status said.
    /// </remarks>
    public static async Task<SendOutcome> FromBodyAsync(
        HttpResponseMessage response,
        bool grpc,
        TimeSpan timeout,
        CancellationToken stop)
    {
        var type = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
        var json = !grpc && type == "application/json";
        if (response.Content.Headers.ContentLength == 0
            || (!grpc && !json && type is not (null or "application/x-protobuf")))
        {
            return SendOutcome.Delivered;
        }

        try
        {
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(stop);
            reading.CancelAfter(timeout);
            var stream = await response.Content.ReadAsStreamAsync(reading.Token).ConfigureAwait(false);
            var body = await ReadBounded(stream, reading.Token).ConfigureAwait(false);
            if (grpc && body is not null)
            {
                // The frame: a compressed flag, then the message's length (big-endian). A frame that
                // does not add up, or another compression than gzip, is no partial success.
                var length =
                    body.Length >= 5
                        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1))
                        : uint.MaxValue;
                var message = length <= body.Length - 5 ? body.AsSpan(5, (int)length).ToArray() : [];
                body = message.Length == 0 ? []
                    : body[0] == 0 ? message
                    : body[0] == 1 && Header(response, "grpc-encoding") == "gzip"
                        ? await ReadBounded(
                                new GZipStream(new MemoryStream(message), CompressionMode.Decompress),
                                reading.Token)
                            .ConfigureAwait(false)
                    : [];
            }

            if (body is null)
            {
                return new SendOutcome(
                    SendResult.Refused,
                    null,
                    $"an answer of more than {LongestAnswer / (1024 * 1024)} MiB");
            }

            var (rejected, said) = PartialSuccess(body, json);
            return rejected > 0
                ? new SendOutcome(SendResult.Delivered, null, said ?? string.Empty, rejected)
                : SendOutcome.Delivered;
        }
        catch (Exception e)
            when (e is IOException or InvalidDataException or HttpRequestException or OperationCanceledException)
        {
            return SendOutcome.Delivered;
        }
    }

    /// <summary>
    /// An <c>ExportTraceServiceResponse</c>'s <c>partial_success</c>: the spans rejected (none when malformed) and the
    /// message.
    /// </summary>
    /// <remarks>
    /// In protobuf field 1 (<c>rejected_spans</c>, int64 field 1; <c>error_message</c>, field 2), or in OTLP/JSON
    /// <c>partialSuccess</c> with <c>rejectedSpans</c> (a string or a number) and <c>errorMessage</c>. The message has
    /// its control characters made spaces and is cut to <see cref="LongestMessage"/> (it goes into a log line).
    /// </remarks>
    internal static (long Rejected, string? Message) PartialSuccess(ReadOnlyMemory<byte> response, bool json)
    {
        long rejected = 0;
        string? message = null;
        try
        {
            if (json)
            {
                using var document = JsonDocument.Parse(response);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("partialSuccess", out var partial)
                    && partial.ValueKind == JsonValueKind.Object)
                {
                    if (partial.TryGetProperty("rejectedSpans", out var spans))
                    {
                        rejected = spans.ValueKind switch
                        {
                            JsonValueKind.Number when spans.TryGetInt64(out var number) => number,
                            JsonValueKind.String
                                when long.TryParse(
                                    spans.GetString(),
                                    System.Globalization.NumberStyles.AllowLeadingSign,
                                    System.Globalization.CultureInfo.InvariantCulture,
                                    out var text) => text,
                            _ => 0,
                        };
                    }

                    message =
                        partial.TryGetProperty("errorMessage", out var said) && said.ValueKind == JsonValueKind.String
                            ? said.GetString()
                            : null;
                }
            }
            else
            {
                foreach (var (field, partial) in Fields(response))
                {
                    if (field != 1)
                    {
                        continue;
                    }

                    var varints = new System.Collections.Generic.List<(int Field, ulong Value)>();
                    foreach (var (partialField, content) in Fields(partial, varints))
                    {
                        if (partialField == 2)
                        {
                            message = System.Text.Encoding.UTF8.GetString(content.Span);
                        }
                    }

                    foreach (var (partialField, value) in varints)
                    {
                        if (partialField == 1)
                        {
                            rejected = (long)value;
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return (0, null);
        }

        return (Math.Max(0, rejected), message is { Length: > 0 } ? Bound(message) : null);
    }

    /// <summary>
    /// A send that threw: a timeout or a connection failure is retried; a request the client cannot make at all is not.
    /// </summary>
    public static SendOutcome FromException(Exception exception) => exception switch
    {
        HttpRequestException
        {
            HttpRequestError: HttpRequestError.ConfigurationLimitExceeded
                or HttpRequestError.ExtendedConnectNotSupported or HttpRequestError.UserAuthenticationError
                or HttpRequestError.VersionNegotiationError
        } failed => new SendOutcome(SendResult.Refused, null, $"{failed.HttpRequestError}"),
        HttpRequestException { HttpRequestError: HttpRequestError.Unknown } =>
            new SendOutcome(SendResult.Retry, null, "connection failed"),
        HttpRequestException failed => new SendOutcome(SendResult.Retry, null, $"{failed.HttpRequestError}"),
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

    // A body, or null when it is longer than the limit.
    private static async Task<byte[]?> ReadBounded(Stream stream, CancellationToken cancel)
    {
        await using (stream.ConfigureAwait(false))
        {
            using var body = new MemoryStream();
            var chunk = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > LongestAnswer)
                {
                    return null;
                }

                body.Write(chunk, 0, read);
            }

            return body.ToArray();
        }
    }

    private static string Bound(string message) => OneLine(message, LongestMessage);

    /// <summary>
    /// Text from outside (a collector's message, a variable's value) as a warning quotes it: at most
    /// <paramref name="longest"/> characters, on one line.
    /// </summary>
    internal static string OneLine(string text, int longest)
    {
        var cut = text.Length > longest ? text[..longest] + "…" : text;
        return string.Create(cut.Length, cut, static (chars, from) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = char.IsControl(from[i]) ? ' ' : from[i];
            }
        });
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
            var value =
                (key & 7) == 0 ? Varint(message, ref at) : throw new FormatException("Duration fields are varints.");
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

    // The length-delimited fields of a message (the varints into varints, if given; other wire types are skipped).
    private static System.Collections.Generic.List<(int Field, ReadOnlyMemory<byte> Content)> Fields(
        ReadOnlyMemory<byte> message,
        System.Collections.Generic.List<(int Field, ulong Value)>? varints = null)
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
                    var value = Varint(span, ref at);
                    varints?.Add(((int)(key >> 3), value));
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
