using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// What every gateway author needs around an HTTP upstream, with failures as the
/// <see cref="UpstreamException"/> types the policy and the failure path understand: send within an
/// attempt, turn an error status (and its <c>Retry-After</c>) into an exception without passing its
/// body on, read a body or an event stream (System.Net.ServerSentEvents) no larger than a limit,
/// and tell a cut-off response from a bad one.
/// </summary>
public static partial class UpstreamHttp
{
    private const int FirstBufferBytes = 16 * 1024;

    /// <summary>
    /// Sends <paramref name="request"/> within <paramref name="attempt"/> (it carries the attempt's
    /// <c>traceparent</c>) and returns once the headers arrived; an error status is thrown as
    /// <see cref="UpstreamException"/> (<see cref="EnsureSuccess"/>). Read the body with
    /// <see cref="ReadBodyAsync"/> or <see cref="ReadEventsAsync{T}"/>, and dispose the response.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(attempt);
        attempt.ApplyTraceContext(request);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
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
        return new UpstreamException(status, string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {status}."))
        {
            RetryAfter = GetRetryAfter(response),
        };
    }

    /// <summary>
    /// The wait the upstream asks for: OpenAI's <c>retry-after-ms</c>, else <c>Retry-After</c> in
    /// seconds or as an HTTP date (zero when the date has passed); null when there is none or it
    /// cannot be read. At most one day.
    /// </summary>
#pragma warning disable RS0026 // Two overloads with an optional `now`: their first parameters differ in type, so no call is ambiguous.
    public static TimeSpan? GetRetryAfter(HttpResponseMessage response, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var milliseconds = response.Headers.TryGetValues("retry-after-ms", out var values) ? values.FirstOrDefault() : null;
        return ParseRetryAfter(milliseconds, response.Headers.RetryAfter, now);
    }

    /// <summary>
    /// <see cref="GetRetryAfter(HttpResponseMessage, DateTimeOffset?)"/> for a client library that
    /// exposes the headers as text (e.g. <c>System.ClientModel</c>'s <c>PipelineResponse</c>):
    /// <paramref name="retryAfterMs"/> is <c>retry-after-ms</c>, <paramref name="retryAfter"/> is
    /// <c>Retry-After</c>, either may be null.
    /// </summary>
    public static TimeSpan? GetRetryAfter(string? retryAfterMs, string? retryAfter, DateTimeOffset? now = null) =>
        ParseRetryAfter(retryAfterMs, retryAfter is not null && RetryConditionHeaderValue.TryParse(retryAfter, out var parsed) ? parsed : null, now);
#pragma warning restore RS0026

    private static TimeSpan? ParseRetryAfter(string? retryAfterMs, RetryConditionHeaderValue? retryAfter, DateTimeOffset? now)
    {
        var longest = TimeSpan.FromDays(1);
        if (double.TryParse(retryAfterMs, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var milliseconds))
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
    /// Reads the whole body, at most <paramref name="maxBytes"/> (<see cref="LlmAttempt.MaxResponseBytes"/>):
    /// a larger one (by its Content-Length, at once, or as it arrives) fails with
    /// <see cref="UpstreamResponseTooLargeException"/> without reading the rest; one cut off fails with
    /// a truncated <see cref="UpstreamBadResponseException"/>. The relay reads an error answer it may
    /// pass on through it too (a limit of zero lets only an empty body through).
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpResponseMessage response, long maxBytes, CancellationToken cancellationToken)
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
    private static async Task<ReadOnlyMemory<byte>> ReadUndeclaredAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
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

                var read = await body.ReadAsync(buffer.AsMemory(filled, capacity - filled), cancellationToken).ConfigureAwait(false);
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
    /// The server-sent events of a streamed response, parsed by System.Net.ServerSentEvents' <see cref="SseParser"/>
    /// with <paramref name="itemParser"/>, reading at most <paramref name="maxBytes"/> in all. A
    /// response that is not <c>text/event-stream</c>, or an event the parser cannot read (it throws
    /// <see cref="JsonException"/> or <see cref="FormatException"/>), fails with <see cref="UpstreamBadResponseException"/>;
    /// a connection cut mid-stream with a truncated one; too many bytes with <see cref="UpstreamResponseTooLargeException"/>.
    /// The events end where the body ends: whether the stream was complete (OpenAI's <c>[DONE]</c>,
    /// Anthropic's <c>message_stop</c>) is the provider's protocol to check.
    /// </summary>
    public static IAsyncEnumerable<SseItem<T>> ReadEventsAsync<T>(HttpResponseMessage response, SseItemParser<T> itemParser, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(itemParser);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (!IsEventStream(response))
        {
            throw NotAnEventStream();
        }

        return ReadEventsCoreAsync(response, itemParser, maxBytes, cancellationToken);
    }

    /// <summary>A truncated-response failure, for a provider whose stream ended before its protocol's terminal event.</summary>
    public static UpstreamBadResponseException Truncated(Exception? innerException = null) =>
        new("The upstream provider's response was cut off before its end.", truncated: true, innerException);

    /// <summary>
    /// The failure of an answer that reports an error inside a success status: an error event in a
    /// stream (<c>event: error</c>, an <c>error</c> object), an error body, a failed response.
    /// </summary>
    public static UpstreamBadResponseException ReportedError() =>
        new("The upstream provider reported an error in its response.");

    /// <summary>Whether the response's body is an event stream (<c>text/event-stream</c>, in any case), as <see cref="ReadEventsAsync{T}"/> requires.</summary>
    public static bool IsEventStream(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The failure of a streaming request answered with a body that is not an event stream (<see cref="IsEventStream"/>): the provider's answer is not what was asked for.</summary>
    public static UpstreamBadResponseException NotAnEventStream() =>
        new("The upstream provider answered a streaming request with a body that is not an event stream.");

    /// <summary>The failure of a streamed event that cannot be read (not valid JSON, or not what the provider's protocol says).</summary>
    public static UpstreamBadResponseException UnreadableEvent(Exception? innerException = null) =>
        new("The upstream provider streamed an event that could not be read.", truncated: false, innerException);

    private static async IAsyncEnumerable<SseItem<T>> ReadEventsCoreAsync<T>(HttpResponseMessage response, SseItemParser<T> itemParser, long maxBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = await OpenAsync(response, cancellationToken).ConfigureAwait(false);
        await using var bounded = new BoundedReadStream(body, maxBytes);
        var events = SseParser.Create(bounded, itemParser).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (events.ConfigureAwait(false))
        {
            while (await NextEventAsync(events).ConfigureAwait(false))
            {
                yield return events.Current;
            }
        }
    }

    private static async Task<Stream> OpenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            throw Truncated(exception);
        }
    }

    private static async ValueTask<bool> NextEventAsync<T>(IAsyncEnumerator<SseItem<T>> events)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            throw Truncated(exception);
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            throw UnreadableEvent(exception);
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan longest) => value < TimeSpan.Zero ? TimeSpan.Zero : value > longest ? longest : value;
}
