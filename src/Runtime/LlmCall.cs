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
    private KeyValuePair<string, object?>[]? _traceTags;
    private int _traceTagCount;
    private CancellationToken _duringCallToken;
    private int _attempts;
    private int _retries;
    private int _fallbacks;
    private LlmAttempt? _lastAttempt;

    internal LlmCall(HttpContext httpContext, TracedRouteInfo route, RequestEnvelope envelope, TracedLlmGateway gateway, long startTimestamp)
    {
        HttpContext = httpContext;
        Route = route;
        _envelope = envelope;
        Gateway = gateway;
        StartTimestamp = startTimestamp;
        AmbientLlmScope.Enter(this);
    }

    /// <summary>
    /// The traced call the running code belongs to (the handler and everything it awaits), or null
    /// outside one. Always null until <see cref="EnableCurrent"/> has been called, as
    /// <c>UseTracedLlm()</c> (TracedLlm.Extensions.AI) does at start-up.
    /// </summary>
    public static LlmCall? Current => AmbientLlmScope.Current switch
    {
        LlmCall call => call,
        LlmAttempt attempt => attempt.Call,
        _ => null,
    };

    /// <summary>
    /// Makes <see cref="Current"/> and <see cref="LlmAttempt.Current"/> flow from now on. Off by
    /// default: flowing them costs every request an execution-context change (72 B with no listener,
    /// 288 B with every span recorded).
    /// </summary>
    public static void EnableCurrent() => AmbientLlmScope.Enable();

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

    /// <summary>
    /// True when the client asked for a streamed response (<c>"stream": true</c> in the body): how the
    /// pipeline tells a handler that serves both stream modes which one to return
    /// (<see cref="LlmResult.Stream{TChunk}"/> or its response; see <see cref="LlmResult{TResponse, TChunk}"/>).
    /// </summary>
    public bool IsStreaming => _envelope.Parameters.Stream;

    /// <summary>The body as received (decoded, when it came with a <c>Content-Encoding</c>).</summary>
    public ReadOnlyMemory<byte> RequestBody => _envelope.Body;

    /// <summary>
    /// The body to forward upstream: the route's metadata slot removed, everything else (a
    /// provider-native <c>metadata</c> too) kept byte for byte. It is the body every reader of this
    /// request read, and it reads one way only: no property name occurs twice in an object, none
    /// differs from another only in case, none is a case variant of a name the route binds (a
    /// body that does is refused before the handler runs). Forward these bytes, not the client's:
    /// <see cref="PrepareRequestForForwarding"/> makes the HTTP request carry them.
    /// </summary>
    public ReadOnlyMemory<byte> UpstreamBody => _envelope.UpstreamBody;

    /// <summary>
    /// Makes <see cref="HttpContext"/>'s request carry <see cref="UpstreamBody"/>, for a forwarder that
    /// sends the request on as it stands (YARP's <c>IHttpForwarder</c>): the pipeline has read the
    /// client's body already, and the upstream must receive what the guardrails and the trace read,
    /// not the client's bytes. The body becomes <see cref="UpstreamBody"/> (the slot cut out,
    /// decoded), <c>Content-Length</c> its length, and <c>Content-Encoding</c> and
    /// <c>Transfer-Encoding</c> are removed (it is sent as it was read, with a length).
    /// </summary>
    public void PrepareRequestForForwarding()
    {
        var request = HttpContext.Request;
        var body = UpstreamBody;
        request.Body = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment)
            ? new System.IO.MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new System.IO.MemoryStream(body.ToArray(), writable: false);
        request.ContentLength = body.Length;

        // Removed, not set empty: Kestrel keeps an emptied known header in the collection, and YARP's
        // forwarder copies it as a header with a null value (and fails on it).
        request.Headers.Remove("Content-Encoding");
        request.Headers.Remove("Transfer-Encoding");
    }

    /// <summary>Cancelled when the client goes away or a during-call guardrail blocks.</summary>
    public CancellationToken CancellationToken => _duringCallCancellation is null ? HttpContext.RequestAborted : _duringCallToken;

    /// <summary>The hash of the caller's API key, set by authentication; never the key.</summary>
    public string? UserApiKeyHash { get; internal set; }

    /// <summary>Whether the caller passed authentication (or the route is open); set before the handler runs.</summary>
    public CallerTrust Trust => Authentication.Trust;

    /// <summary>The LLM span (<c>litellm_request</c>), or null when it is not recorded.</summary>
    public Activity? Span { get; internal set; }

    internal TracedLlmGateway Gateway { get; }

    internal RequestEnvelope Envelope => _envelope;

    /// <summary>The during-call guardrails' run: never faults; its result is their failure (see <see cref="GuardrailRunner.RunConcurrentlyAsync"/>).</summary>
    internal Task<Exception?>? DuringCallGuardrails { get; set; }

    internal byte[]? SerializedResult { get; set; }

    /// <summary>The body as the handler's type read it (<see cref="PreCallStage.ReadRequest"/>), or null.</summary>
    internal object? Request { get; set; }

    internal long StartTimestamp { get; }

    internal string? ProviderName { get; private set; }

    /// <summary>The backend of the latest attempt, when the gateway names its backends.</summary>
    internal string? BackendId { get; private set; }

    /// <summary>Retries among the attempts started so far.</summary>
    internal int Retries => Volatile.Read(ref _retries);

    /// <summary>Fallbacks among the attempts started so far.</summary>
    internal int Fallbacks => Volatile.Read(ref _fallbacks);

    internal string? ResponseModel { get; private set; }

    internal long? InputTokens { get; private set; }

    internal long? OutputTokens { get; private set; }

    /// <summary>Set when a streamed response wrote its first chunk.</summary>
    internal long FirstChunkTimestamp { get; set; }

    internal long LastChunkTimestamp { get; set; }

    internal long StreamStartTimestamp { get; set; }

    internal int StreamedChunks { get; set; }

    /// <summary>
    /// Whether this call's attempts write the <c>x-litellm-attempted-*</c> response headers: a relay's
    /// own setting (<see cref="StreamStage.BeginRelay"/>), else <see cref="TracedLlmOptions.AttemptResponseHeaders"/>.
    /// </summary>
    internal bool? AttemptResponseHeaders { get; set; }

    internal bool WritesAttemptResponseHeaders => AttemptResponseHeaders ?? Gateway.Options.AttemptResponseHeaders;

    /// <summary>The stream's terminal event (Anthropic <c>message_stop</c>), held back until the guardrails are done.</summary>
    internal byte[]? HeldTerminalEvent { get; set; }

    /// <summary>The streamed chunks, kept for post-call guardrails (a <c>List&lt;TChunk&gt;</c>) when there are any.</summary>
    internal object? StreamedResponse { get; set; }

    internal FailurePath.Failure? Failure { get; set; }

    /// <summary>What a result that writes the response itself reported of its answer (<see cref="ResultStage.ReportStatus"/>).</summary>
    internal ResultStage.ReportedAnswer? ReportedAnswer { get; set; }

    /// <summary>The server span (the Langfuse root observation when the request starts its own trace), or null.</summary>
    internal Activity? ServerSpan { get; set; }

    /// <summary>
    /// The request's trace-level attributes (Langfuse reads them from every observation), prepared
    /// once by the server span of a trusted caller: redacted, bounded and charged to the request's
    /// budget there. Null before, and always for a refused caller: nothing a client chose reaches
    /// a span before it is authenticated.
    /// </summary>
    internal ReadOnlySpan<KeyValuePair<string, object?>> TraceTags => Trust != CallerTrust.Unauthenticated ? _traceTags.AsSpan(0, _traceTagCount) : default;

    internal void SetTraceTags(KeyValuePair<string, object?>[] traceTags, int count)
    {
        _traceTags = traceTags;
        _traceTagCount = count;
    }

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
    public void RecordUsage(long inputTokens, long outputTokens) => RecordUsage(new LlmUsage(inputTokens, outputTokens));

    /// <summary>
    /// Records token usage on the LLM span, with the cache and reasoning counts the provider stated
    /// (<see cref="LlmUsage"/>), and, when the model has a price (<see cref="TracedLlmOptions.Pricing"/>;
    /// the response model's, else the request model's), its cost on the span and the cost metric.
    /// Call it after <see cref="RecordResponse"/> so that the response model can name the price.
    /// </summary>
    public void RecordUsage(LlmUsage usage)
    {
        var span = RecordTokens(usage.InputTokens, usage.OutputTokens);
        var price = span is not null || GatewayMetrics.Cost.Enabled ? FindPrice() : null;
        if (span is not null)
        {
            if (usage.CacheReadInputTokens is { } cacheRead)
            {
                span.SetTag(AttributeNames.GenAiUsageCacheReadInputTokens, cacheRead);
            }

            if (usage.CacheCreationInputTokens is { } cacheCreation)
            {
                span.SetTag(AttributeNames.GenAiUsageCacheCreationInputTokens, cacheCreation);
            }

            if (usage.ReasoningOutputTokens is { } reasoning)
            {
                span.SetTag(AttributeNames.GenAiUsageReasoningOutputTokens, reasoning);
            }

            if (usage.HasDetails || price is not null)
            {
                span.SetTag(AttributeNames.LangfuseObservationUsageDetails, UsageDetails.UsageJson(usage));
            }
        }

        if (price is not null)
        {
            var cost = price.CostOf(usage);
            if (span is not null)
            {
                span.SetTag(AttributeNames.GenAiUsageCost, cost.Total);
                span.SetTag(AttributeNames.LangfuseObservationCostDetails, UsageDetails.CostJson(cost));
            }

            if (GatewayMetrics.Cost.Enabled)
            {
                GatewayMetrics.RecordCost(this, cost.Total);
            }
        }
    }

    /// <summary>
    /// The token counts, each one that is known: on the call, where the request's end records the
    /// <c>gen_ai.client.token.usage</c> metric from them, and on the LLM span, so both count the same.
    /// Every usage goes through here (a relayed response that stated one count only, too); the
    /// recorded LLM span is returned, or null.
    /// </summary>
    internal Activity? RecordTokens(long? inputTokens, long? outputTokens)
    {
        InputTokens = inputTokens ?? InputTokens;
        OutputTokens = outputTokens ?? OutputTokens;
        if (Span is not { IsAllDataRequested: true } span)
        {
            return null;
        }

        if (inputTokens is { } input)
        {
            span.SetTag(AttributeNames.GenAiUsageInputTokens, input);
        }

        if (outputTokens is { } output)
        {
            span.SetTag(AttributeNames.GenAiUsageOutputTokens, output);
        }

        return span;
    }

    private LlmModelPrice? FindPrice()
    {
        var pricing = Gateway.Options.Pricing;
        if (pricing.Models.Count == 0)
        {
            return null;
        }

        return pricing.Find(ProviderName, ResponseModel) ?? pricing.Find(ProviderName, Model);
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

    /// <summary>
    /// Starts one upstream attempt in the gateway's own loop, on the target it just chose; its
    /// <c>raw_gen_ai_request</c> span ends with <see cref="LlmAttempt.Succeed"/>,
    /// <see cref="LlmAttempt.Fail"/> or disposal. The call counts the attempt's index across the
    /// request and tells its kind from the attempt before it: <see cref="AttemptKind.Initial"/> for the
    /// request's first, or after one that succeeded or is still running (a second upstream call, not
    /// a second try); after one that failed or was abandoned, <see cref="AttemptKind.Retry"/> on the
    /// same target (<see cref="LlmTarget"/> equality: provider, model, backend id and endpoint) and
    /// <see cref="AttemptKind.Fallback"/> on another. Such an attempt names the previous failure's
    /// type as its reason and the time since it ended as its delay.
    /// </summary>
    public LlmAttempt StartAttempt(LlmTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var previous = Volatile.Read(ref _lastAttempt);
        var kind = previous is null || !previous.Ended || previous.Succeeded
            ? AttemptKind.Initial
            : previous.Target.Equals(target) ? AttemptKind.Retry : AttemptKind.Fallback;
        return StartAttempt(target, kind, previous);
    }

    /// <summary>
    /// Starts one upstream attempt of the kind the gateway says (its own notion of a retry: another
    /// deployment of the same model group, say); otherwise as <see cref="StartAttempt(LlmTarget)"/>.
    /// </summary>
    public LlmAttempt StartAttempt(LlmTarget target, AttemptKind kind)
    {
        ArgumentNullException.ThrowIfNull(target);
        return StartAttempt(target, kind, Volatile.Read(ref _lastAttempt));
    }

    private LlmAttempt StartAttempt(LlmTarget target, AttemptKind kind, LlmAttempt? previous)
    {
        string? reason = null;
        TimeSpan? delay = null;
        if (kind != AttemptKind.Initial && previous is { Ended: true, Succeeded: false })
        {
            reason = previous.Failure?.GetType().FullName;
            delay = Stopwatch.GetElapsedTime(previous.EndTimestamp);
        }

        var attempt = new LlmAttempt(this, target, kind, reason, delay, LlmRetryPolicy.DefaultMaxResponseBytes);
        if (Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.AttemptRetries, Retries);
            span.SetTag(AttributeNames.AttemptFallbacks, Fallbacks);
        }

        return attempt;
    }

    /// <summary>Counts an attempt that starts: its index in the request, and a retry or fallback.</summary>
    internal int AttemptStarted(LlmAttempt attempt, AttemptKind kind)
    {
        if (kind == AttemptKind.Retry)
        {
            Interlocked.Increment(ref _retries);
        }
        else if (kind == AttemptKind.Fallback)
        {
            Interlocked.Increment(ref _fallbacks);
        }

        Volatile.Write(ref _lastAttempt, attempt);
        return Interlocked.Increment(ref _attempts) - 1;
    }

    /// <summary>Records the provider and backend of the latest attempt on the LLM span.</summary>
    internal void SetTarget(LlmTarget target)
    {
        SetProvider(target.Provider);
        if (target.BackendId is not null || BackendId is not null)
        {
            BackendId = target.BackendId;
            if (Span is { IsAllDataRequested: true } span)
            {
                span.SetTag(AttributeNames.BackendId, target.BackendId);
                span.SetTag(AttributeNames.LangfuseMetadataBackendId, target.BackendId);
            }
        }

        // The 1.41 conventions put the server the call went to on the LLM span too: the answering attempt's.
        if (Gateway.Options.SemanticConventions == SemanticConventionMode.GenAiLatestExperimental
            && Span is { IsAllDataRequested: true } llm && target.Endpoint is { IsAbsoluteUri: true } endpoint)
        {
            llm.SetTag(AttributeNames.ServerAddress, LlmTarget.ServerAddress(endpoint));
            llm.SetTag(AttributeNames.ServerPort, endpoint.Port >= 0 ? endpoint.Port : null);
        }
    }

    /// <summary>
    /// Calls upstream through <paramref name="policy"/> (a Polly pipeline: retries, attempt timeout,
    /// the total deadline, a circuit breaker per target, and the policy's
    /// <see cref="LlmRetryPolicy.Fallbacks"/>): one <c>raw_gen_ai_request</c> span per attempt, and
    /// the <c>x-litellm-attempted-retries</c> / <c>x-litellm-attempted-fallbacks</c> (and, after a
    /// retry, <c>x-litellm-max-retries</c>) response headers. The operation gets a token that the
    /// attempt timeout, the deadline and the client's going away cancel. When every attempt has
    /// failed, the last failure is thrown: a timeout, connection failure or cut-off response as the
    /// <see cref="UpstreamException"/> that says so (<see cref="UpstreamTimeoutException"/>, 504; ...).
    /// </summary>
    public Task<T> ExecuteAsync<T>(LlmTarget primary, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ExecuteAsync(primary, policy.Fallbacks, policy, operation);
    }

    /// <summary>
    /// Calls upstream as <see cref="ExecuteAsync{T}(LlmTarget, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, Task{T}})"/>
    /// does, falling back to this call's own <paramref name="fallbacks"/> instead of the policy's: one
    /// policy (built once, holding the circuits) serves calls whose fallback models differ.
    /// </summary>
    public Task<T> ExecuteAsync<T>(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new ExecuteSequence<T>(this, new TargetSource(primary, fallbacks), policy, operation).RunAsync();
    }

    /// <summary>
    /// Calls upstream through <paramref name="policy"/> on the targets the gateway chooses, one at a
    /// time, from its own state (priorities, health, round-robin, model groups): before the first
    /// attempt <paramref name="chooseTarget"/> is asked with null; after each failure worth another
    /// attempt (the policy's <see cref="LlmRetryPolicy.ShouldFallBack"/> or <see cref="LlmRetryPolicy.IsRetryable"/>),
    /// with that failure, so the gateway can mark the target's health, and it answers with the next
    /// target, or null to stop (the failure is then the call's). Choosing the target that just failed
    /// is a retry: made after the policy's backoff (or the upstream's <c>Retry-After</c>) while the
    /// failure is retryable and <see cref="LlmRetryPolicy.MaxRetries"/> allows, else the call ends;
    /// choosing another is a fallback, made at once. At most <see cref="LlmRetryPolicy.MaxAttempts"/>
    /// attempts. The gateway's health state is the circuit breaker here: leave
    /// <see cref="LlmRetryPolicy.CircuitBreaker"/> null unless you want both. A chooser with no target
    /// at all fails the call with <see cref="UpstreamUnavailableException"/> (503). Timeouts, the
    /// deadline, the response size limit, the spans and headers are as in
    /// <see cref="ExecuteAsync{T}(LlmTarget, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, Task{T}})"/>.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<LlmAttemptFailure?, LlmTarget?> chooseTarget, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(chooseTarget);
        ArgumentNullException.ThrowIfNull(operation);
        return new ExecuteSequence<T>(this, new TargetSource(chooseTarget), policy, operation).RunAsync();
    }

    /// <summary>
    /// Streams from upstream through <paramref name="policy"/>, retrying and falling back until an
    /// attempt yields its first chunk; after it, a failure fails the stream (thrown to the consumer,
    /// which the generated pipeline turns into an error event) and its attempt. Each chunk must come
    /// within the policy's attempt timeout. The attempt span stays open until the stream ends.
    /// </summary>
    public IAsyncEnumerable<T> StreamAsync<T>(LlmTarget primary, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return StreamAsync(primary, policy.Fallbacks, policy, operation);
    }

    /// <summary>Streams as <see cref="StreamAsync{T}(LlmTarget, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, IAsyncEnumerable{T}})"/> does, with this call's own <paramref name="fallbacks"/>.</summary>
    public IAsyncEnumerable<T> StreamAsync<T>(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return StreamAsync(new TargetSource(primary, fallbacks), policy, operation);
    }

    /// <summary>
    /// Streams on the targets the gateway chooses, one at a time, as
    /// <see cref="ExecuteAsync{T}(Func{LlmAttemptFailure, LlmTarget}, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, Task{T}})"/>
    /// calls: the chooser is asked after each failure before the first chunk; after it, a failure fails the stream.
    /// </summary>
    public IAsyncEnumerable<T> StreamAsync<T>(Func<LlmAttemptFailure?, LlmTarget?> chooseTarget, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(chooseTarget);
        ArgumentNullException.ThrowIfNull(operation);
        return StreamAsync(new TargetSource(chooseTarget), policy, operation);
    }

    // An iterator: the sequence (and its deadline's timer) exists only once the stream is read.
    private async IAsyncEnumerable<T> StreamAsync<T>(TargetSource targets, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        using var sequence = new StreamSequence<T>(this, targets, policy, operation);
        if (await sequence.StartAsync().ConfigureAwait(false) is not { } stream)
        {
            yield break;
        }

        try
        {
            yield return stream.Current;
            while (await stream.MoveNextAsync().ConfigureAwait(false))
            {
                yield return stream.Current;
            }
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
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
        _duringCallToken = _duringCallCancellation.Token;
        return _duringCallCancellation;
    }

    /// <summary>Stops the during-call guardrails (and the handler's token) when the request has failed.</summary>
    internal Task StopDuringCallGuardrailsAsync() => _duringCallCancellation?.CancelAsync() ?? Task.CompletedTask;

    /// <summary>Ends the request: the linked source unregisters from the request's token (its token stays readable).</summary>
    internal void EndRequest() => _duringCallCancellation?.Dispose();
}
