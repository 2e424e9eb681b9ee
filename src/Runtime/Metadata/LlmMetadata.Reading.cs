using System;
using System.Collections.Generic;
using System.Text.Encodings.Web;
using System.Text.Json;
using TracedLlm.Telemetry;

namespace TracedLlm;

// LlmMetadata: reading the slot's JSON into the typed metadata, each known key checked for its
// type and bounded, the rest kept as observation metadata (redacted) or left for the provider.
public sealed partial class LlmMetadata
{
    /// <summary>
    /// Reads the slot's value. The reader is positioned on the value's first token; on return it is
    /// on the value's last token. <paramref name="json"/> is the buffer the reader reads. With
    /// <paramref name="providerKeys"/> (a slot shared with the provider, <see cref="MetadataSlotMode.Shared"/>)
    /// only the recognised keys of the type the gateway reads are taken; every other property is
    /// left for the provider, its byte range (name to value end) added to the list.
    /// </summary>
    /// <remarks>
    /// With <paramref name="lenient"/> (a slot the route's body type does not bind,
    /// <see cref="TracedLlmOptions.StrictMetadata"/> off) a recognised key of another JSON type is left out of
    /// the trace instead of refused: the app never read the field, so its value refuses nothing the app did not.
    /// </remarks>
    /// <exception cref="InvalidLlmRequestException">The slot or one of its known keys has the wrong JSON type (the
    /// gateway's slot only).</exception>
    internal static LlmMetadata Read(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> json,
        string slot,
        TracedLlmOptions options,
        List<(long Start, long End)>? providerKeys = null,
        bool lenient = false)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return Empty;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidLlmRequestException($"'{slot}' must be a JSON object, not {Describe(reader.TokenType)}.")
            {
                JsonPath = "$." + slot,
            };
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
            // A shared slot leaves every value not the gateway's to the provider; a lenient one drops a
            // recognised key of another type (any other key is observation metadata, whatever its type).
            if ((providerKeys is not null || lenient) && !IsGatewayValue(key, reader)
                && (providerKeys is not null || Array.IndexOf(RecognizedKeys, key) >= 0))
            {
                reader.Skip();
                providerKeys?.Add((nameStart, reader.BytesConsumed));
                continue;
            }

            metadata.IsPresent = true;
            switch (key)
            {
                case "generation_name":
                    metadata.GenerationName = ReadString(ref reader, slot, key);
                    break;
                case "trace_name":
                    metadata.TraceName = ReadString(ref reader, slot, key);
                    break;
                case "existing_trace_id":
                    metadata.ExistingTraceId = ReadString(ref reader, slot, key);
                    break;
                case "trace_id":
                    traceIdAlias = ReadString(ref reader, slot, key);
                    break;
                case "parent_observation_id":
                    metadata.ParentObservationId = ReadString(ref reader, slot, key);
                    break;
                case "session_id":
                    metadata.SessionId = ReadString(ref reader, slot, key);
                    break;
                case "trace_user_id":
                    metadata.UserId = ReadString(ref reader, slot, key);
                    break;
                case "user_id":
                    userIdAlias = ReadString(ref reader, slot, key);
                    break;
                case "tags":
                    metadata.Tags = metadata.ReadTags(ref reader, slot, key, limit);
                    break;
                case "trace_metadata":
                    metadata.TraceMetadata = metadata.ReadTraceMetadata(ref reader, slot, key, limit, redaction);
                    break;
                case "prompt":
                    metadata.ReadPrompt(ref reader, slot);
                    break;
                case "prompt_name":
                    metadata.PromptName ??= ReadString(ref reader, slot, key);
                    break;
                case "prompt_version":
                    metadata.PromptVersion ??= ReadInt(ref reader, slot, key);
                    break;
                case "version":
                    metadata.Version = ReadString(ref reader, slot, key);
                    break;
                case "release":
                    metadata.Release = ReadString(ref reader, slot, key);
                    break;
                case "environment":
                    metadata.Environment = ReadString(ref reader, slot, key);
                    break;
                case "mask_input":
                    metadata.MaskInput = ReadBool(ref reader, slot, key);
                    break;
                case "mask_output":
                    metadata.MaskOutput = ReadBool(ref reader, slot, key);
                    break;
                default:
                    extra ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    if (extra.Count >= limit && !extra.ContainsKey(key))
                    {
                        reader.Skip();
                        metadata.DroppedObservationEntries++;
                    }
                    else
                    {
                        extra[key] = redaction.IsSecretKey(key)
                            ? Redacted(ref reader)
                            : ValueAsText(ref reader, redaction);
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

        TelemetryText.Count(
            TelemetryText.Reasons.MetadataKeyLimit,
            metadata.DroppedTraceEntries + metadata.DroppedObservationEntries);

        return metadata;
    }

    /// <summary>
    /// True when <paramref name="key"/> is a key the gateway recognises with the JSON type it reads for it: what a
    /// shared slot takes.
    /// </summary>
    /// <remarks>
    /// The reader is on the value; it is read on a copy.
    /// </remarks>
    private static bool IsGatewayValue(string key, Utf8JsonReader value)
    {
        var token = value.TokenType;
        switch (key)
        {
            case "generation_name" or "trace_name" or "existing_trace_id" or "trace_id" or "parent_observation_id"
                or "session_id" or "trace_user_id" or "user_id" or "prompt_name" or "version" or "release"
                or "environment":
                return token is JsonTokenType.String or JsonTokenType.Null;
            case "mask_input" or "mask_output":
                return token is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null;
            case "prompt_version":
                return token == JsonTokenType.Null || (token == JsonTokenType.Number && value.TryGetInt32(out _));
            case "trace_metadata":
                return token is JsonTokenType.StartObject or JsonTokenType.Null;
            case "prompt":
                return token == JsonTokenType.Null || (token == JsonTokenType.StartObject && IsPromptReference(value));
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

    /// <summary>
    /// True when a prompt object's <c>name</c> and <c>version</c>, where present, have the types the gateway reads.
    /// </summary>
    /// <remarks>The reader is a copy, on the object's start.</remarks>
    private static bool IsPromptReference(Utf8JsonReader value)
    {
        while (value.Read() && value.TokenType == JsonTokenType.PropertyName)
        {
            var name = value.ValueTextEquals("name"u8);
            var version = !name && value.ValueTextEquals("version"u8);
            value.Read();
            var integer = value.TokenType == JsonTokenType.Null
                || (value.TokenType == JsonTokenType.Number && value.TryGetInt32(out _));
            if ((name && value.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) || (version && !integer))
            {
                return false;
            }

            value.Skip();
        }

        return true;
    }
}
