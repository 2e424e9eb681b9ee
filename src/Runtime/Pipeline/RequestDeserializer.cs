using System;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace TracedLlm.Pipeline;

/// <summary>
/// Reads the checked body into the handler's request type. A <see cref="JsonNode"/> or
/// <see cref="JsonObject"/> body is read with exact property names whatever the options say:
/// under ASP.NET Core's default (case-insensitive) options a <see cref="JsonObject"/> finds
/// <c>"Content"</c> when the handler asks for <c>content</c>, a name a case-sensitive upstream does
/// not read, and the gateway cannot know which names the handler will ask for. So an untyped
/// handler, like a <see cref="JsonElement"/> one, reads names exactly as the upstream does.
/// </summary>
internal static class RequestDeserializer
{
    private static readonly JsonNodeOptions ExactNames = new() { PropertyNameCaseInsensitive = false };

    public static T? Deserialize<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo)
    {
        if (typeof(T) == typeof(JsonNode) || typeof(T) == typeof(JsonObject))
        {
            // The route's reader has read the body already (no comments, no trailing commas): only the depth is the
            // options'.
            return (T?)(object?)JsonNode.Parse(
                body, ExactNames, new JsonDocumentOptions { MaxDepth = typeInfo.Options.MaxDepth });
        }

        return JsonSerializer.Deserialize(body, typeInfo);
    }
}
