using System;
using System.Diagnostics;
using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>Writes the contract's attributes. Callers check <see cref="Activity.IsAllDataRequested"/> first, so nothing is built for a span that is not recorded.</summary>
internal static class SpanAttributes
{
    /// <summary>The server span's attributes: the route, how its trace was joined, and the trace-level metadata.</summary>
    public static void AddServerAttributes(Activity span, LlmCall call, TraceJoinSource join, string? defaultEnvironment)
    {
        var tags = new FirstTags(span);
        var route = call.Route;
        tags.Add(AttributeNames.HttpRequestMethod, route.HttpMethod);
        tags.Add(AttributeNames.HttpRoute, route.Pattern);
        tags.Add(AttributeNames.MetadataSlot, route.MetadataSlot);
        tags.Add(AttributeNames.TraceJoin, join switch
        {
            TraceJoinSource.Metadata => "metadata",
            TraceJoinSource.TraceParent => "traceparent",
            _ => "none",
        });

        var metadata = call.Metadata;
        tags.Add(AttributeNames.LangfuseEnvironment, metadata.Environment ?? defaultEnvironment);
        if (!metadata.IsPresent)
        {
            return;
        }

        tags.Add(AttributeNames.LangfuseTraceName, metadata.TraceName);
        if (metadata.UserId is { } user)
        {
            tags.Add(AttributeNames.LangfuseUserId, user);
            tags.Add(AttributeNames.UserId, user);
        }

        if (metadata.SessionId is { } session)
        {
            tags.Add(AttributeNames.LangfuseSessionId, session);
            tags.Add(AttributeNames.SessionId, session);
        }

        if (metadata.Tags is string[] { Length: > 0 } traceTags)
        {
            tags.Add(AttributeNames.LangfuseTraceTags, traceTags);
        }

        // Counted first: enumerating the interface boxes an enumerator even when it is empty.
        if (metadata.TraceMetadata.Count > 0)
        {
            foreach (var (key, value) in metadata.TraceMetadata)
            {
                tags.Add(AttributeNames.LangfuseTraceMetadataPrefix + key, value);
            }
        }

        tags.Add(AttributeNames.LangfuseRelease, metadata.Release);
        tags.Add(AttributeNames.LangfuseVersion, metadata.Version);
    }

    public static void AddLlmRequestAttributes(Activity span, LlmCall call)
    {
        var tags = new FirstTags(span);
        var parameters = call.Parameters;
        tags.Add(AttributeNames.GenAiOperationName, call.Route.Operation);
        tags.Add(AttributeNames.LangfuseObservationType, "generation");
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

        if (call.Gateway.Options.CaptureMessageContent && !metadata.MaskInput)
        {
            tags.Add(AttributeNames.LangfuseObservationInput, Content(call.UpstreamBody.Span, call.Gateway.Options.MaxContentLength));
        }
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
