using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace TracedLlm;

/// <summary>
/// The messages of a recorded generation, role and text, for backends that show a chat (Phoenix's
/// <c>llm.input_messages</c>).
/// </summary>
/// <remarks>
/// Read from the GenAI conventions' <c>gen_ai.input.messages</c> / <c>gen_ai.output.messages</c> when recorded, else
/// from the request and answer bodies as the gateway recorded them (OpenAI chat and responses, Anthropic messages),
/// else the answer as text. Anything else reads as no message: a translation never fails a batch.
/// </remarks>
internal static class ChatMessages
{
    private static readonly string[] SystemKeys = { "system", "instructions" };

    /// <summary>
    /// The messages of the GenAI conventions' JSON (<c>[{"role", "parts": [{"type": "text", "content"}]}]</c>).
    /// </summary>
    public static List<(string Role, string Content)> FromGenAi(string json)
    {
        var messages = new List<(string, string)>();
        Read(json, root =>
        {
            if (root.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var message in root.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var text = new StringBuilder();
                if (message.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in parts.EnumerateArray())
                    {
                        if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("content", out var content)
                            && content.ValueKind == JsonValueKind.String)
                        {
                            text.Append(content.GetString());
                        }
                    }
                }

                messages.Add((Text(message, "role") ?? "user", text.ToString()));
            }
        });
        return messages;
    }

    /// <summary>
    /// The messages of a request body: its system text first, then each message (OpenAI chat, Anthropic messages,
    /// OpenAI responses).
    /// </summary>
    public static List<(string Role, string Content)> FromRequest(string json)
    {
        var messages = new List<(string, string)>();
        Read(json, root =>
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var systemKey in SystemKeys)
            {
                if (root.TryGetProperty(systemKey, out var system) && Content(system) is { Length: > 0 } systemText)
                {
                    messages.Add(("system", systemText));
                }
            }

            if (root.TryGetProperty("messages", out var list) || root.TryGetProperty("input", out list))
            {
                if (list.ValueKind == JsonValueKind.String)
                {
                    messages.Add(("user", list.GetString()!));
                }
                else if (list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var message in list.EnumerateArray())
                    {
                        if (message.ValueKind == JsonValueKind.Object
                            && message.TryGetProperty("content", out var content))
                        {
                            messages.Add((Text(message, "role") ?? "user", Content(content)));
                        }
                    }
                }
            }
        });
        return messages;
    }

    /// <summary>
    /// The answer's messages: an OpenAI chat or responses body, an Anthropic message, or (a stream's text) the text
    /// itself.
    /// </summary>
    public static List<(string Role, string Content)> FromResponse(string text)
    {
        var messages = new List<(string, string)>();
        var json = false;
        Read(text, root =>
        {
            json = true;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message)
                        && message.ValueKind == JsonValueKind.Object)
                    {
                        var content = message.TryGetProperty("content", out var value) ? Content(value) : string.Empty;
                        messages.Add((Text(message, "role") ?? "assistant", content));
                    }
                }
            }
            else if (root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in output.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("content", out var content))
                    {
                        messages.Add((Text(item, "role") ?? "assistant", Content(content)));
                    }
                }
            }
            else if (root.TryGetProperty("content", out var content))
            {
                messages.Add((Text(root, "role") ?? "assistant", Content(content)));
            }
        });

        if (!json && text.Length > 0)
        {
            messages.Add(("assistant", text));
        }

        return messages;
    }

    /// <summary>
    /// Whether <paramref name="text"/> is one whole JSON object (not one cut short by the content length limit).
    /// </summary>
    public static bool IsJsonObject(string text)
    {
        var isObject = false;
        Read(text, root => isObject = root.ValueKind == JsonValueKind.Object);
        return isObject;
    }

    /// <summary>
    /// Whether <paramref name="text"/> looks like a JSON object or array (its mime type for Phoenix).
    /// </summary>
    public static bool LooksLikeJson(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        return trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '[');
    }

    // A message's content as text: a string, or the text of its parts (OpenAI's {type, text}, Anthropic's text blocks).
    private static string Content(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.String)
                    {
                        text.Append(part.GetString());
                    }
                    else if (part.ValueKind == JsonValueKind.Object
                        && part.TryGetProperty("text", out var partText)
                        && partText.ValueKind == JsonValueKind.String)
                    {
                        text.Append(partText.GetString());
                    }
                }

                return text.ToString();
            default:
                return string.Empty;
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static void Read(string json, Action<JsonElement> read)
    {
        if (!LooksLikeJson(json))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            read(document.RootElement);
        }
        catch (JsonException)
        {
            // Cut short by the content length limit, or not JSON: no messages.
        }
    }
}
