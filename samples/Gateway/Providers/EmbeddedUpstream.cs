using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The embedded provider as an HTTP upstream, in process: it answers OpenAI chat completions
/// (<c>.../chat/completions</c>) and Anthropic messages (<c>.../messages</c>), whole or streamed,
/// in their wire formats. The relay falls back to it through an <see cref="HttpMessageInvoker"/>,
/// the way it calls any upstream, so the fallback is one more attempt of the same relay.
/// </summary>
public sealed class EmbeddedUpstream : HttpMessageHandler
{
    /// <summary>The address the relay's fallback destination names (no socket is opened).</summary>
    public const string Address = "http://embedded.tracedllm";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue EventStream = new("text/event-stream");

    private readonly ChatClientProvider _provider;

    /// <summary>Creates the upstream over the embedded provider.</summary>
    public EmbeddedUpstream(ChatClientProvider provider)
    {
        _provider = provider;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? string.Empty;
        var body = request.Content is null ? Array.Empty<byte>() : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (path.Contains("/chat/completions", StringComparison.Ordinal) && Read(body, GatewayJsonContext.Default.ChatCompletionRequest) is { } chat)
        {
            var prompt = new ProviderRequest(chat.Model ?? "embedded", chat.PromptMessages(), chat.MaxTokens, ForwardBody: null);
            return chat.Stream == true
                ? Events(cancellationToken, async (writer, ct) =>
                {
                    await foreach (var chunk in WireAnswers.ChatChunks(_provider.StreamDirectAsync(prompt, ct), ct).ConfigureAwait(false))
                    {
                        Write(writer, null, chunk, GatewayJsonContext.Default.ChatCompletionChunk);
                        await writer.FlushAsync(ct).ConfigureAwait(false);
                    }

                    writer.Write("data: [DONE]\n\n"u8);
                })
                : Whole(WireAnswers.Chat(await _provider.CompleteDirectAsync(prompt, cancellationToken).ConfigureAwait(false)), GatewayJsonContext.Default.ChatCompletionResponse);
        }

        if (path.Contains("/messages", StringComparison.Ordinal) && Read(body, GatewayJsonContext.Default.MessagesRequest) is { } messages)
        {
            var prompt = new ProviderRequest(messages.Model ?? "embedded", messages.PromptMessages(), messages.MaxTokens, ForwardBody: null);
            return messages.Stream == true
                ? Events(cancellationToken, async (writer, ct) =>
                {
                    await foreach (var streamEvent in WireAnswers.MessageEvents(_provider.StreamDirectAsync(prompt, ct), ct).ConfigureAwait(false))
                    {
                        Write(writer, streamEvent.Type, streamEvent, GatewayJsonContext.Default.AnthropicStreamEvent);
                        await writer.FlushAsync(ct).ConfigureAwait(false);
                    }
                })
                : Whole(WireAnswers.Message(await _provider.CompleteDirectAsync(prompt, cancellationToken).ConfigureAwait(false)), GatewayJsonContext.Default.MessagesResponse);
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
    }

    private static T? Read<T>(byte[] body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HttpResponseMessage Whole<T>(T answer, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(answer, typeInfo));
        content.Headers.ContentType = Json;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    /// <summary>A stream of server-sent events, written as the provider yields them (the relay reads them as they come).</summary>
    private static HttpResponseMessage Events(CancellationToken cancellationToken, Func<PipeWriter, CancellationToken, Task> write)
    {
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await write(pipe.Writer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Seen by the reader as a broken stream, as a cut connection would be.
                failure = exception;
            }

            await pipe.Writer.CompleteAsync(failure).ConfigureAwait(false);
        }, CancellationToken.None);
        var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentType = EventStream;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private static void Write<T>(PipeWriter writer, string? name, T value, JsonTypeInfo<T> typeInfo)
    {
        if (name is not null)
        {
            writer.Write("event: "u8);
            writer.Write(System.Text.Encoding.UTF8.GetBytes(name));
            writer.Write("\n"u8);
        }

        writer.Write("data: "u8);
        using (var json = new Utf8JsonWriter(writer))
        {
            JsonSerializer.Serialize(json, value, typeInfo);
        }

        writer.Write("\n\n"u8);
    }
}
