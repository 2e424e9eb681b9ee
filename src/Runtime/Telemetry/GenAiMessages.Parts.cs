using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Telemetry;

/// <summary>
/// One message's parts as the conventions write them: text, tool calls and their responses, media, and any other value,
/// each within the allowance.
/// </summary>
internal static partial class GenAiMessages
{
    private static void WriteMessage(
        Utf8JsonWriter w,
        string role,
        string? name,
        JsonElement content,
        Allowance allowance)
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
    private static void WriteToolCall(
        Utf8JsonWriter w,
        JsonElement holder,
        string idProperty,
        JsonElement named,
        JsonElement arguments,
        Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_call");
        WriteStringIf(w, "id", holder, idProperty);
        w.WriteString(
            "name",
            named.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()
                : "");
        w.WritePropertyName("arguments");
        if (arguments.ValueKind == JsonValueKind.String
            && allowance.Fits(arguments.GetString()!)
            && TryParse(Encoding.UTF8.GetBytes(arguments.GetString()!), out var parsed))
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

    /// <summary>
    /// A tool's answer: the id of the call it answers (<paramref name="idProperty"/>) and what the tool said
    /// (<paramref name="responseProperty"/>).
    /// </summary>
    private static void WriteToolResponse(
        Utf8JsonWriter w,
        JsonElement holder,
        string idProperty,
        string responseProperty,
        Allowance allowance)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_call_response");
        WriteStringIf(w, "id", holder, idProperty);
        w.WritePropertyName("response");
        WriteValue(w, holder.TryGetProperty(responseProperty, out var response) ? response : default, allowance);
        w.WriteEndObject();
    }

    /// <summary>
    /// An image or audio block: a URL as a <c>uri</c> part; inline data (a <c>data:</c> URL, base64) as a <c>blob</c>
    /// part, charged like text.
    /// </summary>
    private static void WriteMedia(Utf8JsonWriter w, JsonElement block, string modality, Allowance allowance)
    {
        string? url = null;
        if (block.TryGetProperty("image_url", out var imageUrl))
        {
            url =
                imageUrl.ValueKind == JsonValueKind.String ? imageUrl.GetString()
                : imageUrl.ValueKind == JsonValueKind.Object
                && imageUrl.TryGetProperty("url", out var u)
                && u.ValueKind == JsonValueKind.String
                    ? u.GetString()
                : null;
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
                WriteBlob(
                    w,
                    modality,
                    source.TryGetProperty("media_type", out var mediaType)
                    && mediaType.ValueKind == JsonValueKind.String
                        ? mediaType.GetString()
                        : null,
                    data.GetString()!,
                    allowance);
                return;
            }
        }
        else if (block.TryGetProperty("input_audio", out var audio)
            && audio.ValueKind == JsonValueKind.Object
            && audio.TryGetProperty("data", out var audioData)
            && audioData.ValueKind == JsonValueKind.String)
        {
            WriteBlob(
                w,
                modality,
                audio.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String
                    ? "audio/" + format.GetString()
                    : null,
                audioData.GetString()!,
                allowance);
            return;
        }

        if (url is not null
            && url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
            && url.IndexOf(',') is var comma and > 0)
        {
            var header = url.AsSpan(5, comma - 5);
            var semicolon = header.IndexOf(';');
            WriteBlob(
                w,
                modality,
                (semicolon < 0 ? header : header[..semicolon]).ToString(),
                url[(comma + 1)..],
                allowance);
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "uri");
        w.WriteString("modality", modality);
        w.WriteString("uri", allowance.Take(url ?? ""));
        w.WriteEndObject();
    }

    private static void WriteBlob(
        Utf8JsonWriter w,
        string modality,
        string? mimeType,
        string base64,
        Allowance allowance)
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
}
