using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Telemetry;

/// <summary>
/// The GenAI conventions' structured content (1.41: <c>docs/gen-ai/gen-ai-input-messages.json</c>,
/// <c>gen-ai-output-messages.json</c>, <c>gen-ai-system-instructions.json</c>), built from the wire
/// bodies the gateway already holds: OpenAI chat completions, OpenAI responses, Anthropic messages
/// and legacy completions, told apart by their shape rather than by route. Recorded on spans as
/// JSON strings (the conventions' rule where a language has no structured span attributes, as .NET has not).
/// Each value is at most <see cref="TracedLlmOptions.MaxContentLength"/> characters, as captured content
/// is: its texts share what its structure leaves, a long text is cut with the truncation marker, and
/// the JSON stays whole (unless its structure alone is longer than the limit). A body that is not one of
/// these shapes, or not JSON, gives nothing.
/// </summary>
internal static class GenAiMessages
{
    /// <summary>The request's system instructions (Anthropic <c>system</c>, OpenAI responses <c>instructions</c>) and chat history, as JSON; null where the body has none.</summary>
    public static (string? SystemInstructions, string? InputMessages) FromRequest(ReadOnlySpan<byte> utf8, int maxContent)
    {
        if (!TryParse(utf8, out var document))
        {
            return (null, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            string? system = null;
            if (root.TryGetProperty("system", out var anthropicSystem) || root.TryGetProperty("instructions", out anthropicSystem))
            {
                system = Fit(maxContent, (w, allowance) =>
                {
                    w.WriteStartArray();
                    WriteParts(w, anthropicSystem, allowance);
                    w.WriteEndArray();
                });
            }

            string? input = null;
            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                input = Fit(maxContent, (w, allowance) => WriteChatMessages(w, messages, allowance));
            }
            else if (root.TryGetProperty("input", out var items) && items.ValueKind is JsonValueKind.Array or JsonValueKind.String)
            {
                input = Fit(maxContent, (w, allowance) => WriteResponsesInput(w, items, allowance));
            }
            else if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
            {
                input = Fit(maxContent, (w, allowance) =>
                {
                    w.WriteStartArray();
                    WriteMessage(w, "user", null, prompt, allowance);
                    w.WriteEndArray();
                });
            }

            return (system, input);
        }
    }

    /// <summary>The response's choices (OpenAI chat), content (Anthropic) or output items (OpenAI responses) as output messages; null for another shape.</summary>
    public static string? FromResponse(ReadOnlySpan<byte> utf8, int maxContent)
    {
        if (!TryParse(utf8, out var document))
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                return Fit(maxContent, (w, allowance) =>
                {
                    w.WriteStartArray();
                    foreach (var choice in choices.EnumerateArray())
                    {
                        if (choice.ValueKind != JsonValueKind.Object)
                        {
                            continue;
                        }

                        var message = choice.TryGetProperty("message", out var m) ? m : default;
                        var text = message.ValueKind == JsonValueKind.Undefined && choice.TryGetProperty("text", out var t) ? t : default;
                        w.WriteStartObject();
                        w.WriteString("role", message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : "assistant");
                        w.WriteStartArray("parts");
                        if (message.ValueKind == JsonValueKind.Object)
                        {
                            WriteOpenAiMessageParts(w, message, allowance);
                        }
                        else if (text.ValueKind == JsonValueKind.String)
                        {
                            WriteText(w, "text", text.GetString(), allowance);
                        }

                        w.WriteEndArray();
                        w.WriteString("finish_reason", FinishReason(choice.TryGetProperty("finish_reason", out var reason) ? reason : default));
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                });
            }

            if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                return Fit(maxContent, (w, allowance) => WriteResponsesOutput(w, root, output, allowance));
            }

            if (root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                return Fit(maxContent, (w, allowance) =>
                {
                    w.WriteStartArray();
                    w.WriteStartObject();
                    w.WriteString("role", "assistant");
                    w.WriteStartArray("parts");
                    WriteParts(w, content, allowance);
                    w.WriteEndArray();
                    w.WriteString("finish_reason", FinishReason(root.TryGetProperty("stop_reason", out var stop) ? stop : default));
                    w.WriteEndObject();
                    w.WriteEndArray();
                });
            }

