using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

// UpstreamHttp: an upstream's server-sent event stream, known by its content type, read event by event through
// System.Net.ServerSentEvents, and the failures a stream that is not one or cannot be read gets.
public static partial class UpstreamHttp
{
    /// <summary>
    /// The server-sent events of a streamed response, parsed by System.Net.ServerSentEvents' <see cref="SseParser"/>
    /// with <paramref name="itemParser"/>, reading at most <paramref name="maxBytes"/> in all. A
    /// response that is not <c>text/event-stream</c>, or an event the parser cannot read (it throws
    /// <see cref="JsonException"/> or <see cref="FormatException"/>), fails with
    /// <see cref="UpstreamBadResponseException"/>; a connection cut mid-stream with a truncated one; too many bytes
    /// with <see cref="UpstreamResponseTooLargeException"/>. The events end where the body ends: whether the stream was
    /// complete (OpenAI's <c>[DONE]</c>, Anthropic's <c>message_stop</c>) is the provider's protocol to check.
    /// </summary>
    public static IAsyncEnumerable<SseItem<T>> ReadEventsAsync<T>(
        HttpResponseMessage response,
        SseItemParser<T> itemParser,
        long maxBytes,
        CancellationToken cancellationToken)
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

    /// <summary>
    /// Whether the response's body is an event stream (<c>text/event-stream</c>, in any case), as
    /// <see cref="ReadEventsAsync{T}"/> requires.
    /// </summary>
    public static bool IsEventStream(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return string.Equals(
            response.Content.Headers.ContentType?.MediaType,
            "text/event-stream",
            StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The failure of a streaming request answered with a body that is not an event stream
    /// (<see cref="IsEventStream"/>): the provider's answer is not what was asked for.
    /// </summary>
    public static UpstreamBadResponseException NotAnEventStream() =>
        new("The upstream provider answered a streaming request with a body that is not an event stream.");

    /// <summary>
    /// The failure of a streamed event that cannot be read (not valid JSON, or not what the provider's protocol says).
    /// </summary>
    public static UpstreamBadResponseException UnreadableEvent(Exception? innerException = null) =>
        new("The upstream provider streamed an event that could not be read.", truncated: false, innerException);

    private static async IAsyncEnumerable<SseItem<T>> ReadEventsCoreAsync<T>(
        HttpResponseMessage response,
        SseItemParser<T> itemParser,
        long maxBytes,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = await OpenAsync(response, cancellationToken).ConfigureAwait(false);
        await using var bounded = new BoundedReadStream(body, maxBytes);
        var events = SseParser
            .Create(bounded, itemParser)
            .EnumerateAsync(cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
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
}
