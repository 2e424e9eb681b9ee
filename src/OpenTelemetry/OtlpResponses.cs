using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;

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
internal static partial class OtlpResponses
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
}
