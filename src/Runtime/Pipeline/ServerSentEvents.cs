using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Pipeline;

/// <summary>
/// Server-sent events in the route's wire format: OpenAI <c>data: {chunk}</c> lines ended by
/// <c>data: [DONE]</c>; Anthropic <c>event: {type}</c> + <c>data: {event}</c>, the event name taken
/// from the event's own <c>type</c>.
/// </summary>
internal static class ServerSentEvents
{
    private static readonly byte[] Data = "data: "u8.ToArray();
    private static readonly byte[] Event = "event: "u8.ToArray();
    private static readonly byte[] LineEnd = "\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static void Start(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public static ValueTask<FlushResult> WriteChunkAsync<T>(HttpResponse response, WireFormat format, T chunk, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(chunk, typeInfo);
        var writer = response.BodyWriter;
        if (format == WireFormat.Anthropic && EventType(json) is { } type)
        {
            writer.Write(Event);
            writer.Write(type);
            writer.Write(LineEnd);
        }

        writer.Write(Data);
        writer.Write(json);
        writer.Write(LineEnd);
        writer.Write(LineEnd);
        return writer.FlushAsync(cancellationToken);
    }

    public static ValueTask<FlushResult> WriteDoneAsync(HttpResponse response, WireFormat format, CancellationToken cancellationToken)
    {
        if (format == WireFormat.Anthropic)
        {
            // Anthropic streams end with the handler's own message_stop event.
            return ValueTask.FromResult(default(FlushResult));
        }

        response.BodyWriter.Write(Done);
        return response.BodyWriter.FlushAsync(cancellationToken);
    }

    /// <summary>An error after the stream started: an error event in the stream (the status line is already sent).</summary>
    public static async Task WriteErrorAsync(HttpResponse response, WireFormat format, FailurePath.Failure failure, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        ErrorResponses.WriteBody(buffer, format, failure);
        var writer = response.BodyWriter;
        if (format == WireFormat.Anthropic)
        {
            writer.Write("event: error\n"u8);
        }

        writer.Write(Data);
        writer.Write(buffer.WrittenSpan);
        writer.Write(LineEnd);
        writer.Write(LineEnd);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static byte[]? EventType(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan.ToArray() : null;
            }

            reader.Read();
            reader.Skip();
        }

        return null;
    }
}
