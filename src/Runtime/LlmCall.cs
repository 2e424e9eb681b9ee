using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// One traced LLM request, as its handler sees it: the typed metadata of the route's slot, the
/// request model and body, and the calls that record the LLM span's response attributes. Take it
/// as a handler parameter; the generated pipeline creates it.
/// </summary>
public sealed class LlmCall
{
    private readonly RequestEnvelope _envelope;
    private CancellationTokenSource? _duringCallCancellation;

    internal LlmCall(HttpContext httpContext, TracedRouteInfo route, RequestEnvelope envelope, TracedLlmGateway gateway, long startTimestamp)
    {
        HttpContext = httpContext;
        Route = route;
        _envelope = envelope;
        Gateway = gateway;
        StartTimestamp = startTimestamp;
    }

    /// <summary>The HTTP request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The route, as the generator saw it (slot, wire format, handler).</summary>
    public TracedRouteInfo Route { get; }

    /// <summary>The metadata of the route's slot, typed.</summary>
    public LlmMetadata Metadata => _envelope.Metadata;

    /// <summary>The requested model (<c>model</c> in the body), or null.</summary>
    public string? Model => _envelope.Parameters.Model;

    /// <summary>The top-level request parameters.</summary>
    public EnvelopeParameters Parameters => _envelope.Parameters;

    /// <summary>The body as received.</summary>
    public ReadOnlyMemory<byte> RequestBody => _envelope.Body;

    /// <summary>The body to forward upstream: the route's metadata slot removed, everything else (a provider-native <c>metadata</c> too) kept byte for byte.</summary>
    public ReadOnlyMemory<byte> UpstreamBody => _envelope.UpstreamBody;

    /// <summary>Cancelled when the client goes away or a during-call guardrail blocks.</summary>
    public CancellationToken CancellationToken => _duringCallCancellation?.Token ?? HttpContext.RequestAborted;

    /// <summary>The hash of the caller's API key, set by authentication; never the key.</summary>
    public string? UserApiKeyHash { get; internal set; }

    /// <summary>Whether the caller passed authentication (or the route is open); set before the handler runs.</summary>
    public CallerTrust Trust => Authentication.Trust;

    /// <summary>The LLM span (<c>litellm_request</c>), or null when it is not recorded.</summary>
    public Activity? Span { get; internal set; }

    internal TracedLlmGateway Gateway { get; }

    internal RequestEnvelope Envelope => _envelope;

    internal Task<GuardrailBlockedException?>? DuringCallGuardrails { get; set; }

    internal byte[]? SerializedResult { get; set; }

    internal long StartTimestamp { get; }

    internal string? ProviderName { get; private set; }

    internal string? ResponseModel { get; private set; }

    internal long? InputTokens { get; private set; }

    internal long? OutputTokens { get; private set; }

    /// <summary>Set when a streamed response wrote its first chunk.</summary>
    internal long FirstChunkTimestamp { get; set; }

    internal long LastChunkTimestamp { get; set; }

    internal long StreamStartTimestamp { get; set; }

    internal int StreamedChunks { get; set; }

    internal FailurePath.Failure? Failure { get; set; }

    /// <summary>The authenticator's outcome, kept from before the spans exist until they do.</summary>
    internal AuthenticationState Authentication;

    /// <summary>The client-derived bytes this request's spans have recorded (a field: it is charged in place).</summary>
    internal TelemetryBudget TelemetryBudget;

    /// <summary>The caller's context the server span joined (default for a new root): a failure in an unsampled trace links to it.</summary>
    internal ActivityContext CallerContext { get; set; }

    /// <summary>
    /// The keyed fingerprint of a caller's API key for <see cref="AuthResult.KeyHash"/>: HMAC-SHA256
    /// with <see cref="TracedLlmOptions.ApiKeyFingerprintSecret"/>, lowercase hex; null when no secret
    /// is configured, so nothing is recorded. Never the key, and not recoverable without the secret.
    /// </summary>
    public string? ApiKeyFingerprint(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return Gateway.Options.ApiKeyFingerprintSecret is { Length: > 0 } secret ? ApiKeyFingerprints.Compute(secret, apiKey) : null;
    }

