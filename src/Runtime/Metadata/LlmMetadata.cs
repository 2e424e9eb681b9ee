using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace TracedLlm;

/// <summary>
/// The gateway metadata a client sent in the route's metadata slot, typed. Read once by the
/// route's generated reader; recognized keys become properties, every other key is kept in
/// <see cref="ObservationMetadata"/> as JSON text.
/// </summary>
public sealed class LlmMetadata
{
    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>(0);

    /// <summary>Metadata of a request whose slot was absent or null.</summary>
    public static LlmMetadata Empty { get; } = new();

    /// <summary>True when the request carried the slot with at least one key.</summary>
    public bool IsPresent { get; private set; }

    /// <summary><c>generation_name</c>: renames the <c>litellm_request</c> span.</summary>
    public string? GenerationName { get; private set; }

    /// <summary><c>trace_name</c></summary>
    public string? TraceName { get; private set; }

    /// <summary><c>existing_trace_id</c>, else <c>trace_id</c>: the trace to join, as sent (validated when joining).</summary>
    public string? ExistingTraceId { get; private set; }

    /// <summary>True when <see cref="ExistingTraceId"/> came from <c>trace_id</c> (no <c>existing_trace_id</c> was sent).</summary>
    internal bool TraceIdFromAlias { get; private set; }

    /// <summary><c>parent_observation_id</c>: the span to parent the server span to, as sent.</summary>
    public string? ParentObservationId { get; private set; }

    /// <summary><c>session_id</c></summary>
    public string? SessionId { get; private set; }

    /// <summary><c>trace_user_id</c>, else <c>user_id</c></summary>
    public string? UserId { get; private set; }

    /// <summary><c>tags</c></summary>
    public IReadOnlyList<string> Tags { get; private set; } = Array.Empty<string>();

    /// <summary><c>trace_metadata</c>: values as JSON text (strings unquoted).</summary>
    public IReadOnlyDictionary<string, string> TraceMetadata { get; private set; } = NoEntries;

    /// <summary><c>prompt.name</c> or <c>prompt_name</c></summary>
    public string? PromptName { get; private set; }

    /// <summary><c>prompt.version</c> or <c>prompt_version</c></summary>
    public int? PromptVersion { get; private set; }

    /// <summary><c>version</c></summary>
    public string? Version { get; private set; }

    /// <summary><c>release</c></summary>
    public string? Release { get; private set; }

    /// <summary><c>environment</c></summary>
    public string? Environment { get; private set; }

    /// <summary><c>mask_input</c>: suppress input content capture for this request.</summary>
    public bool MaskInput { get; private set; }

    /// <summary><c>mask_output</c>: suppress output content capture for this request.</summary>
    public bool MaskOutput { get; private set; }

    /// <summary>Keys the gateway does not recognize, kept as observation metadata (values as JSON text, strings unquoted).</summary>
    public IReadOnlyDictionary<string, string> ObservationMetadata { get; private set; } = NoEntries;

    /// <summary>
    /// Reads the slot's value. The reader is positioned on the value's first token; on return it is
    /// on the value's last token. <paramref name="json"/> is the buffer the reader reads.
    /// </summary>
    /// <exception cref="InvalidLlmRequestException">The slot or one of its known keys has the wrong JSON type.</exception>
    internal static LlmMetadata Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string slot)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return Empty;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidLlmRequestException($"'{slot}' must be a JSON object, not {Describe(reader.TokenType)}.");
        }

        var metadata = new LlmMetadata();
        string? traceIdAlias = null;
        string? userIdAlias = null;
        Dictionary<string, string>? extra = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            metadata.IsPresent = true;
            switch (key)
            {
                case "generation_name": metadata.GenerationName = ReadString(ref reader, slot, key); break;
                case "trace_name": metadata.TraceName = ReadString(ref reader, slot, key); break;
                case "existing_trace_id": metadata.ExistingTraceId = ReadString(ref reader, slot, key); break;
                case "trace_id": traceIdAlias = ReadString(ref reader, slot, key); break;
                case "parent_observation_id": metadata.ParentObservationId = ReadString(ref reader, slot, key); break;
                case "session_id": metadata.SessionId = ReadString(ref reader, slot, key); break;
                case "trace_user_id": metadata.UserId = ReadString(ref reader, slot, key); break;
                case "user_id": userIdAlias = ReadString(ref reader, slot, key); break;
                case "tags": metadata.Tags = ReadStringArray(ref reader, slot, key); break;
                case "trace_metadata": metadata.TraceMetadata = ReadObjectAsText(ref reader, json, slot, key); break;
                case "prompt": metadata.ReadPrompt(ref reader, slot); break;
                case "prompt_name": metadata.PromptName ??= ReadString(ref reader, slot, key); break;
                case "prompt_version": metadata.PromptVersion ??= ReadInt(ref reader, slot, key); break;
                case "version": metadata.Version = ReadString(ref reader, slot, key); break;
                case "release": metadata.Release = ReadString(ref reader, slot, key); break;
                case "environment": metadata.Environment = ReadString(ref reader, slot, key); break;
                case "mask_input": metadata.MaskInput = ReadBool(ref reader, slot, key); break;
                case "mask_output": metadata.MaskOutput = ReadBool(ref reader, slot, key); break;
                default:
                    extra ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    extra[key] = ValueAsText(ref reader, json);
                    break;
            }
        }

        if (metadata.ExistingTraceId is null && traceIdAlias is not null)
        {
            metadata.ExistingTraceId = traceIdAlias;
            metadata.TraceIdFromAlias = true;
        }

        metadata.UserId ??= userIdAlias;
        if (extra is not null)
        {
            metadata.ObservationMetadata = extra;
        }

        return metadata;
    }

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
            throw new InvalidLlmRequestException($"'{slot}.prompt' must be an object with 'name' and 'version', not {Describe(reader.TokenType)}.");
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

    private static string[] ReadStringArray(ref Utf8JsonReader reader, string slot, string key)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return Array.Empty<string>();
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw WrongType(slot, key, "an array of strings", reader.TokenType);
        }

        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw WrongType(slot, key, "an array of strings", reader.TokenType);
            }

            items.Add(reader.GetString()!);
        }

        // An array, not a list: OpenTelemetry exports only arrays as array attributes.
        return items.ToArray();
    }

    private static IReadOnlyDictionary<string, string> ReadObjectAsText(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string slot, string key)
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
            entries[name] = ValueAsText(ref reader, json);
        }

        return entries;
    }

    /// <summary>A string value unquoted; any other value as its JSON text.</summary>
    private static string ValueAsText(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        return Encoding.UTF8.GetString(json[start..end]);
    }

    private static InvalidLlmRequestException WrongType(string slot, string key, string expected, JsonTokenType actual) =>
        new($"'{slot}.{key}' must be {expected}, not {Describe(actual)}.");

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
