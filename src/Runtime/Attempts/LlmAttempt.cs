using System;
using System.Diagnostics;
using System.Net.Http;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>Why an attempt was made.</summary>
public enum AttemptKind
{
    /// <summary>The first attempt.</summary>
    Initial,
    /// <summary>Another attempt on the same target after a retryable failure.</summary>
    Retry,
    /// <summary>The first attempt on a fallback target.</summary>
    Fallback,
}

/// <summary>
/// One upstream attempt, with its own <c>raw_gen_ai_request</c> span under the LLM span. Take it
/// from <see cref="LlmCall.ExecuteAsync{T}"/> / <see cref="LlmCall.StreamAsync{T}"/> (which run the
/// retry and fallback policy), or <see cref="LlmCall.StartAttempt"/> for a single hand-made one.
/// Upstream calls made through it carry its <c>traceparent</c>.
/// </summary>
public sealed class LlmAttempt : IDisposable
{
    private readonly Activity? _parent;
    private bool _ended;

    internal LlmAttempt(LlmCall call, LlmTarget target, int index, AttemptKind kind, string? reason)
    {
        Call = call;
        Target = target;
        Index = index;
        Kind = kind;
        Reason = reason;
        _parent = call.Span;

        // The generation's provider is the one its latest attempt calls.
        call.SetProvider(target.Provider);
        Span = TracedPipeline.StartChild(SpanNames.UpstreamAttempt, ActivityKind.Client, _parent);
        if (Span is { IsAllDataRequested: true } span)
        {
            var tags = new FirstTags(span, call);
            tags.Add(AttributeNames.GenAiProviderName, target.Provider);
            tags.AddClient(AttributeNames.GenAiRequestModel, target.Model);
            tags.Add(AttributeNames.AttemptIndex, index);
            tags.Add(AttributeNames.AttemptKind, KindName(kind));
            tags.Add(AttributeNames.AttemptReason, reason);
        }
    }

    /// <summary>The request this attempt belongs to.</summary>
    public LlmCall Call { get; }

    /// <summary>The provider and model called.</summary>
    public LlmTarget Target { get; }

    /// <summary>0 for the first attempt of the request, counting across retries and fallbacks.</summary>
    public int Index { get; }

    /// <summary>Initial, retry or fallback.</summary>
    public AttemptKind Kind { get; }

    /// <summary>Why this attempt was made (the previous attempt's error type), or null for the first.</summary>
    public string? Reason { get; }

    /// <summary>The attempt's span, or null when it is not recorded.</summary>
    public Activity? Span { get; }

    /// <summary>Adds this attempt's W3C <c>traceparent</c> (and <c>tracestate</c>) to an upstream request.</summary>
    public void ApplyTraceContext(HttpRequestMessage request) => LlmCall.ApplyTraceContext(request, Span ?? Call.Span);

    /// <summary>Records the response model and usage on the attempt span.</summary>
    public void RecordResponse(string? responseModel, long? inputTokens = null, long? outputTokens = null)
    {
        if (Span is { IsAllDataRequested: true } span)
        {
            if (responseModel is not null)
            {
                // The upstream's answer may echo the client's model: bounded like any client value.
                new FirstTags(span, Call).AddClient(AttributeNames.GenAiResponseModel, responseModel);
            }

            if (inputTokens is { } input)
            {
                span.SetTag(AttributeNames.GenAiUsageInputTokens, input);
            }

            if (outputTokens is { } output)
            {
                span.SetTag(AttributeNames.GenAiUsageOutputTokens, output);
            }
        }
    }

    /// <summary>Ends the attempt as a success.</summary>
    public void Succeed() => End(null);

    /// <summary>Ends the attempt as a failure, recording the exception.</summary>
    public void Fail(Exception exception) => End(exception ?? throw new ArgumentNullException(nameof(exception)));

    /// <summary>Ends the attempt; one that neither succeeded nor failed is recorded as abandoned.</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            End(abandoned: true);
        }
    }

    private void End(Exception? failure = null, bool abandoned = false)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
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
                span.SetTag(AttributeNames.ErrorType, failure.GetType().FullName);
                TelemetryText.AddException(span, failure, Call);
            }
        }

        if (failure is not null || abandoned)
        {
            var options = Call.Gateway.Options;
            span.SetStatus(ActivityStatusCode.Error, failure is GatewayException known ? TelemetryText.Bound(known.Message, options.Limits.MaxAttributeValueLength, options.Redaction) : outcome);
        }

        TracedPipeline.End(span, _parent);
    }

    internal static string KindName(AttemptKind kind) => kind switch
    {
        AttemptKind.Retry => "retry",
        AttemptKind.Fallback => "fallback",
        _ => "initial",
    };
}
