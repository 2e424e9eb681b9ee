using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>Writes the contract's attributes. Callers check <see cref="Activity.IsAllDataRequested"/> first, so nothing is built for a span that is not recorded.</summary>
internal static class SpanAttributes
{
    /// <summary>
    /// The server span's attributes: the route, how its trace was joined, and the trace-level
    /// metadata, which it prepares once for the request's other spans (<see cref="AddTraceTags"/>).
    /// </summary>
    public static void AddServerAttributes(Activity span, LlmCall call, in TraceJoin join)
    {
        var tags = new FirstTags(span);
        var route = call.Route;
        tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
        tags.Add(AttributeNames.HttpRequestMethod, route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, route.MetadataSlot);
        tags.Add(AttributeNames.TraceJoin, join.Source switch
        {
            TraceJoinSource.Metadata => "metadata",
            TraceJoinSource.TraceParent => "traceparent",
            _ => "none",
        });

        // The OpenTelemetry keys for user and session on the root; Langfuse reads its own on every span.
        var metadata = call.Metadata;
        tags.Add(AttributeNames.UserId, metadata.UserId);
        tags.Add(AttributeNames.SessionId, metadata.SessionId);
        var seeded = join.TraceIdSeed is not null;
        call.SetTraceTags(seeded, TraceMetadataTags(metadata, seeded));
        WriteTraceTags(tags, call);
    }

    /// <summary>
    /// Appends the request's trace-level attributes to one of its spans, once the caller is
    /// authenticated (nothing before): the typed metadata's fields as read once, and the
    /// <c>trace_metadata</c> attributes built once by the server span.
    /// </summary>
    public static void AddTraceTags(in FirstTags tags, LlmCall call)
    {
        if (call.HasTraceTags)
        {
            WriteTraceTags(tags, call);
        }
    }

    /// <summary>
    /// The trace-level attributes Langfuse reads from every observation (its v4 data model keeps
    /// them per observation, as its own SDKs' span processor does): environment, name, user,
    /// session, tags, release, version, the trace id's seed and the trace metadata.
    /// </summary>
    private static void WriteTraceTags(in FirstTags tags, LlmCall call)
    {
        var metadata = call.Metadata;
        tags.Add(AttributeNames.LangfuseEnvironment, metadata.Environment ?? call.Gateway.Options.DefaultEnvironment);
        if (!metadata.IsPresent)
        {
            return;
        }

        tags.Add(AttributeNames.LangfuseTraceName, metadata.TraceName);
        tags.Add(AttributeNames.LangfuseUserId, metadata.UserId);
        tags.Add(AttributeNames.LangfuseSessionId, metadata.SessionId);
        if (metadata.Tags is string[] { Length: > 0 } traceTags)
        {
            tags.Add(AttributeNames.LangfuseTraceTags, traceTags);
        }

        tags.Add(AttributeNames.LangfuseRelease, metadata.Release);
        tags.Add(AttributeNames.LangfuseVersion, metadata.Version);
        if (call.TraceIdSeeded)
        {
            tags.Add(AttributeNames.LangfuseTraceSeed, metadata.ExistingTraceId);
        }

        if (call.TraceMetadataTags is { } traceMetadata)
        {
            foreach (var (key, value) in traceMetadata)
            {
                tags.Add(key, value);
            }
        }
    }

    /// <summary>
    /// The <c>trace_metadata</c> entries as attributes, keys prefixed once for all the request's
    /// spans; null when there are none. A client's <c>trace_seed</c> gives way to the seed the
    /// gateway really used.
    /// </summary>
    private static KeyValuePair<string, object?>[]? TraceMetadataTags(LlmMetadata metadata, bool seeded)
    {
        // Counted first: enumerating the interface boxes an enumerator even when it is empty.
        if (metadata.TraceMetadata.Count == 0)
        {
            return null;
        }

        var entries = new List<KeyValuePair<string, object?>>(metadata.TraceMetadata.Count);
        foreach (var (key, value) in metadata.TraceMetadata)
        {
            var name = AttributeNames.LangfuseTraceMetadataPrefix + key;
            if (!seeded || name != AttributeNames.LangfuseTraceSeed)
            {
                entries.Add(new(name, value));
            }
        }

        return entries.Count == 0 ? null : entries.ToArray();
    }

