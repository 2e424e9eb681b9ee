using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// What the LLM stage adds in the <see cref="SemanticConventionMode.GenAiLatestExperimental"/> mode: the
/// operation-and-model span name, the 1.41 request attributes and the structured output messages.
/// </summary>
public static partial class LlmStage
{
    /// <summary>
    /// True when a streamed answer's text is kept for <c>gen_ai.output.messages</c>
    /// (<see cref="SemanticConventionMode.GenAiLatestExperimental"/> and <see cref="CapturesOutput"/>).
    /// </summary>
    internal static bool CapturesStructuredOutput(LlmCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental
            && CapturesOutput(call);
    }

    /// <summary>
    /// Records a streamed answer's text (a relay's text deltas, in order) and finish reasons as
    /// <c>gen_ai.output.messages</c>, when <see cref="CapturesStructuredOutput"/>.
    /// </summary>
    internal static void RecordStreamedOutput(
        LlmCall call, string text, System.Collections.Generic.IReadOnlyList<string>? finishReasons)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(text);
        if (CapturesStructuredOutput(call))
        {
            SetStructured(
                call,
                AttributeNames.GenAiOutputMessages,
                GenAiMessages.FromStreamedText(
                    text,
                    finishReasons is { Count: > 0 } ? finishReasons[^1] : null,
                    call.Gateway.Options.MaxContentLength));

            // Langfuse takes a generation's input and output from its own keys before the conventions'
            // messages, and the input is set there: without the output beside it, a streamed generation
            // (and its trace) would show none. The same bounded text, not charged again.
            if (call.Span!.GetTagItem(AttributeNames.GenAiOutputMessages) is string output)
            {
                call.Span.SetTag(AttributeNames.LangfuseObservationOutput, output);
                if (call.ServerSpan is { IsAllDataRequested: true } server)
                {
                    server.SetTag(AttributeNames.LangfuseObservationOutput, output);
                }
            }
        }
    }

    /// <summary>
    /// Starts keeping a handler's streamed text for <c>gen_ai.output.messages</c>, when
    /// <see cref="CapturesStructuredOutput"/>.
    /// </summary>
    internal static StreamedOutput? StartStreamedOutput(LlmCall call) =>
        CapturesStructuredOutput(call) ? new StreamedOutput(call.Gateway.Options.MaxContentLength) : null;

    private static void SetStructured(LlmCall call, string key, string? json)
    {
        var dropped = 0;
        if (json is not null
            && TelemetryText.ForSpan(call, key, json, call.Gateway.Options.MaxContentLength, ref dropped)
                is { } bounded)
        {
            call.Span!.SetTag(key, bounded);
        }
    }

    /// <summary>
    /// The 1.41 conventions' LLM span name, <c>{gen_ai.operation.name} {gen_ai.request.model}</c>: the model bounded
    /// like any client value (redacted, at most <see cref="TelemetryLimits.MaxSpanNameLength"/> characters in all).
    /// </summary>
    /// <remarks>
    /// The operation alone when the request names no model (or the budget is spent).
    /// </remarks>
    internal static string OperationSpanName(LlmCall call)
    {
        var operation = call.Route.Operation;
        if (call.Parameters.Model is not { } model)
        {
            return operation;
        }

        var dropped = 0;
        var room = Math.Min(TelemetryLimits.MaxSpanNameLength, call.Gateway.Options.Limits.MaxAttributeValueLength)
            - operation.Length
            - 1;
        return room > 0 && TelemetryText.ForSpan(call, "name", model, room, ref dropped) is { } bounded
            ? string.Concat(operation, " ", bounded)
            : operation;
    }

    /// <summary>The 1.41 request attributes.</summary>
    /// <remarks>
    /// <c>gen_ai.request.stream</c>, the structured <c>gen_ai.system_instructions</c> and <c>gen_ai.input.messages</c>
    /// when the input is captured (bounded as the captured input is: redacted, at most
    /// <see cref="TracedLlmOptions.MaxContentLength"/>, charged to the budget), and <c>gen_ai.conversation.id</c> from
    /// the session id the server span bounded (a trusted caller's only: <see cref="LlmCall.TraceTags"/>).
    /// </remarks>
    private static void AddLatestRequestAttributes(ref FirstTags tags, LlmCall call)
    {
        // Set if and only if the request streams: unset means not streaming (1.41 spans.yaml).
        if (call.IsStreaming)
        {
            tags.Add(AttributeNames.GenAiRequestStream, BoxedTrue);
        }

        var options = call.Gateway.Options;
        if (options.CaptureMessageContent && !call.Metadata.MaskInput && call.Route.Operation != "embeddings")
        {
            var (system, input) = GenAiMessages.FromRequest(call.UpstreamBody.Span, options.MaxContentLength);
            var dropped = 0;
            if (system is not null)
            {
                tags.Add(
                    AttributeNames.GenAiSystemInstructions,
                    TelemetryText.ForSpan(
                        call, AttributeNames.GenAiSystemInstructions, system, options.MaxContentLength, ref dropped));
            }

            if (input is not null)
            {
                tags.Add(
                    AttributeNames.GenAiInputMessages,
                    TelemetryText.ForSpan(
                        call, AttributeNames.GenAiInputMessages, input, options.MaxContentLength, ref dropped));
            }
        }

        foreach (var (key, value) in call.TraceTags)
        {
            if (key == AttributeNames.LangfuseSessionId)
            {
                tags.Add(AttributeNames.GenAiConversationId, value);
                break;
            }
        }
    }

    private static readonly object BoxedTrue = true;
}