            return null;
        }
    }

    /// <summary>A streamed answer's text as one output message (the stream's chunks are not kept, their text is).</summary>
    public static string FromStreamedText(string text, string? finishReason, int maxContent)
    {
        return Fit(maxContent, (w, allowance) =>
        {
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("role", "assistant");
            w.WriteStartArray("parts");
            if (text.Length > 0)
            {
                WriteText(w, "text", text, allowance);
            }

            w.WriteEndArray();
            w.WriteString("finish_reason", FinishReason(finishReason));
            w.WriteEndObject();
            w.WriteEndArray();
        });
    }

    /// <summary>
    /// A provider's finish reason as the conventions' (<c>stop</c>, <c>length</c>, <c>content_filter</c>,
    /// <c>tool_call</c>, <c>error</c>); another value as it came; <c>stop</c> when the provider said none.
    /// </summary>
    internal static string FinishReason(string? reason) => reason switch
    {
        null or "" or "stop" or "end_turn" or "stop_sequence" or "completed" or "pause_turn" => "stop",
        "length" or "max_tokens" or "max_output_tokens" or "model_context_window_exceeded" => "length",
        "tool_calls" or "function_call" or "tool_use" => "tool_call",
        "content_filter" or "refusal" => "content_filter",
        _ => reason,
    };

    private static string FinishReason(JsonElement reason) => FinishReason(reason.ValueKind == JsonValueKind.String ? reason.GetString() : null);

    private static bool TryParse(ReadOnlySpan<byte> utf8, out JsonDocument document)
    {
        document = null!;
        if (utf8.IsEmpty)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            document = JsonDocument.ParseValue(ref reader);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>OpenAI chat and Anthropic messages: <c>[{role, content, name?, tool_calls?, tool_call_id?}]</c>.</summary>
    private static void WriteChatMessages(Utf8JsonWriter w, JsonElement messages, Allowance allowance)
    {
        w.WriteStartArray();
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "user";
            w.WriteStartObject();
            w.WriteString("role", role == "developer" ? "system" : role);
            w.WriteStartArray("parts");
            if (role == "tool")
            {
                // OpenAI's tool answer: the call it answers, and what the tool said.
                WriteToolResponse(w, message, "tool_call_id", "content", allowance);
            }
            else
            {
                WriteOpenAiMessageParts(w, message, allowance);
            }

            w.WriteEndArray();
            WriteStringIf(w, "name", message, "name");
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A chat message's content (a string or parts) and its tool calls.</summary>
    private static void WriteOpenAiMessageParts(Utf8JsonWriter w, JsonElement message, Allowance allowance)
    {
        if (message.TryGetProperty("reasoning_content", out var reasoning) && reasoning.ValueKind == JsonValueKind.String)
        {
            WriteText(w, "reasoning", reasoning.GetString(), allowance);
        }

        if (message.TryGetProperty("content", out var content))
        {
            WriteParts(w, content, allowance);
        }

        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
                {
                    WriteToolCall(w, call, "id", function, function.TryGetProperty("arguments", out var arguments) ? arguments : default, allowance);
                }
            }
        }
    }

    /// <summary>Content as parts: a string is one text part; an array's blocks each a part (OpenAI, Anthropic and responses block types).</summary>
    private static void WriteParts(Utf8JsonWriter w, JsonElement content, Allowance allowance)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            WriteText(w, "text", content.GetString(), allowance);
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.String)
            {
                WriteText(w, "text", block.GetString(), allowance);
                continue;
            }

            if (block.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var type = block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "text" or "input_text" or "output_text":
                    WriteText(w, "text", block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null, allowance);
                    break;
                case "thinking":
                    WriteText(w, "reasoning", block.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.String ? thinking.GetString() : null, allowance);
                    break;
                case "refusal":
                    WriteText(w, "text", block.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String ? refusal.GetString() : null, allowance);
                    break;
                case "tool_use":
                    WriteToolCall(w, block, "id", block, block.TryGetProperty("input", out var input) ? input : default, allowance);
                    break;
                case "tool_result":
                    WriteToolResponse(w, block, "tool_use_id", "content", allowance);
                    break;
                case "image_url" or "input_image" or "image":
                    WriteMedia(w, block, "image", allowance);
                    break;
                case "input_audio":
                    WriteMedia(w, block, "audio", allowance);
                    break;
                default:
                    // A part the conventions do not name: its type only (its payload may be anything, of any size).
                    w.WriteStartObject();
                    w.WriteString("type", type ?? "unknown");
                    w.WriteEndObject();
                    break;
            }
        }
    }

    /// <summary>OpenAI responses' <c>input</c>: a string, or items (messages, function calls, function call outputs).</summary>
    private static void WriteResponsesInput(Utf8JsonWriter w, JsonElement input, Allowance allowance)
    {
        w.WriteStartArray();
        if (input.ValueKind == JsonValueKind.String)
        {
            WriteMessage(w, "user", null, input, allowance);
        }
        else
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var type = item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "message";
                if (type == "function_call")
                {
                    w.WriteStartObject();
                    w.WriteString("role", "assistant");
                    w.WriteStartArray("parts");
                    WriteToolCall(w, item, "call_id", item, item.TryGetProperty("arguments", out var arguments) ? arguments : default, allowance);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else if (type == "function_call_output")
                {
                    w.WriteStartObject();
                    w.WriteString("role", "tool");
                    w.WriteStartArray("parts");
                    WriteToolResponse(w, item, "call_id", "output", allowance);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                else if (type == "message" && item.TryGetProperty("content", out var content))
                {
                    var role = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "user";
                    WriteMessage(w, role == "developer" ? "system" : role, null, content, allowance);
                }
            }
        }

        w.WriteEndArray();
    }

    /// <summary>OpenAI responses' <c>output</c> items as one output message, its finish reason from the status.</summary>
    private static void WriteResponsesOutput(Utf8JsonWriter w, JsonElement root, JsonElement output, Allowance allowance)
    {
        var calledTool = false;
        w.WriteStartArray();
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        w.WriteStartArray("parts");
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            switch (t.GetString())
            {
                case "message" when item.TryGetProperty("content", out var content):
                    WriteParts(w, content, allowance);
                    break;
                case "function_call":
                    calledTool = true;
                    WriteToolCall(w, item, "call_id", item, item.TryGetProperty("arguments", out var arguments) ? arguments : default, allowance);
                    break;
                case "reasoning" when item.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.Array:
                    foreach (var part in summary.EnumerateArray())
                    {
                        if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                        {
                            WriteText(w, "reasoning", text.GetString(), allowance);
                        }
                    }

                    break;
            }
        }

        w.WriteEndArray();
        var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var incomplete = root.TryGetProperty("incomplete_details", out var details) && details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
        w.WriteString("finish_reason", calledTool ? "tool_call" : status == "failed" ? "error" : FinishReason(incomplete ?? status));
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteMessage(Utf8JsonWriter w, string role, string? name, JsonElement content, Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteStartArray("parts");
        WriteParts(w, content, allowance);
        w.WriteEndArray();
        if (name is not null)
        {
            w.WriteString("name", name);
        }

        w.WriteEndObject();
    }

    /// <summary>A tool call: its id, its name, its arguments (a JSON string's object when it holds one).</summary>
    private static void WriteToolCall(Utf8JsonWriter w, JsonElement holder, string idProperty, JsonElement named, JsonElement arguments, Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_call");
        WriteStringIf(w, "id", holder, idProperty);
        w.WriteString("name", named.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : "");
        w.WritePropertyName("arguments");
        if (arguments.ValueKind == JsonValueKind.String && allowance.Fits(arguments.GetString()!) && TryParse(Encoding.UTF8.GetBytes(arguments.GetString()!), out var parsed))
        {
            using (parsed)
            {
                WriteValue(w, parsed.RootElement, allowance);
            }
        }
        else
        {
            WriteValue(w, arguments, allowance);
        }

        w.WriteEndObject();
    }

    /// <summary>A tool's answer: the id of the call it answers (<paramref name="idProperty"/>) and what the tool said (<paramref name="responseProperty"/>).</summary>
    private static void WriteToolResponse(Utf8JsonWriter w, JsonElement holder, string idProperty, string responseProperty, Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_call_response");
        WriteStringIf(w, "id", holder, idProperty);
        w.WritePropertyName("response");
        WriteValue(w, holder.TryGetProperty(responseProperty, out var response) ? response : default, allowance);
        w.WriteEndObject();
    }

    /// <summary>An image or audio block: a URL as a <c>uri</c> part; inline data (a <c>data:</c> URL, base64) as a <c>blob</c> part, charged like text.</summary>
    private static void WriteMedia(Utf8JsonWriter w, JsonElement block, string modality, Allowance allowance)
    {
        string? url = null;
        if (block.TryGetProperty("image_url", out var imageUrl))
        {
            url = imageUrl.ValueKind == JsonValueKind.String ? imageUrl.GetString()
                : imageUrl.ValueKind == JsonValueKind.Object && imageUrl.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        }
        else if (block.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object)
        {
            // Anthropic: {type: "base64", media_type, data} or {type: "url", url}.
            if (source.TryGetProperty("url", out var sourceUrl) && sourceUrl.ValueKind == JsonValueKind.String)
            {
                url = sourceUrl.GetString();
            }
            else if (source.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
            {
                WriteBlob(w, modality, source.TryGetProperty("media_type", out var mediaType) && mediaType.ValueKind == JsonValueKind.String ? mediaType.GetString() : null, data.GetString()!, allowance);
                return;
            }
        }
        else if (block.TryGetProperty("input_audio", out var audio) && audio.ValueKind == JsonValueKind.Object && audio.TryGetProperty("data", out var audioData) && audioData.ValueKind == JsonValueKind.String)
        {
            WriteBlob(w, modality, audio.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String ? "audio/" + format.GetString() : null, audioData.GetString()!, allowance);
            return;
        }

        if (url is not null && url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && url.IndexOf(',') is var comma and > 0)
        {
            var header = url.AsSpan(5, comma - 5);
            var semicolon = header.IndexOf(';');
            WriteBlob(w, modality, (semicolon < 0 ? header : header[..semicolon]).ToString(), url[(comma + 1)..], allowance);
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "uri");
        w.WriteString("modality", modality);
        w.WriteString("uri", allowance.Take(url ?? ""));
        w.WriteEndObject();
    }

    private static void WriteBlob(Utf8JsonWriter w, string modality, string? mimeType, string base64, Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", "blob");
        w.WriteString("modality", modality);
        if (mimeType is not null)
        {
            w.WriteString("mime_type", mimeType);
        }

        w.WriteString("content", allowance.Take(base64));
        w.WriteEndObject();
    }

    private static void WriteText(Utf8JsonWriter w, string type, string? text, Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("content", allowance.Take(text ?? ""));
        w.WriteEndObject();
    }

    /// <summary>A value as it came (an object, an array, a number), its strings charged to the allowance.</summary>
    private static void WriteValue(Utf8JsonWriter w, JsonElement value, Allowance allowance)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                w.WriteStringValue(allowance.Take(value.GetString()!));
                break;
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    w.WritePropertyName(allowance.Take(property.Name));
                    WriteValue(w, property.Value, allowance);
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(w, item, allowance);
                }

                w.WriteEndArray();
                break;
            case JsonValueKind.Undefined:
                w.WriteNullValue();
                break;
            default:
                value.WriteTo(w);
                break;
        }
    }

    private static void WriteStringIf(Utf8JsonWriter w, string name, JsonElement holder, string property)
    {
        if (holder.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String)
        {
            w.WriteString(name, value.GetString());
        }
    }

    /// <summary>
    /// Writes a JSON value whose texts share <paramref name="max"/> characters, then, while the whole
    /// (its structure included) is longer than <paramref name="max"/>, writes it again with less room
    /// for the texts: the JSON stays whole unless its structure alone is longer than the limit.
    /// </summary>
    private static string Fit(int max, Action<Utf8JsonWriter, Allowance> write)
    {
        var room = max;
        Allowance allowance;
        string json;
        var tries = 0;
        do
        {
            allowance = new Allowance(room);
            json = Write(w => write(w, allowance));
            room -= json.Length - max;
        }
        while (json.Length > max && room > 0 && ++tries < 4);

        if (allowance.Truncated)
        {
            TelemetryText.Count(TelemetryText.Reasons.Truncated);
        }

        return json;
    }

    /// <summary>The characters of content left to keep: every text shares it, a text past it is cut with the truncation marker.</summary>
    private sealed class Allowance(int max)
    {
        private int _left = Math.Max(0, max);

        public bool Truncated { get; private set; }

        public bool Fits(string text) => text.Length <= _left;

        public string Take(string text)
        {
            if (text.Length <= _left)
            {
                _left -= text.Length;
                return text;
            }

            var marker = TelemetryLimits.TruncationMarker;
            var keep = Math.Max(0, _left - marker.Length);
            _left = 0;
            Truncated = true;
            return keep == 0 ? "" : string.Concat(text.AsSpan(0, keep), marker);
        }
    }
}
