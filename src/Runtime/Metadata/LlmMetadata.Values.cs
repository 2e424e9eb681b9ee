using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TracedLlm;

// LlmMetadata: the readers of the known keys' values by type (prompt, strings, flags, numbers,
// tags, trace metadata), each refusing the wrong JSON type and bounding what it keeps.
public sealed partial class LlmMetadata
{
    private void ReadPrompt(ref Utf8JsonReader reader, string slot)
    {
        // Accepts {name, version} and the whole serialized prompt object a Langfuse SDK produces
        // (which adds prompt, config, labels, type, ...): only name and version are read.
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var actual = Describe(reader.TokenType);
            throw new InvalidLlmRequestException(
                $"'{slot}.prompt' must be an object with 'name' and 'version', not {actual}.")
            {
                JsonPath = $"$.{slot}.prompt",
            };
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                PromptName = ReadString(ref reader, slot, "prompt.name");
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                reader.Read();
                PromptVersion = ReadInt(ref reader, slot, "prompt.version");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, string slot, string key) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw WrongType(slot, key, "a string", reader.TokenType),
    };

    private static bool ReadBool(ref Utf8JsonReader reader, string slot, string key) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw WrongType(slot, key, "true or false", reader.TokenType),
    };

    private static int? ReadInt(ref Utf8JsonReader reader, string slot, string key)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
        {
            return value;
        }

        throw WrongType(slot, key, "an integer", reader.TokenType);
    }

    private string[] ReadTags(ref Utf8JsonReader reader, string slot, string key, int limit)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return Array.Empty<string>();
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw WrongType(slot, key, "an array of strings", reader.TokenType);
        }

        // An array, not a list: OpenTelemetry exports only arrays as array attributes. Sized by a
        // first look over the tags (a copy of the reader, over the same bytes), so the tags a
        // request sends cost one array and their strings, not a list grown and copied.
        var kept = KeptTags(reader, limit);
        var items = kept == 0 ? Array.Empty<string>() : new string[kept];
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw WrongType(slot, key, "an array of strings", reader.TokenType);
            }

            if (count < items.Length)
            {
                items[count++] = reader.GetString()!;
            }
            else
            {
                DroppedTraceEntries++;
            }
        }

        return items;
    }

    // How many of the array's tags are kept: its strings before anything else, at most the limit
    // (a value of another kind ends the count; the reading then refuses it where it stands).
    private static int KeptTags(Utf8JsonReader look, int limit)
    {
        var count = 0;
        while (count < limit && look.Read() && look.TokenType == JsonTokenType.String)
        {
            count++;
        }

        return count;
    }

    private IReadOnlyDictionary<string, string> ReadTraceMetadata(
        ref Utf8JsonReader reader,
        string slot,
        string key,
        int limit,
        SecretRedaction redaction)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return NoEntries;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw WrongType(slot, key, "an object", reader.TokenType);
        }

        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (entries.Count >= limit && !entries.ContainsKey(name))
            {
                reader.Skip();
                DroppedTraceEntries++;
            }
            else
            {
                entries[name] = redaction.IsSecretKey(name) ? Redacted(ref reader) : ValueAsText(ref reader, redaction);
            }
        }

        return entries;
    }

    private static string Redacted(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return SecretRedaction.Marker;
    }

    /// <summary>
    /// A string value unquoted; any other value as its JSON text, in which the value of every
    /// secret-like key, at any depth, is <see cref="SecretRedaction.Marker"/>.
    /// </summary>
    private static string ValueAsText(ref Utf8JsonReader reader, SecretRedaction redaction)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.Null:
                return "null";
        }

        // An object or an array: copied token by token (the slot's depth is bounded), compact.
        var text = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(
                text,
                new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            var depth = reader.CurrentDepth;
            while (true)
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.String: writer.WriteStringValue(reader.GetString()); break;
                    case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: writer.WriteNullValue(); break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        writer.WritePropertyName(name);
                        if (redaction.IsSecretKey(name))
                        {
                            reader.Read();
                            writer.WriteStringValue(Redacted(ref reader));
                        }

                        break;
                }

                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray
                    && reader.CurrentDepth == depth)
                {
                    break;
                }

                reader.Read();
            }
        }

        return Encoding.UTF8.GetString(text.WrittenSpan);
    }

    private static InvalidLlmRequestException WrongType(
        string slot,
        string key,
        string expected,
        JsonTokenType actual
    ) => new($"'{slot}.{key}' must be {expected}, not {Describe(actual)}.") { JsonPath = $"$.{slot}.{key}" };

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "a value",
    };
}
