using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// What every gateway author needs around an HTTP upstream, with failures as the <see cref="UpstreamException"/> types
/// the policy and the failure path understand.
/// </summary>
/// <remarks>
/// Send within an attempt, turn an error status (and its <c>Retry-After</c>) into an exception without passing its body
/// on, read a body or an event stream (System.Net.ServerSentEvents) no larger than a limit, and tell a cut-off response
/// from a bad one.
/// </remarks>
public static partial class UpstreamHttp
{
    private const int FirstBufferBytes = 16 * 1024;

    /// <summary>
    /// Sends <paramref name="request"/> within <paramref name="attempt"/> (it carries the attempt's
    /// <c>traceparent</c>) and returns once the headers arrived; an error status is thrown as
    /// <see cref="UpstreamException"/> (<see cref="EnsureSuccess"/>). Read the body with
    /// <see cref="ReadBodyAsync"/> or <see cref="ReadEventsAsync{T}"/>, and dispose the response.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient client,
        HttpRequestMessage request,
        LlmAttempt attempt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(attempt);
        attempt.ApplyTraceContext(request);
        var response = await client
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            EnsureSuccess(response);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Throws <see cref="UpstreamException"/> with the upstream's status and <see cref="UpstreamException.RetryAfter"/>
    /// when the status is not a success. The upstream's body is never read into the message: it may
    /// echo credentials or internal details.
    /// </summary>
    public static void EnsureSuccess(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            throw StatusFailure(response);
        }
    }

    /// <summary>The failure an error status is: its status and <c>Retry-After</c>, never its body.</summary>
    internal static UpstreamException StatusFailure(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        return new UpstreamException(
            status,
            string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {status}."))
        {
            RetryAfter = GetRetryAfter(response),
        };
    }

    /// <summary>
    /// The wait the upstream asks for: OpenAI's <c>retry-after-ms</c>, else <c>Retry-After</c> in seconds or as an HTTP
    /// date (zero when the date has passed).
    /// </summary>
    /// <remarks>
    /// Null when there is none or it cannot be read. At most one day.
    /// </remarks>
    // RS0026: two overloads with an optional `now`; their first parameters differ in type, so no call is ambiguous.
#pragma warning disable RS0026
    public static TimeSpan? GetRetryAfter(HttpResponseMessage response, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var milliseconds = response.Headers.TryGetValues("retry-after-ms", out var values)
            ? values.FirstOrDefault()
            : null;
        return ParseRetryAfter(milliseconds, response.Headers.RetryAfter, now);
    }

    /// <summary>
    /// <see cref="GetRetryAfter(HttpResponseMessage, DateTimeOffset?)"/> for a client library that
    /// exposes the headers as text (e.g. <c>System.ClientModel</c>'s <c>PipelineResponse</c>):
    /// <paramref name="retryAfterMs"/> is <c>retry-after-ms</c>, <paramref name="retryAfter"/> is
    /// <c>Retry-After</c>, either may be null.
    /// </summary>
    public static TimeSpan? GetRetryAfter(string? retryAfterMs, string? retryAfter, DateTimeOffset? now = null) =>
        ParseRetryAfter(
            retryAfterMs,
            retryAfter is not null && RetryConditionHeaderValue.TryParse(retryAfter, out var parsed) ? parsed : null,
            now);
#pragma warning restore RS0026

    private static TimeSpan? ParseRetryAfter(
        string? retryAfterMs,
        RetryConditionHeaderValue? retryAfter,
        DateTimeOffset? now)
    {
        var longest = TimeSpan.FromDays(1);
        if (double.TryParse(
                retryAfterMs,
                NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite,
                CultureInfo.InvariantCulture,
                out var milliseconds))
        {
            return milliseconds >= longest.TotalMilliseconds ? longest : TimeSpan.FromMilliseconds(milliseconds);
        }

        return retryAfter switch
        {
            { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta > longest ? longest : delta,
            { Date: { } date } => Clamp(date - (now ?? DateTimeOffset.UtcNow), longest),
            _ => null,
        };
    }

    /// <summary>
    /// Reads the whole body, at most <paramref name="maxBytes"/> (<see cref="LlmAttempt.MaxResponseBytes"/>): a larger
    /// one (by its Content-Length, at once, or as it arrives) fails with
    /// <see cref="UpstreamResponseTooLargeException"/> without reading the rest.
    /// </summary>
    /// <remarks>
    /// One cut off fails with a truncated <see cref="UpstreamBadResponseException"/>. The relay reads an error answer
    /// it may pass on through it too (a limit of zero lets only an empty body through).
    /// </remarks>
    public static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(
        HttpResponseMessage response,
        long maxBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        maxBytes = Math.Min(maxBytes, Array.MaxLength - 1);
        var declared = response.Content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            throw new UpstreamResponseTooLargeException(maxBytes);
        }

        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                if (declared is { } length)
                {
                    // One byte more than declared: a byte beyond the declared length shows in the same reads.
                    var exact = new byte[length + 1];
                    var read = await FillAsync(body, exact, cancellationToken).ConfigureAwait(false);
                    if (read > length)
                    {
                        throw new UpstreamResponseTooLargeException(maxBytes);
                    }

                    return read < length ? throw Truncated(null) : exact.AsMemory(0, read);
                }

                return await ReadUndeclaredAsync(body, maxBytes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException exception)
        {
            throw Truncated(exception);
        }
    }

    // A body of no declared length (chunked, as most providers send it): read into pooled buffers,
    // grown as needed, and copied out at its size. A fresh 16 KiB buffer per response was 57 % of
    // the sample gateway's allocated bytes per request (bench/results/2026-11-23-capacity.md).
    private static async Task<ReadOnlyMemory<byte>> ReadUndeclaredAsync(
        Stream body,
        long maxBytes,
        CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, FirstBufferBytes));
        try
        {
            var filled = 0;
            while (true)
            {
                // Room for one byte over the limit: a body that fills it is too large, and the rest is not read.
                var capacity = (int)Math.Min(buffer.Length, maxBytes + 1);
                if (filled == capacity)
                {
                    if (filled > maxBytes)
                    {
                        throw new UpstreamResponseTooLargeException(maxBytes);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, capacity * 2L));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }

                var read = await body.ReadAsync(buffer.AsMemory(filled, capacity - filled), cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.AsSpan(0, filled).ToArray();
                }

                filled += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Reads until the buffer is full or the body ends; the number of bytes read.
    private static async ValueTask<int> FillAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>
    /// A truncated-response failure, for a provider whose stream ended before its protocol's terminal event.
    /// </summary>
    public static UpstreamBadResponseException Truncated(Exception? innerException = null) =>
        new("The upstream provider's response was cut off before its end.", truncated: true, innerException);

    /// <summary>
    /// The failure of an answer that reports an error inside a success status: an error event in a
    /// stream (<c>event: error</c>, an <c>error</c> object), an error body, a failed response.
    /// </summary>
    public static UpstreamBadResponseException ReportedError() =>
        new("The upstream provider reported an error in its response.");

    private static TimeSpan Clamp(TimeSpan value, TimeSpan longest) =>
        value < TimeSpan.Zero ? TimeSpan.Zero
        : value > longest ? longest
        : value;
}
