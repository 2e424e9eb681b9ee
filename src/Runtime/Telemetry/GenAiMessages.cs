using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Telemetry;

/// <summary>
/// The GenAI conventions' structured content (1.41: <c>docs/gen-ai/gen-ai-input-messages.json</c>,
/// <c>gen-ai-output-messages.json</c>, <c>gen-ai-system-instructions.json</c>), built from the wire bodies the gateway
/// already holds.
/// </summary>
/// <remarks>
/// OpenAI chat completions, OpenAI responses, Anthropic messages and legacy completions, told apart by their shape
/// rather than by route. Recorded on spans as JSON strings (the conventions' rule where a language has no structured
/// span attributes, as .NET has not). Each value is at most <see cref="TracedLlmOptions.MaxContentLength"/> characters,
/// as captured content is: its texts share what its structure leaves, a long text is cut with the truncation marker,
/// and the JSON stays whole (unless its structure alone is longer than the limit). A body that is not one of these
/// shapes, or not JSON, gives nothing.
/// </remarks>
internal static partial class GenAiMessages
{
    /// <summary>
    /// The request's system instructions (Anthropic <c>system</c>, OpenAI responses <c>instructions</c>) and chat
    /// history, as JSON; null where the body has none.
    /// </summary>
    public static (string? SystemInstructions, string? InputMessages) FromRequest(
        ReadOnlySpan<byte> utf8,
        int maxContent)
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
            if (root.TryGetProperty("system", out var anthropicSystem)
                || root.TryGetProperty("instructions", out anthropicSystem))
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
            else if (root.TryGetProperty("input", out var items)
                && items.ValueKind is JsonValueKind.Array or JsonValueKind.String)
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

    /// <summary>
    /// The response's choices (OpenAI chat), content (Anthropic) or output items (OpenAI responses) as output messages;
    /// null for another shape.
    /// </summary>
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
                        var text = message.ValueKind == JsonValueKind.Undefined
                            && choice.TryGetProperty("text", out var t) ? t : default;
                        w.WriteStartObject();
                        w.WriteString("role", message.ValueKind == JsonValueKind.Object
                            && message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                            ? role.GetString() : "assistant");
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
                        w.WriteString("finish_reason", FinishReason(
                            choice.TryGetProperty("finish_reason", out var reason) ? reason : default));
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
                return Fit(
                    maxContent,
                    (w, allowance) =>
                    {
                        w.WriteStartArray();
                        w.WriteStartObject();
                        w.WriteString("role", "assistant");
                        w.WriteStartArray("parts");
                        WriteParts(w, content, allowance);
                        w.WriteEndArray();
                        w.WriteString(
                            "finish_reason",
                            FinishReason(root.TryGetProperty("stop_reason", out var stop) ? stop : default));
                        w.WriteEndObject();
                        w.WriteEndArray();
                    });
            }

            return null;
        }
    }

    /// <summary>
    /// A streamed answer's text as one output message (the stream's chunks are not kept, their text is).
    /// </summary>
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

    private static string FinishReason(JsonElement reason) =>
        FinishReason(reason.ValueKind == JsonValueKind.String ? reason.GetString() : null);

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
        using (var writer = new Utf8JsonWriter(
                buffer,
                new JsonWriterOptions
                {
                    Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
                }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes a JSON value whose texts share <paramref name="max"/> characters, then, while the whole (its structure
    /// included) is longer than <paramref name="max"/>, writes it again with less room for the texts.
    /// </summary>
    /// <remarks>
    /// The JSON stays whole unless its structure alone is longer than the limit.
    /// </remarks>
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

    /// <summary>
    /// The characters of content left to keep: every text shares it, a text past it is cut with the truncation marker.
    /// </summary>
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
