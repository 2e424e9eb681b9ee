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
/// from the event's own <c>type</c>. Each format has one terminal event (OpenAI's <c>[DONE]</c>,
/// which the pipeline writes; Anthropic's <c>message_stop</c>, which the handler yields and the
/// pipeline holds back): it is written only once the guardrails are done, so a failure found after
/// the last chunk still reaches the client as an error event before it, never after.
/// System.Net.ServerSentEvents' <c>SseFormatter</c> writes a whole enumeration to a stream; the
/// pipeline needs each event on its own (the terminal one held back, an error event after the
/// enumeration failed, a flush per event), so the few lines that frame an event are kept here,
/// over the response's <c>PipeWriter</c>. (A design reason, not a measured one.)
/// No flush here takes a token: Kestrel aborts the connection when a flush's token is cancelled
/// while it is pending (or before it starts), and a request token is cancelled by more than a
/// departed client — the server's request timeout, a during-call guardrail's failure — whose
/// client still waits for its error. The pipeline checks the token before writing instead; a
/// flush to a client that left completes at once, and one to a client that stopped reading ends
/// with Kestrel's <c>MinResponseDataRate</c>.
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

    /// <summary>
    /// The chunk's JSON, serialized once for the event (and kept when it is the held-back terminal event).
    /// </summary>
    public static byte[] Serialize<T>(T chunk, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.SerializeToUtf8Bytes(chunk, typeInfo);

    /// <summary>
    /// Where the event's name is in its JSON: Anthropic events are named by their own <c>type</c>; OpenAI's have no
    /// name.
    /// </summary>
    public static (int Start, int Length)? EventName(WireFormat format, byte[] json) =>
        format == WireFormat.Anthropic ? EventType(json) : null;

    /// <summary>True for the handler's event that ends a stream (Anthropic <c>message_stop</c>).</summary>
    public static bool IsTerminal(byte[] json, (int Start, int Length)? name) =>
        name is var (start, length) && json.AsSpan(start, length).SequenceEqual("message_stop"u8);

    /// <summary>Writes one event and flushes it.</summary>
    public static ValueTask<FlushResult> WriteEventAsync(
        HttpResponse response, byte[] json, (int Start, int Length)? name)
    {
        var writer = response.BodyWriter;
        if (name is var (start, length))
        {
            writer.Write(Event);
            writer.Write(json.AsSpan(start, length));
            writer.Write(LineEnd);
        }

        writer.Write(Data);
        writer.Write(json);
        writer.Write(LineEnd);
        writer.Write(LineEnd);
        return writer.FlushAsync(CancellationToken.None);
    }

    /// <summary>Ends an OpenAI stream with <c>data: [DONE]</c>.</summary>
    public static ValueTask<FlushResult> WriteDoneAsync(HttpResponse response)
    {
        response.BodyWriter.Write(Done);
        return response.BodyWriter.FlushAsync(CancellationToken.None);
    }

    /// <summary>
    /// An error after the stream started: an error event in the stream (the status line is already
    /// sent). Not cancelled by the request's token, which a server timeout cancels while its client
    /// still waits to be told.
    /// </summary>
    public static async Task WriteErrorAsync(HttpResponse response, WireFormat format, FailurePath.Failure failure)
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
        await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Where the event's own top-level <c>type</c> string is in its JSON, when it has one (unescaped).
    /// </summary>
    private static (int Start, int Length)? EventType(byte[] json)
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

                // The value's bytes sit between its quotes in the input: no copy needed.
                return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                    ? ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length)
                    : null;
            }

            reader.Read();
            reader.Skip();
        }

        return null;
    }
}