    /// <summary>Records <c>gen_ai.provider.name</c> (e.g. <c>openai</c>, <c>anthropic</c>).</summary>
    public void SetProvider(string providerName)
    {
        ProviderName = providerName;
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.GenAiProviderName, providerName);
        }
    }

    /// <summary>Records token usage on the LLM span.</summary>
    public void RecordUsage(long inputTokens, long outputTokens)
    {
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.GenAiUsageInputTokens, inputTokens);
            span.SetTag(AttributeNames.GenAiUsageOutputTokens, outputTokens);
        }
    }

    /// <summary>Records the response model, id and finish reasons on the LLM span.</summary>
    public void RecordResponse(string? responseModel, string? responseId = null, params string[] finishReasons)
    {
        ResponseModel = responseModel ?? ResponseModel;
        if (Span is { IsAllDataRequested: true } span)
        {
            // The upstream's answer may echo what the client sent: bounded like any client value.
            if (responseModel is not null)
            {
                var dropped = 0;
                var model = TelemetryText.ForSpan(this, AttributeNames.GenAiResponseModel, responseModel, Gateway.Options.Limits.MaxAttributeValueLength, ref dropped);
                span.SetTag(AttributeNames.GenAiResponseModel, model);
                span.SetTag(AttributeNames.LangfuseObservationModelName, model);
            }

            if (responseId is not null)
            {
                var dropped = 0;
                span.SetTag(AttributeNames.GenAiResponseId, TelemetryText.ForSpan(this, AttributeNames.GenAiResponseId, responseId, Gateway.Options.Limits.MaxAttributeValueLength, ref dropped));
            }

            if (finishReasons.Length > 0)
            {
                span.SetTag(AttributeNames.GenAiResponseFinishReasons, finishReasons);
            }
        }
    }

    /// <summary>
    /// Records an exception the handler recovered from (a fallback, say) as an <c>exception</c>
    /// event on the current span, so it is not lost. A failure that fails the request is thrown instead.
    /// </summary>
    public void RecordHandledFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if ((Activity.Current ?? Span) is { IsAllDataRequested: true } span)
        {
            TelemetryText.AddException(span, exception, this);
        }
    }

    /// <summary>Adds the W3C <c>traceparent</c> (and <c>tracestate</c>) of the current span to an outbound upstream request.</summary>
    public void ApplyTraceContext(HttpRequestMessage request) => ApplyTraceContext(request, Activity.Current ?? Span);

    /// <summary>Starts one upstream attempt by hand (no retries): its <c>raw_gen_ai_request</c> span ends when it is disposed.</summary>
    public LlmAttempt StartAttempt(LlmTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new LlmAttempt(this, target, 0, AttemptKind.Initial, reason: null);
    }

    /// <summary>
    /// Calls upstream with retries and fallbacks: one <c>raw_gen_ai_request</c> span per attempt,
    /// backoff between retries, and the <c>x-litellm-attempted-retries</c> /
    /// <c>x-litellm-attempted-fallbacks</c> (and, after a retry, <c>x-litellm-max-retries</c>)
    /// response headers. The last failure is thrown when every attempt has failed.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(LlmTarget primary, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var sequence = new AttemptSequence(this, primary, policy);
        while (true)
        {
            var attempt = sequence.Next();
            try
            {
                var result = await operation(attempt, CancellationToken).ConfigureAwait(false);
                attempt.Succeed();
                sequence.Finish();
                return result;
            }
            catch (Exception exception)
            {
                attempt.Fail(exception);
                if (sequence.After(exception) is not { } delay)
                {
                    sequence.Finish();
                    throw;
                }

                await Task.Delay(delay, CancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Streams from upstream with retries and fallbacks before the first chunk (after it, a failure
    /// fails the stream). The attempt span stays open until the stream ends.
    /// </summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(LlmTarget primary, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var sequence = new AttemptSequence(this, primary, policy);
        LlmAttempt attempt;
        IAsyncEnumerator<T> chunks;
        while (true)
        {
            attempt = sequence.Next();
            chunks = operation(attempt, CancellationToken).GetAsyncEnumerator(CancellationToken);
            try
            {
                if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                {
                    attempt.Succeed();
                    sequence.Finish();
                    await chunks.DisposeAsync().ConfigureAwait(false);
                    yield break;
                }

                break;
            }
            catch (Exception exception)
            {
                await chunks.DisposeAsync().ConfigureAwait(false);
                attempt.Fail(exception);
                if (sequence.After(exception) is not { } delay)
                {
                    sequence.Finish();
                    throw;
                }

                await Task.Delay(delay, CancellationToken).ConfigureAwait(false);
            }
        }

        sequence.Finish();
        var completed = false;
        try
        {
            yield return chunks.Current;
            while (true)
            {
                // The provider resumes under its attempt's span, whatever the consumer's current span is.
                if (attempt.Span is { } attemptSpan)
                {
                    TracedPipeline.MakeCurrent(attemptSpan);
                }

                if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                {
                    break;
                }

                yield return chunks.Current;
            }

            completed = true;
        }
        finally
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
            if (completed)
            {
                attempt.Succeed();
            }
            else
            {
                // Failed or abandoned after the first chunk: the failure path records why.
                attempt.Dispose();
            }
        }
    }

    internal static void ApplyTraceContext(HttpRequestMessage request, Activity? span)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (span is null || span.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }

        request.Headers.Remove("traceparent");
        request.Headers.TryAddWithoutValidation("traceparent", span.Id);
        if (span.TraceStateString is { Length: > 0 } state)
        {
            request.Headers.Remove("tracestate");
            request.Headers.TryAddWithoutValidation("tracestate", state);
        }
    }

    internal CancellationTokenSource CreateDuringCallCancellation()
    {
        _duringCallCancellation = CancellationTokenSource.CreateLinkedTokenSource(HttpContext.RequestAborted);
        return _duringCallCancellation;
    }
}
