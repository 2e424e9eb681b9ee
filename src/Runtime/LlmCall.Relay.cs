using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Pipeline;
using TracedLlm.Reading;

namespace TracedLlm;

// LlmCall: its side of the relay's one seam (ILlmCallRelay).
public sealed partial class LlmCall : ILlmCallRelay
{
    bool ILlmCallRelay.CapturesOutput => LlmStage.CapturesOutput(this);

    bool ILlmCallRelay.CapturesStructuredOutput => LlmStage.CapturesStructuredOutput(this);

    Task<T> ILlmCallRelay.RelayAsync<T>(
        bool attemptResponseHeaders,
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> attempt)
    {
        StreamStage.BeginRelay(this, attemptResponseHeaders);
        return ExecuteAsync(primary, fallbacks, policy, attempt, operationTimesAttempts: true);
    }

    void ILlmCallRelay.WriteAttemptHeaders(LlmAttempt attempt) => ResultStage.WriteAttemptHeaders(attempt);

    void ILlmCallRelay.BodyTakesEvents(bool takesEvents) => RelayedBodyTakesEvents = takesEvents;

    void ILlmCallRelay.EventWritten() => StreamStage.ReportEventWritten(this);

    ValueTask ILlmCallRelay.CheckAsync(object response) =>
        LlmStage.RunGuardrailsAsync(this, GuardrailMode.PostCall, null, response);

    void ILlmCallRelay.Complete(ResponseFacts? facts, TextSink? body, TextSink? streamedText, bool eventStream)
    {
        if (body is not null)
        {
            LlmStage.RecordOutputContent(this, body.Bytes);
        }

        if (facts is not null)
        {
            RecordResponseFacts(facts);
        }

        // After the usage: the time per output token divides by it.
        if (eventStream)
        {
            if (streamedText is not null && LlmStage.CapturesStructuredOutput(this))
            {
                LlmStage.RecordStreamedOutput(this, streamedText.ToString(), facts?.FinishReasons);
            }

            StreamStage.CompleteRelay(this);
        }
    }

    void ILlmCallRelay.AnswerUpstreamError(int statusCode, string description) =>
        ResultStage.ReportStatus(this, statusCode, errorType: null, description);
}
