using System;
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

    internal LlmCall(HttpContext httpContext, TracedRouteInfo route, RequestEnvelope envelope, TracedLlmGateway gateway)
    {
        HttpContext = httpContext;
        Route = route;
        _envelope = envelope;
        Gateway = gateway;
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

    /// <summary>The LLM span (<c>litellm_request</c>), or null when it is not recorded.</summary>
    public Activity? Span { get; internal set; }

    internal TracedLlmGateway Gateway { get; }

    internal Activity? ServerSpan { get; set; }

    internal RequestEnvelope Envelope => _envelope;

    internal Task<GuardrailBlockedException?>? DuringCallGuardrails { get; set; }

    internal byte[]? SerializedResult { get; set; }

    /// <summary>Records <c>gen_ai.provider.name</c> (e.g. <c>openai</c>, <c>anthropic</c>).</summary>
    public void SetProvider(string providerName)
    {
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.GenAiProviderName, providerName);
        }
    }

    /// <summary>Records token usage on the LLM span.</summary>
    public void RecordUsage(long inputTokens, long outputTokens)
    {
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.GenAiUsageInputTokens, inputTokens);
            span.SetTag(AttributeNames.GenAiUsageOutputTokens, outputTokens);
        }
    }

    /// <summary>Records the response model, id and finish reasons on the LLM span.</summary>
    public void RecordResponse(string? responseModel, string? responseId = null, params string[] finishReasons)
    {
        if (Span is { IsAllDataRequested: true } span)
        {
            if (responseModel is not null)
            {
                span.SetTag(AttributeNames.GenAiResponseModel, responseModel);
                span.SetTag(AttributeNames.LangfuseObservationModelName, responseModel);
            }

            if (responseId is not null)
            {
                span.SetTag(AttributeNames.GenAiResponseId, responseId);
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
            span.AddException(exception);
        }
    }

    /// <summary>Adds the W3C <c>traceparent</c> (and <c>tracestate</c>) of the current span to an outbound upstream request.</summary>
    public void ApplyTraceContext(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var span = Activity.Current ?? Span;
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
