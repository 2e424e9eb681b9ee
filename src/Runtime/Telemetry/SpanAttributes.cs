using System;
using System.Diagnostics;
using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>Writes the contract's attributes. Callers check <see cref="Activity.IsAllDataRequested"/> first, so nothing is built for a span that is not recorded.</summary>
internal static class SpanAttributes
{
    public static void AddTraceAttributes(Activity span, LlmMetadata metadata, string? defaultEnvironment)
    {
        SetIfNotNull(span, AttributeNames.LangfuseEnvironment, metadata.Environment ?? defaultEnvironment);
        if (!metadata.IsPresent)
        {
            return;
        }

        SetIfNotNull(span, AttributeNames.LangfuseTraceName, metadata.TraceName);
        if (metadata.UserId is { } user)
        {
            span.SetTag(AttributeNames.LangfuseUserId, user);
            span.SetTag(AttributeNames.UserId, user);
        }

        if (metadata.SessionId is { } session)
        {
            span.SetTag(AttributeNames.LangfuseSessionId, session);
            span.SetTag(AttributeNames.SessionId, session);
        }

        if (metadata.Tags is string[] { Length: > 0 } tags)
        {
            span.SetTag(AttributeNames.LangfuseTraceTags, tags);
        }

        // Counted first: enumerating the interface boxes an enumerator even when it is empty.
        if (metadata.TraceMetadata.Count > 0)
        {
            foreach (var (key, value) in metadata.TraceMetadata)
            {
                span.SetTag(AttributeNames.LangfuseTraceMetadataPrefix + key, value);
            }
        }

        SetIfNotNull(span, AttributeNames.LangfuseRelease, metadata.Release);
        SetIfNotNull(span, AttributeNames.LangfuseVersion, metadata.Version);
    }

    public static void AddLlmRequestAttributes(Activity span, LlmCall call)
    {
        var parameters = call.Parameters;
        span.SetTag(AttributeNames.GenAiOperationName, call.Route.Operation);
        span.SetTag(AttributeNames.LangfuseObservationType, "generation");
        if (parameters.Model is { } model)
        {
            span.SetTag(AttributeNames.GenAiRequestModel, model);
            span.SetTag(AttributeNames.LangfuseObservationModelName, model);
        }

        if (parameters.Temperature is { } temperature)
        {
            span.SetTag(AttributeNames.GenAiRequestTemperature, temperature);
        }

        if (parameters.TopP is { } topP)
        {
            span.SetTag(AttributeNames.GenAiRequestTopP, topP);
        }

        if (parameters.MaxTokens is { } maxTokens)
        {
            span.SetTag(AttributeNames.GenAiRequestMaxTokens, maxTokens);
        }

        var metadata = call.Metadata;
        SetIfNotNull(span, AttributeNames.LangfusePromptName, metadata.PromptName);
        if (metadata.PromptVersion is { } version)
        {
            span.SetTag(AttributeNames.LangfusePromptVersion, version);
        }

        if (metadata.ObservationMetadata.Count > 0)
        {
            foreach (var (key, value) in metadata.ObservationMetadata)
            {
                span.SetTag(AttributeNames.LangfuseObservationMetadataPrefix + key, value);
            }
        }

        if (call.Gateway.Options.CaptureMessageContent && !metadata.MaskInput)
        {
            span.SetTag(AttributeNames.LangfuseObservationInput, Content(call.UpstreamBody.Span, call.Gateway.Options.MaxContentLength));
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
        span.SetTag(AttributeNames.OpenInferenceSpanKind, "GUARDRAIL");
        span.SetTag(AttributeNames.GuardrailName, name);
        span.SetTag(AttributeNames.GuardrailMode, GuardrailRunner.ModeName(mode));
        span.SetTag(AttributeNames.GuardrailStatus, status);
        SetIfNotNull(span, AttributeNames.GuardrailResponse, response);
    }

    private static void SetIfNotNull(Activity span, string key, string? value)
    {
        if (value is not null)
        {
            span.SetTag(key, value);
        }
    }
}
