using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// The LLM span (<c>litellm_request</c>, or the metadata's <c>generation_name</c>): the request's one
/// generation, with its GenAI request attributes and, when captured, its input and output. The
/// guardrails run under it in their three modes (each its own span, <see cref="GuardrailRunner"/>),
/// and so do the handler's upstream attempts (<see cref="LlmAttempt"/>). For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class LlmStage
{
    /// <summary>
    /// Starts the LLM span (named by metadata <c>generation_name</c>) under the server span, with its
    /// GenAI request attributes; captured input content goes on the server span too (Langfuse's trace input).
    /// </summary>
    public static Activity? StartSpan(LlmCall call, Activity? server)
    {
        var llm = server is null ? null : Spans.StartChild(SpanName(call), ActivityKind.Client, server);
        call.Span = llm;
        if (llm is { IsAllDataRequested: true }
            && AddRequestAttributes(llm, call) is { } input
            && server is { IsAllDataRequested: true })
        {
            server.SetTag(AttributeNames.LangfuseObservationInput, input);
        }

        return llm;
    }

    /// <summary>
    /// Records an MVC action's result as <see cref="RecordOutput{T}"/> records a typed one, with the type info MVC
    /// writes it with.
    /// </summary>
    internal static void RecordOutput(LlmCall call, object result, JsonTypeInfo typeInfo)
    {
        if (CapturesOutput(call))
        {
            SetOutput(call, JsonSerializer.SerializeToUtf8Bytes(result, typeInfo));
        }
    }

    /// <summary>
    /// Records the result as the LLM span's output, and the server span's (Langfuse's trace output), when content
    /// capture is on (and the request did not ask for <c>mask_output</c>).
    /// </summary>
    /// <remarks>
    /// The serialized bytes are kept for the response.
    /// </remarks>
    public static void RecordOutput<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        if (CapturesOutput(call))
        {
            call.SerializedResult = JsonSerializer.SerializeToUtf8Bytes(result, typeInfo);
            SetOutput(call, call.SerializedResult);
        }
    }

    /// <summary>
    /// True when the response's content is recorded (content capture on, <c>mask_output</c> not
    /// asked, the LLM span recorded): a relay (TracedLlm.ReverseProxy) keeps the response's bytes for
    /// <see cref="RecordOutputContent"/> only then.
    /// </summary>
    internal static bool CapturesOutput(LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Gateway.Options.CaptureMessageContent
            && !call.Metadata.MaskOutput
            && call.Span is { IsAllDataRequested: true };
    }

    /// <summary>
    /// Records a relayed response's body (UTF-8 JSON, as the upstream sent it) as the output, as
    /// <see cref="RecordOutput{T}"/> records a typed result.
    /// </summary>
    internal static void RecordOutputContent(LlmCall call, ReadOnlySpan<byte> utf8)
    {
        if (CapturesOutput(call))
        {
            SetOutput(call, utf8);
        }
    }

    private static void SetOutput(LlmCall call, ReadOnlySpan<byte> utf8)
    {
        if (call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental)
        {
            SetStructured(
                call,
                AttributeNames.GenAiOutputMessages,
                GenAiMessages.FromResponse(utf8, call.Gateway.Options.MaxContentLength));
        }

        var output = Content(call, AttributeNames.LangfuseObservationOutput, utf8);
        call.Span!.SetTag(AttributeNames.LangfuseObservationOutput, output);
        if (call.ServerSpan is { IsAllDataRequested: true } server)
        {
            server.SetTag(AttributeNames.LangfuseObservationOutput, output);
        }
    }

    /// <summary>Ends the LLM span and makes the server span current again; returns null.</summary>
    public static Activity? EndSpan(Activity? llm, Activity? server) => Spans.End(llm, server);

    /// <summary>
    /// The LLM span's name: metadata <c>generation_name</c> (redacted, at most
    /// <see cref="TelemetryLimits.MaxSpanNameLength"/> characters), else <c>litellm_request</c>.
    /// </summary>
    /// <remarks>
    /// Also <c>litellm_request</c> when the name equals or imitates a span name of the contract
    /// (<see cref="ReservedSpanNames"/>), which the span's attributes then record as an event.
    /// </remarks>
    internal static string SpanName(LlmCall call)
    {
        if (call.Metadata.GenerationName is not { } name)
        {
            return call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental
                ? OperationSpanName(call)
                : SpanNames.LlmRequest;
        }

        var dropped = 0;
        var limit = Math.Min(TelemetryLimits.MaxSpanNameLength, call.Gateway.Options.Limits.MaxAttributeValueLength);
        if (TelemetryText.ForSpan(call, "name", name, limit, ref dropped) is not { } bounded)
        {
            return SpanNames.LlmRequest;
        }

        return ReservedSpanNames.Imitated(bounded) is null ? bounded : SpanNames.LlmRequest;
    }

    /// <summary>
    /// The LLM span's request attributes and the request's trace-level ones; returns the captured input content, if
    /// any.
    /// </summary>
    private static string? AddRequestAttributes(Activity span, LlmCall call)
    {
        var tags = new FirstTags(span, call);
        var parameters = call.Parameters;
        tags.Add(AttributeNames.GenAiOperationName, call.Route.Operation);

        // The one generation of the request: usage, model and prompt link are read from this span only.
        tags.Add(
            AttributeNames.LangfuseObservationType,
            call.Route.Operation == "embeddings"
                ? LangfuseObservationTypes.Embedding
                : LangfuseObservationTypes.Generation);
        if (parameters.Model is { } model && tags.Bound(AttributeNames.GenAiRequestModel, model) is { } boundModel)
        {
            tags.Add(AttributeNames.GenAiRequestModel, boundModel);
            tags.Add(AttributeNames.LangfuseObservationModelName, boundModel);
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

        if (parameters.ServiceTier is { } serviceTier)
        {
            tags.Add(AttributeNames.GenAiRequestServiceTier, serviceTier);
        }

        var metadata = call.Metadata;
        if (metadata.PromptName is { Length: > 0 } && metadata.PromptVersion is >= 1)
        {
            tags.AddClient(AttributeNames.LangfusePromptName, metadata.PromptName);
            tags.Add(AttributeNames.LangfusePromptVersion, metadata.PromptVersion.Value);
        }
        else
        {
            // Langfuse links a prompt by its name and version together (versions start at 1): one alone
            // links nothing, and its ingestion's older write refuses the generation whole, usage and cost
            // with it. What came is kept as the generation's metadata instead.
            if (metadata.PromptName is { Length: > 0 } name)
            {
                tags.AddClient(AttributeNames.LangfuseObservationMetadataPrefix + "prompt_name", name);
            }

            if (metadata.PromptVersion is { } version)
            {
                tags.Add(AttributeNames.LangfuseObservationMetadataPrefix + "prompt_version", version);
            }
        }

        string? input = null;
        if (call.Gateway.Options.CaptureMessageContent && !metadata.MaskInput)
        {
            input = Content(call, AttributeNames.LangfuseObservationInput, call.UpstreamBody.Span);
            tags.Add(AttributeNames.LangfuseObservationInput, input);
        }

        tags.AddTraceTags(call);
        if (call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental)
        {
            AddLatestRequestAttributes(ref tags, call);
        }

        if (metadata.ObservationMetadata.Count > 0)
        {
            var names = new UniqueClientKeys(metadata.ObservationMetadata);
            foreach (var (key, value) in metadata.ObservationMetadata)
            {
                tags.AddClient(AttributeNames.LangfuseObservationMetadataPrefix, key, value, ref names);
            }
        }

        tags.Complete(metadata.DroppedObservationEntries);

        // The span kept its contract name because the client's imitated it (SpanName): say so.
        if (metadata.GenerationName is { } generationName
            && span.DisplayName == SpanNames.LlmRequest
            && ReservedSpanNames.Imitated(generationName) is { } imitated)
        {
            ReservedSpanNames.AddEvent(span, call.Gateway.Options.Limits.MaxEventsPerSpan, "generation_name", imitated);
        }

        return input;
    }

    /// <summary>
    /// Captured UTF-8 JSON content as text: redacted, cut at <see cref="TracedLlmOptions.MaxContentLength"/>
    /// characters with a visible marker, and charged to the request's budget (null once it is spent).
    /// </summary>
    private static string? Content(LlmCall call, string key, ReadOnlySpan<byte> json)
    {
        var dropped = 0;
        var options = call.Gateway.Options;

        // Decoded no further than can be kept (and scanned for a credential crossing the cut).
        var kept = (options.MaxContentLength + 1024) * 4;
        var decoded = Encoding.UTF8.GetString(json.Length > kept ? json[..kept] : json);
        return TelemetryText.ForSpan(call, key, decoded, options.MaxContentLength, ref dropped);
    }
}
