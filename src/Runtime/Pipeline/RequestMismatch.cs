using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TracedLlm.Pipeline;

/// <summary>Says why a body does not fit the handler's request type in the client's terms.</summary>
/// <remarks>
/// The JSON path of the value, what the route expects there and what was sent, as JSON kinds. The C# types behind the
/// route are the gateway's business and never appear (System.Text.Json's own message names them).
/// </remarks>
internal static class RequestMismatch
{
    private const int MaxPathLength = 200;

    public static string Describe(string? path, JsonTypeInfo typeInfo, ReadOnlySpan<byte> body)
    {
        path = string.IsNullOrEmpty(path) ? "$" : path;
        var shown = path.Length <= MaxPathLength ? path : string.Concat(path.AsSpan(0, MaxPathLength), "…");
        var segments = Parse(path);
        var expected = segments is null ? null : Expected(typeInfo, segments);
        var found = segments is null ? null : Found(body, segments);
        var prefix = $"The request body does not match this route's request at {shown}";
        return (expected, found) switch
        {
            (null, null) => prefix + ".",
            (null, { } sent) => $"{prefix}: {sent} is not accepted there.",
            ({ } wanted, null) => $"{prefix}: expected {wanted}.",
            ({ } wanted, { } sent) when wanted == sent =>
                $"{prefix}: expected {wanted} in the range and form this field accepts.",
            ({ } wanted, { } sent) => $"{prefix}: expected {wanted}, not {sent}.",
        };
    }

    /// <summary>
    /// System.Text.Json's path (<c>$.a[0].b</c>, <c>$['a.b']</c>) as property names and indexes; null when it cannot be
    /// read.
    /// </summary>
    internal static List<Segment>? Parse(string path)
    {
        if (!path.StartsWith('$'))
        {
            return null;
        }

        var segments = new List<Segment>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(new Segment(path[(i + 1)..end], -1));
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }

                segments.Add(new Segment(path[(i + 2)..end], -1));
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index))
                {
                    return null;
                }

                segments.Add(new Segment(null, index));
                i = end + 1;
            }
            else
            {
                return null;
            }
        }

        return segments;
    }

    /// <summary>
    /// What the request type expects at the path, as a JSON kind; null when it accepts any value or cannot be told.
    /// </summary>
    private static string? Expected(JsonTypeInfo typeInfo, List<Segment> segments)
    {
        var current = typeInfo;
        foreach (var segment in segments)
        {
            Type? next = null;
            if (segment.Name is { } name && current.Kind == JsonTypeInfoKind.Object)
            {
                foreach (var property in current.Properties)
                {
                    if (property.Name == name)
                    {
                        next = property.PropertyType;
                        break;
                    }
                }
            }
            else if (current.Kind is JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary)
            {
                next = current.ElementType;
            }

            if (next is null || !TryGetTypeInfo(current.Options, next, out current))
            {
                return null;
            }
        }

        return current.Kind switch
        {
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "an object",
            JsonTypeInfoKind.Enumerable => "an array",
            _ => Primitive(Nullable.GetUnderlyingType(current.Type) ?? current.Type),
        };
    }

    /// <summary>The options' type info for <paramref name="type"/>; false when its resolvers have none.</summary>
    internal static bool TryGetTypeInfo(JsonSerializerOptions options, Type type, out JsonTypeInfo typeInfo)
    {
        try
        {
            typeInfo = options.GetTypeInfo(type);
            return true;
        }
        catch (NotSupportedException)
        {
            typeInfo = null!;
            return false;
        }
    }

    private static string? Primitive(Type type)
    {
        if (type == typeof(string) || type == typeof(char) || type == typeof(Guid) || type == typeof(DateTime)
            || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Uri))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type.IsEnum)
        {
            return null;
        }

        return Type.GetTypeCode(type) is >= TypeCode.SByte and <= TypeCode.Decimal ? "a number" : null;
    }

    /// <summary>The kind of the value the body has at the path; null when the path is not in the body.</summary>
    private static string? Found(ReadOnlySpan<byte> body, List<Segment> segments)
    {
        var reader = new Utf8JsonReader(body, EnvelopeReader.ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                return null;
            }

            foreach (var segment in segments)
            {
                if (!(segment.Name is { } name
                    ? MoveToProperty(ref reader, name)
                    : MoveToElement(ref reader, segment.Index)))
                {
                    return null;
                }
            }

            return LlmMetadata.Describe(reader.TokenType);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>From an object's start to the value of its (last) property <paramref name="name"/>.</summary>
    private static bool MoveToProperty(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var found = false;
        Utf8JsonReader at = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match)
            {
                // The serializer keeps the last of duplicate properties: so does this.
                at = reader;
                found = true;
            }

            reader.Skip();
        }

        reader = at;
        return found;
    }

    /// <summary>From an array's start to its element <paramref name="index"/>.</summary>
    private static bool MoveToElement(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            if (i == index)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    internal readonly record struct Segment(string? Name, int Index);
}
