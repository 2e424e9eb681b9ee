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
    /// metadata, which it computes once for the request's other spans (<see cref="LlmCall.TraceTags"/>).
    /// </summary>
    public static void AddServerAttributes(Activity span, LlmCall call, in TraceJoin join, string? defaultEnvironment)
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
        var trace = BuildTraceTags(metadata, join.TraceIdSeed, defaultEnvironment);
        call.SetTraceTags(trace);
        AddTraceTags(tags, trace);
    }

    /// <summary>Appends the request's trace-level attributes (<see cref="LlmCall.TraceTags"/>), computed once, to one of its spans.</summary>
    public static void AddTraceTags(in FirstTags tags, KeyValuePair<string, object?>[]? trace)
    {
        if (trace is null)
        {
            return;
        }

        foreach (var (key, value) in trace)
        {
            tags.Add(key, value);
        }
    }

    /// <summary>
    /// The trace-level attributes Langfuse reads from every observation (its v4 data model keeps
    /// them per observation, as its own SDKs' span processor does): name, user, session, tags,
    /// trace metadata, release, version, environment, and the trace id's seed. Built once per
    /// request; null when there are none.
    /// </summary>
    internal static KeyValuePair<string, object?>[]? BuildTraceTags(LlmMetadata metadata, string? traceIdSeed, string? defaultEnvironment)
    {
        if (!metadata.IsPresent)
        {
            return DefaultEnvironmentTags(defaultEnvironment);
        }

        var environment = metadata.Environment ?? defaultEnvironment;
        var traceTags = metadata.Tags is string[] { Length: > 0 } list ? list : null;
        var count = Count(environment) + Count(metadata.TraceName) + Count(metadata.UserId) + Count(metadata.SessionId)
            + Count(traceTags) + metadata.TraceMetadata.Count + Count(metadata.Release) + Count(metadata.Version) + Count(traceIdSeed);
        if (count == 0)
        {
            return null;
        }

        var trace = new KeyValuePair<string, object?>[count];
        var i = 0;
        Put(trace, ref i, AttributeNames.LangfuseEnvironment, environment);
        Put(trace, ref i, AttributeNames.LangfuseTraceName, metadata.TraceName);
        Put(trace, ref i, AttributeNames.LangfuseUserId, metadata.UserId);
        Put(trace, ref i, AttributeNames.LangfuseSessionId, metadata.SessionId);
        Put(trace, ref i, AttributeNames.LangfuseTraceTags, traceTags);
        Put(trace, ref i, AttributeNames.LangfuseRelease, metadata.Release);
        Put(trace, ref i, AttributeNames.LangfuseVersion, metadata.Version);
        Put(trace, ref i, AttributeNames.LangfuseTraceSeed, traceIdSeed);

        // Counted first: enumerating the interface boxes an enumerator even when it is empty.
        if (metadata.TraceMetadata.Count > 0)
        {
            foreach (var (key, value) in metadata.TraceMetadata)
            {
                var name = AttributeNames.LangfuseTraceMetadataPrefix + key;
                if (traceIdSeed is null || name != AttributeNames.LangfuseTraceSeed)
                {
                    Put(trace, ref i, name, value);
                }
            }
        }

        // A client's trace_metadata.trace_seed gives way to the seed the gateway really used.
        return i == trace.Length ? trace : trace[..i];

        static int Count(object? value) => value is null ? 0 : 1;

        static void Put(KeyValuePair<string, object?>[] trace, ref int i, string key, object? value)
        {
            if (value is not null)
            {
                trace[i++] = new(key, value);
            }
        }
    }

    private static KeyValuePair<string, object?>[]? _defaultEnvironmentTags;

    /// <summary>The default environment alone, shared by every request without metadata (no allocation per request).</summary>
    private static KeyValuePair<string, object?>[]? DefaultEnvironmentTags(string? environment)
    {
        if (environment is null)
        {
            return null;
        }

        var cached = _defaultEnvironmentTags;
        if (cached is not null && (string?)cached[0].Value == environment)
        {
            return cached;
        }

        cached = new[] { new KeyValuePair<string, object?>(AttributeNames.LangfuseEnvironment, environment) };
        _defaultEnvironmentTags = cached;
        return cached;
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

        AddTraceTags(tags, call.TraceTags);
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
