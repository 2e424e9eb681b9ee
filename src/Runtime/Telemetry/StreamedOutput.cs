using System;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Telemetry;

/// <summary>
/// A handler's streamed answer as <c>gen_ai.output.messages</c> will hold it: the text deltas of its
/// chunks (OpenAI chat <c>choices[0].delta.content</c>, Anthropic <c>content_block_delta</c>, OpenAI
/// responses <c>response.output_text.delta</c>) and the finish reason, kept up to what the capture
/// keeps (<see cref="TracedLlmOptions.MaxContentLength"/>); past it only the finish reason is. Made only
/// in <see cref="SemanticConventionMode.GenAiLatestExperimental"/> with content capture on.
/// </summary>
/// <remarks>
/// The relay reads the same text paths from the bytes it passes on, with its own scanner
/// (TracedLlm.ReverseProxy's DocumentFacts.InterestIn): a text path added here must be added there.
/// They are still two readers (issue 70, item 13, left open): this one reads a handler's serialized
/// chunk, the relay's a body it never holds whole, and one reader for both means moving the relay's
/// scanner into this package.
/// </remarks>
internal sealed class StreamedOutput(int maxContent)
{
    private readonly StringBuilder _text = new();

    public string? FinishReason { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Reads one serialized chunk.</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                if (choice.ValueKind == JsonValueKind.Object)
                {
                    if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object && delta.TryGetProperty("content", out var content))
                    {
                        Append(content);
                    }
                    else if (choice.TryGetProperty("text", out var text))
                    {
                        Append(text);
                    }

                    Finish(choice, "finish_reason");
                }

                return;
            }

            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "content_block_delta" when root.TryGetProperty("delta", out var blockDelta) && blockDelta.ValueKind == JsonValueKind.Object && blockDelta.TryGetProperty("text", out var blockText):
                    Append(blockText);
                    break;
                case "message_delta" when root.TryGetProperty("delta", out var messageDelta) && messageDelta.ValueKind == JsonValueKind.Object:
                    Finish(messageDelta, "stop_reason");
                    break;
                case "response.output_text.delta" when root.TryGetProperty("delta", out var outputDelta):
                    Append(outputDelta);
                    break;
                case "response.completed":
                    FinishReason ??= "completed";
                    break;
                case "response.incomplete":
                    FinishReason ??= "length";
                    break;
            }
        }
        catch (JsonException)
        {
            // A chunk that is not JSON carries no text this can read.
        }
    }

    private void Append(JsonElement text)
    {
        if (text.ValueKind == JsonValueKind.String && _text.Length <= maxContent)
        {
            var value = text.GetString()!;
            _text.Append(value, 0, Math.Min(value.Length, maxContent + 1 - _text.Length));
        }
    }

    private void Finish(JsonElement holder, string property)
    {
        if (holder.TryGetProperty(property, out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            FinishReason = reason.GetString();
        }
    }
}
