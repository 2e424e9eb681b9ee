using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using TracedLlm.Telemetry;

namespace TracedLlm;

// GuardrailRunner: what a guardrail's run leaves in the trace, its span ended with the verdict, a failure or a block
// (recorded where the guardrail ran, or on the failure path), and the evaluation event.
internal static partial class GuardrailRunner
{
    /// <summary>The guardrail answered: allowed, or blocked with its reason.</summary>
    private static GuardrailBlockedException? Answered(
        LlmCall call,
        Activity? span,
        Activity? parent,
        ILlmGuardrail guardrail,
        GuardrailMode mode,
        GuardrailVerdict verdict)
    {
        if (!verdict.Blocked)
        {
            Record(call, span, parent, guardrail.Name, mode, GuardrailStatuses.Success, reason: null);
            return null;
        }

        return Blocked(
            call,
            span,
            parent,
            guardrail.Name,
            mode,
            new GuardrailBlockedException(guardrail.Name, verdict.Reason ?? $"Blocked by guardrail '{guardrail.Name}'.")
        );
    }

    /// <summary>
    /// The guardrail threw: a thrown block is its block; anything else is recorded and fails the request.
    /// </summary>
    private static GuardrailBlockedException Failed(
        LlmCall call,
        Activity? span,
        Activity? parent,
        ILlmGuardrail guardrail,
        GuardrailMode mode,
        Exception exception)
    {
        if (exception is GuardrailBlockedException thrown)
        {
            return Blocked(call, span, parent, guardrail.Name, mode, thrown);
        }

        if (span is not null)
        {
            TelemetryText.AddException(span, exception, call);
        }

        Record(
            call,
            span,
            parent,
            guardrail.Name,
            mode,
            GuardrailStatuses.FailedToRespond,
            reason: null,
            errorType: exception.GetType().FullName);
        ExceptionDispatchInfo.Throw(exception);
        return null!;
    }

    private static GuardrailBlockedException Blocked(
        LlmCall call,
        Activity? span,
        Activity? parent,
        string name,
        GuardrailMode mode,
        GuardrailBlockedException block)
    {
        block.SpanRecorded = span is not null;
        Record(call, span, parent, name, mode, GuardrailStatuses.Intervened, block.Message);
        return block;
    }

    /// <summary>
    /// Records the guardrail span of a block thrown outside a registered guardrail (by a handler, say).
    /// </summary>
    internal static void RecordUnspannedBlock(LlmCall call, GuardrailBlockedException block, Activity? parent) =>
        Blocked(
            call,
            Spans.StartChild(
                call,
                SpanNames.Guardrail,
                ActivityKind.Internal,
                parent,
                LangfuseObservationTypes.Guardrail),
            parent,
            block.GuardrailName,
            GuardrailMode.None,
            block);

    /// <summary>The one place a guardrail span gets its attributes, its status, and its end.</summary>
    private static void Record(
        LlmCall call,
        Activity? span,
        Activity? parent,
        string name,
        GuardrailMode mode,
        string status,
        string? reason,
        string? errorType = null)
    {
        if (span is null)
        {
            return;
        }

        // A guardrail's reason may quote what it judged (the prompt, a key it found): the span gets it
        // redacted and bounded, as the failure path gives the client and the other spans the same text.
        var options = call.Gateway.Options;
        reason = reason is null
            ? null
            : TelemetryText.Bound(reason, options.Limits.MaxAttributeValueLength, options.Redaction);
        if (span.IsAllDataRequested)
        {
            var tags = new FirstTags(span, call);
            tags.Add(AttributeNames.OpenInferenceSpanKind, "GUARDRAIL");
            tags.Add(AttributeNames.GuardrailName, name);
            tags.Add(AttributeNames.GuardrailMode, ModeName(mode));
            tags.Add(AttributeNames.GuardrailStatus, status);
            tags.Add(AttributeNames.GuardrailResponse, reason);

            // Langfuse maps none of them: mirrored where its observation metadata filters can read them.
            tags.Add(AttributeNames.LangfuseMetadataGuardrailName, name);
            tags.Add(AttributeNames.LangfuseMetadataGuardrailStatus, status);
        }

        // The 1.41 conventions' evaluation result, beside the guardrail span: an event on the span the guardrail
        // judged.
        if (call.Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental
            && parent is { IsAllDataRequested: true }
            && TelemetryText.HasRoomForEvent(parent, call.Gateway.Options.Limits.MaxEventsPerSpan))
        {
            parent.AddEvent(
                new ActivityEvent(
                    AttributeNames.GenAiEvaluationResultEvent,
                    tags: new ActivityTagsCollection
                    {
                        [AttributeNames.GenAiEvaluationName] = name,
                        [AttributeNames.GenAiEvaluationScoreLabel] = status switch
                        {
                            GuardrailStatuses.Success => EvaluationLabels.Pass,
                            GuardrailStatuses.Intervened => EvaluationLabels.Fail,
                            _ => EvaluationLabels.Error,
                        },
                        [AttributeNames.GuardrailMode] = ModeName(mode),

                // 1.41 events.yaml: conditionally required when the evaluation ended in an error.
                [AttributeNames.ErrorType] = errorType,
            }));
        }

        if (status != GuardrailStatuses.Success)
        {
            span.SetStatus(ActivityStatusCode.Error, reason ?? status);
        }

        Spans.End(span, parent);
    }

    internal static string ModeName(GuardrailMode mode) => mode switch
    {
        GuardrailMode.PreCall => "pre_call",
        GuardrailMode.DuringCall => "during_call",
        GuardrailMode.PostCall => "post_call",
        _ => "unknown",
    };
}
