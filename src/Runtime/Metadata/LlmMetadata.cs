using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// The gateway metadata a client sent in the route's metadata slot, typed. Read once by the
/// route's generated reader; recognized keys become properties, every other key is kept in
/// <see cref="ObservationMetadata"/> as JSON text. It is what traces will see: the value of a
/// secret-like key (<see cref="SecretRedaction.KeyFragments"/>), at any depth, is kept as
/// <see cref="SecretRedaction.Marker"/>, and each client-chosen collection holds at most
/// <see cref="TelemetryLimits.MaxMetadataKeys"/> entries.
/// </summary>
public sealed class LlmMetadata
{
    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>(0);

    /// <summary>The keys the gateway reads from its slot (a shared slot takes only these).</summary>
    internal static readonly string[] RecognizedKeys =
    {
        "generation_name", "trace_name", "existing_trace_id", "trace_id", "parent_observation_id", "session_id", "trace_user_id", "user_id",
        "tags", "trace_metadata", "prompt", "prompt_name", "prompt_version", "version", "release", "environment", "mask_input", "mask_output",
    };

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

    /// <summary><c>tags</c> items and <c>trace_metadata</c> keys past <see cref="TelemetryLimits.MaxMetadataKeys"/>, left out.</summary>
    internal int DroppedTraceEntries { get; private set; }

    /// <summary>Unrecognized keys past <see cref="TelemetryLimits.MaxMetadataKeys"/>, left out.</summary>
    internal int DroppedObservationEntries { get; private set; }

    /// <summary>
    /// Reads the slot's value. The reader is positioned on the value's first token; on return it is
    /// on the value's last token. <paramref name="json"/> is the buffer the reader reads. With
    /// <paramref name="providerKeys"/> (a slot shared with the provider, <see cref="MetadataSlotMode.Shared"/>)
    /// only the recognised keys of the type the gateway reads are taken; every other property is
    /// left for the provider, its byte range (name to value end) added to the list.
    /// </summary>
    /// <exception cref="InvalidLlmRequestException">The slot or one of its known keys has the wrong JSON type (the gateway's slot only).</exception>
    internal static LlmMetadata Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string slot, TracedLlmOptions options, List<(long Start, long End)>? providerKeys = null)
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
        var limit = options.Limits.MaxMetadataKeys;
        var redaction = options.Redaction;
        string? traceIdAlias = null;
        string? userIdAlias = null;
        Dictionary<string, string>? extra = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = reader.TokenStartIndex;
            var key = reader.GetString()!;
            reader.Read();
            if (providerKeys is not null && !IsGatewayValue(key, reader))
            {
                reader.Skip();
                providerKeys.Add((nameStart, reader.BytesConsumed));
                continue;
            }

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
                case "tags": metadata.Tags = metadata.ReadTags(ref reader, slot, key, limit); break;
                case "trace_metadata": metadata.TraceMetadata = metadata.ReadTraceMetadata(ref reader, slot, key, limit, redaction); break;
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
                    if (extra.Count >= limit && !extra.ContainsKey(key))
                    {
                        reader.Skip();
                        metadata.DroppedObservationEntries++;
                    }
                    else
                    {
                        extra[key] = redaction.IsSecretKey(key) ? Redacted(ref reader) : ValueAsText(ref reader, redaction);
                    }

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

        TelemetryText.Count(TelemetryText.Reasons.MetadataKeyLimit, metadata.DroppedTraceEntries + metadata.DroppedObservationEntries);

        return metadata;
    }

    /// <summary>
    /// True when <paramref name="key"/> is a key the gateway recognises and its value (the reader is
    /// on it; read on a copy) has the JSON type the gateway reads for it: what a shared slot takes.
    /// </summary>
    private static bool IsGatewayValue(string key, Utf8JsonReader value)
    {
        var token = value.TokenType;
        switch (key)
        {
            case "generation_name" or "trace_name" or "existing_trace_id" or "trace_id" or "parent_observation_id" or "session_id"
                or "trace_user_id" or "user_id" or "prompt_name" or "version" or "release" or "environment":
                return token is JsonTokenType.String or JsonTokenType.Null;
            case "mask_input" or "mask_output":
                return token is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null;
            case "prompt_version":
                return token == JsonTokenType.Null || (token == JsonTokenType.Number && value.TryGetInt32(out _));
            case "trace_metadata" or "prompt":
                return token is JsonTokenType.StartObject or JsonTokenType.Null;
            case "tags":
                if (token == JsonTokenType.Null)
                {
                    return true;
                }

                if (token != JsonTokenType.StartArray)
                {
                    return false;
                }

                while (value.Read() && value.TokenType != JsonTokenType.EndArray)
                {
                    if (value.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
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

        var items = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw WrongType(slot, key, "an array of strings", reader.TokenType);
            }

            if (items.Count < limit)
            {
                items.Add(reader.GetString()!);
            }
            else
            {
                DroppedTraceEntries++;
            }
        }

        // An array, not a list: OpenTelemetry exports only arrays as array attributes.
        return items.ToArray();
    }

    private IReadOnlyDictionary<string, string> ReadTraceMetadata(ref Utf8JsonReader reader, string slot, string key, int limit, SecretRedaction redaction)
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
        using (var writer = new Utf8JsonWriter(text, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
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

                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth)
                {
                    break;
                }

                reader.Read();
            }
        }

        return Encoding.UTF8.GetString(text.WrittenSpan);
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
        _ => "a value",
    };
}