    /// <summary>The LLM span's request attributes and the request's trace-level ones; returns the captured input content, if any.</summary>
    public static string? AddLlmRequestAttributes(Activity span, LlmCall call)
    {
        var tags = new FirstTags(span);
        var parameters = call.Parameters;
        tags.Add(AttributeNames.GenAiOperationName, call.Route.Operation);

        // The one generation of the request: usage, model and prompt link are read from this span only.
        tags.Add(AttributeNames.LangfuseObservationType, call.Route.Operation == "embeddings" ? LangfuseObservationTypes.Embedding : LangfuseObservationTypes.Generation);
        if (parameters.Model is { } model)
        {
            tags.Add(AttributeNames.GenAiRequestModel, model);
            tags.Add(AttributeNames.LangfuseObservationModelName, model);
        }

        if (parameters.Temperature is { } temperature)
        {
            tags.Add(AttributeNames.GenAiRequestTemperature, temperature);
        }

        if (parameters.TopP is { } topP)
        {
            tags.Add(AttributeNames.GenAiRequestTopP, topP);
        }

        if (parameters.MaxTokens is { } maxTokens)
        {
            tags.Add(AttributeNames.GenAiRequestMaxTokens, maxTokens);
        }

        var metadata = call.Metadata;
        tags.Add(AttributeNames.LangfusePromptName, metadata.PromptName);
        if (metadata.PromptVersion is { } version)
        {
            tags.Add(AttributeNames.LangfusePromptVersion, version);
        }

        if (metadata.ObservationMetadata.Count > 0)
        {
            foreach (var (key, value) in metadata.ObservationMetadata)
            {
                tags.Add(AttributeNames.LangfuseObservationMetadataPrefix + key, value);
            }
        }

        AddTraceTags(tags, call);
        if (call.Gateway.Options.CaptureMessageContent && !metadata.MaskInput)
        {
            var input = Content(call.UpstreamBody.Span, call.Gateway.Options.MaxContentLength);
            tags.Add(AttributeNames.LangfuseObservationInput, input);
            return input;
        }

        return null;
    }

    /// <summary>UTF-8 JSON as text, cut at <paramref name="maxLength"/> characters with a visible marker.</summary>
    public static string Content(ReadOnlySpan<byte> json, int maxLength)
    {
        var text = Encoding.UTF8.GetString(json);
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength), "…[truncated]");
    }

    public static void AddGuardrailAttributes(Activity span, string name, GuardrailMode mode, string status, string? response)
    {
        var tags = new FirstTags(span);
        tags.Add(AttributeNames.OpenInferenceSpanKind, "GUARDRAIL");
        tags.Add(AttributeNames.GuardrailName, name);
        tags.Add(AttributeNames.GuardrailMode, GuardrailRunner.ModeName(mode));
        tags.Add(AttributeNames.GuardrailStatus, status);
        tags.Add(AttributeNames.GuardrailResponse, response);
    }
}

/// <summary>
/// Writes a span's first attributes, whose keys are distinct: on a span nobody has tagged yet
/// they are appended, which spares <see cref="Activity.SetTag"/>'s search of the span's tags for
/// each key. A span that already has tags (a sampler's attributes, a listener's enrichment) gets
/// <see cref="Activity.SetTag"/>, so no key is ever recorded twice. Null values are left out.
/// </summary>
internal readonly struct FirstTags
{
    private readonly Activity _span;
    private readonly bool _untagged;

    public FirstTags(Activity span)
    {
        _span = span;
        _untagged = true;
        foreach (var _ in span.EnumerateTagObjects())
        {
            _untagged = false;
            break;
        }
    }

    public void Add(string key, object? value)
    {
        if (value is null)
        {
            return;
        }

        if (_untagged)
        {
            _span.AddTag(key, value);
        }
        else
        {
            _span.SetTag(key, value);
        }
    }
}
