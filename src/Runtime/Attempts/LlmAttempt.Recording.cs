using System;
using System.Diagnostics;
using TracedLlm.Telemetry;

namespace TracedLlm;

// LlmAttempt: what the attempt's span records, the response's facts, its end with the outcome and the failure's
// error.type, and the name of its kind.
public sealed partial class LlmAttempt
{
    /// <summary>
    /// Records the response model and this attempt's usage on the attempt span. The usage goes under
    /// <c>tracedllm.attempt.usage.*</c>, not <c>gen_ai.usage.*</c>: Langfuse prices every observation
    /// with a model and <c>gen_ai.usage.*</c>, whatever its type, and the request's usage is already
    /// on its one generation (<see cref="LlmCall.RecordUsage(LlmUsage)"/>), so the trace's sum stays the upstream's.
    /// </summary>
    public void RecordResponse(string? responseModel, long? inputTokens = null, long? outputTokens = null)
    {
        if (AttemptMetrics.Records(Call) && (inputTokens is not null || outputTokens is not null))
        {
            Call.AttemptTokensRecorded = true;
            AttemptMetrics.RecordUsage(this, inputTokens, outputTokens);
        }

        if (Span is { IsAllDataRequested: true } span)
        {
            if (responseModel is not null)
            {
                // The upstream's answer may echo the client's model: bounded like any client value.
                new FirstTags(span, Call).AddClient(AttributeNames.GenAiResponseModel, responseModel);
            }

            if (inputTokens is { } input)
            {
                span.SetTag(AttributeNames.AttemptUsageInputTokens, input);
            }

            if (outputTokens is { } output)
            {
                span.SetTag(AttributeNames.AttemptUsageOutputTokens, output);
            }
        }
    }

    private void End(Exception? failure = null, bool abandoned = false)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        Failure = failure;
        Succeeded = failure is null && !abandoned;
        EndTimestamp = Stopwatch.GetTimestamp();
        var errorType = failure is not null ? ErrorTypeOf(failure) : null;
        if (AttemptMetrics.Records(Call))
        {
            AttemptMetrics.RecordEnded(
                this,
                StartTimestamp,
                EndTimestamp,
                errorType ?? (abandoned ? "abandoned" : null));
        }

        if (Span is not { } span)
        {
            return;
        }

        var outcome = abandoned ? "abandoned" : failure is null ? "success" : "failure";
        if (span.IsAllDataRequested)
        {
            span.SetTag(AttributeNames.AttemptOutcome, outcome);
            if (failure is not null)
            {
                span.SetTag(AttributeNames.ErrorType, errorType);
                if (failure is UpstreamException upstream)
                {
                    if (upstream.UpstreamStatusCode >= 400)
                    {
                        span.SetTag(AttributeNames.HttpResponseStatusCode, upstream.UpstreamStatusCode);
                    }

                    if (upstream.RetryAfter is { } retryAfter)
                    {
                        span.SetTag(AttributeNames.AttemptRetryAfter, retryAfter.TotalSeconds);
                    }
                }

                TelemetryText.AddException(span, failure, Call);
            }
        }

        if (failure is not null || abandoned)
        {
            var options = Call.Gateway.Options;
            span.SetStatus(
                ActivityStatusCode.Error,
                failure is GatewayException known
                    ? TelemetryText.Bound(known.Message, options.Limits.MaxAttributeValueLength, options.Redaction)
                    : outcome);
        }

        Spans.End(span, _parent);
    }

    /// <summary>A failure's <c>error.type</c>, on the attempt's span and its metrics alike.</summary>
    /// <remarks>
    /// The upstream's HTTP status when it answered with one (the conventions' example <c>500</c>: a 429 and a 503 stay
    /// apart on a dashboard), else the exception's type. The span's <c>exception</c> event keeps the type in either
    /// case (<c>exception.type</c>).
    /// </remarks>
    private static string ErrorTypeOf(Exception failure) =>
        failure is UpstreamException { UpstreamStatusCode: >= 400 } upstream
            ? upstream.UpstreamStatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : failure.GetType().FullName ?? failure.GetType().Name;

    internal static string KindName(AttemptKind kind) => kind switch
    {
        AttemptKind.Retry => "retry",
        AttemptKind.Fallback => "fallback",
        _ => "initial",
    };
}
