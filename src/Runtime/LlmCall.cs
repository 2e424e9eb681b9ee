using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>One traced LLM request, as its handler sees it.</summary>
/// <remarks>
/// The typed metadata of the route's slot, the request model and body, and the calls that record the LLM span's
/// response attributes. Take it as a handler parameter; the generated pipeline creates it.
/// </remarks>
public sealed partial class LlmCall
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

    // What upstream clients left on the request (open bodies, failures and what they mean); made when first needed.
    private HttpAttemptState? _httpAttempts;

    internal LlmCall(
        HttpContext httpContext,
        TracedRouteInfo route,
        RequestEnvelope envelope,
        TracedLlmGateway gateway,
        long startTimestamp)
    {
        HttpContext = httpContext;
        Route = route;
        _envelope = envelope;
        Gateway = gateway;
        StartTimestamp = startTimestamp;
        AmbientLlmScope.Enter(this);
        if (AmbientLlmScope.TakeLateNotice())
        {
            AttemptLog.CurrentWasOff(httpContext);
        }
    }

    /// <summary>
    /// The traced call the running code belongs to (the handler and everything it awaits), or null
    /// outside one. It flows once <see cref="EnableCurrent"/> has been called, as <c>UseTracedLlm()</c>
    /// (TracedLlm.Extensions.AI) and <c>AddTracedLlmAttempts()</c> do at start-up; read before that, it
    /// is null and turns itself on for the requests that start afterwards (the next one logs a
    /// warning saying so).
    /// </summary>
    public static LlmCall? Current => AmbientLlmScope.Current switch
    {
        LlmCall call => call,
        LlmAttempt attempt => attempt.Call,
        _ => null,
    };

    /// <summary>
    /// Makes <see cref="Current"/> and <see cref="LlmAttempt.Current"/> flow from now on: call it at
    /// start-up when your own code reads them. Off by default: flowing them costs every request an
    /// execution-context change (72 B with no listener, 288 B with every span recorded).
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

    /// <summary>True when the client asked for a streamed response (<c>"stream": true</c> in the body).</summary>
    /// <remarks>
    /// How the pipeline tells a handler that serves both stream modes which one to return
    /// (<see cref="LlmResult.Stream{TChunk}"/> or its response; see <see cref="LlmResult{TResponse, TChunk}"/>).
    /// </remarks>
    public bool IsStreaming => _envelope.Parameters.Stream;

    /// <summary>The body as received (decoded, when it came with a <c>Content-Encoding</c>).</summary>
    public ReadOnlyMemory<byte> RequestBody => _envelope.Body;

    /// <summary>The body to forward upstream: the route's metadata slot removed, the rest kept byte for byte.</summary>
    /// <remarks>
    /// A provider-native <c>metadata</c> is kept too. It is the body every reader of this request read, and it
    /// reads one way only: no property name occurs twice in an object, none differs from another only in case,
    /// none is a case variant of a name the route binds (a body that does is refused before the handler runs).
    /// Forward these bytes, not the client's: <see cref="PrepareRequestForForwarding"/> makes the HTTP request carry
    /// them. A body the pipeline cannot read at all (cut off, not JSON, not UTF-8) is here as it came, for a handler
    /// that reads the body itself to answer as it did (docs/handlers.md, "A body the pipeline cannot read").
    /// </remarks>
    public ReadOnlyMemory<byte> UpstreamBody => _envelope.UpstreamBody;

    /// <summary>
    /// Makes <see cref="HttpContext"/>'s request carry <see cref="UpstreamBody"/>, for a forwarder that sends the
    /// request on as it stands (YARP's <c>IHttpForwarder</c>).
    /// </summary>
    /// <remarks>
    /// The pipeline has read the client's body already, and the upstream must receive what the guardrails and the trace
    /// read, not the client's bytes. The body becomes <see cref="UpstreamBody"/> (the slot cut out, decoded),
    /// <c>Content-Length</c> its length, and <c>Content-Encoding</c> and <c>Transfer-Encoding</c> are removed (it is
    /// sent as it was read, with a length).
    /// </remarks>
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
    public CancellationToken CancellationToken =>
        _duringCallCancellation is null ? HttpContext.RequestAborted : _duringCallToken;

    /// <summary>The hash of the caller's API key, set by authentication; never the key.</summary>
    public string? UserApiKeyHash { get; internal set; }

    /// <summary>Whether the caller passed authentication (or the route is open); set before the handler runs.</summary>
    public CallerTrust Trust => Authentication.Trust;

    /// <summary>The LLM span (<c>litellm_request</c>), or null when it is not recorded.</summary>
    public Activity? Span { get; internal set; }

    internal TracedLlmGateway Gateway { get; }

    internal RequestEnvelope Envelope => _envelope;

    /// <summary>
    /// The during-call guardrails' run: never faults; its result is their failure (see
    /// <see cref="GuardrailRunner.RunConcurrentlyAsync"/>).
    /// </summary>
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

    /// <summary>The cost of the usage recorded last, when its model has a price.</summary>
    /// <remarks>
    /// Added to <c>tracedllm.usage.cost</c> once, as the request ends, so a usage recorded again (by the step and by
    /// the handler) replaces it there as it does on the span and in the token metric.
    /// </remarks>
    internal double? UsageCost { get; set; }

    /// <summary>Set when a streamed response wrote its first chunk.</summary>
    internal long FirstChunkTimestamp { get; set; }

    internal long LastChunkTimestamp { get; set; }

    internal long StreamStartTimestamp { get; set; }

    internal int StreamedChunks { get; set; }

    /// <summary>
    /// Whether an error event may follow the relayed body the client has
    /// (<see cref="StreamStage.ReportRelayedBodyTakesEvents"/>): when false, a failure after the first byte cuts the
    /// connection.
    /// </summary>
    /// <remarks>
    /// Null when nothing relayed a body (the stream's chunk count decides).
    /// </remarks>
    internal bool? RelayedBodyTakesEvents { get; set; }

    /// <summary>
    /// Whether this call's attempts write the <c>x-litellm-attempted-*</c> response headers: a relay's
    /// own setting (<see cref="StreamStage.BeginRelay"/>), else <see cref="TracedLlmOptions.AttemptResponseHeaders"/>.
    /// </summary>
    internal bool? AttemptResponseHeaders { get; set; }

    internal bool WritesAttemptResponseHeaders => AttemptResponseHeaders ?? Gateway.Options.AttemptResponseHeaders;

    /// <summary>
    /// The stream's terminal event (Anthropic <c>message_stop</c>), held back until the guardrails are done.
    /// </summary>
    internal byte[]? HeldTerminalEvent { get; set; }

    /// <summary>
    /// The streamed chunks, kept for post-call guardrails (a <c>List&lt;TChunk&gt;</c>) when there are any.
    /// </summary>
    internal object? StreamedResponse { get; set; }

    /// <summary>
    /// A streamed answer's text for <c>gen_ai.output.messages</c> (the latest convention mode, content captured), else
    /// null.
    /// </summary>
    internal Telemetry.StreamedOutput? StreamedOutput { get; set; }

    /// <summary>
    /// True once an attempt recorded its usage on <c>gen_ai.client.token.usage</c> (the latest convention mode).
    /// </summary>
    internal bool AttemptTokensRecorded { get; set; }

    /// <summary>
    /// When the latest attempt's upstream request was sent (a <see cref="Stopwatch"/> timestamp; the latest convention
    /// mode), or 0.
    /// </summary>
    internal long UpstreamSentTimestamp { get; set; }

    internal FailurePath.Failure? Failure { get; set; }

    /// <summary>True while the handler's own code runs: from its call to its return, its result, its stream.</summary>
    internal bool HandlerRunning { get; set; }

    /// <summary>Why the pipeline could not read the body it handed to the handler as it came, or null.</summary>
    internal InvalidLlmRequestException? UnreadBody { get; set; }

    /// <summary>An exception left to ASP.NET Core's handling (<see cref="LlmErrorResponses.Host"/>), or null.</summary>
    internal FailurePath.HostAnswer? HostAnswer { get; set; }

    /// <summary>
    /// The latest attempt's failure when it failed and none started after it (one its circuit refused
    /// included), else null: how the call ended when nothing threw it (<see cref="UnthrownFailure"/>).
    /// </summary>
    internal Exception? FailedAttempt =>
        Volatile.Read(ref _lastAttempt) is { Ended: true, Succeeded: false, Failure: { } failure } ? failure : null;

    /// <summary>
    /// What a result that writes the response itself reported of its answer (<see cref="ResultStage.ReportStatus"/>).
    /// </summary>
    internal ResultStage.ReportedAnswer? ReportedAnswer { get; set; }

    /// <summary>
    /// The server span (the Langfuse root observation when the request starts its own trace), or null.
    /// </summary>
    internal Activity? ServerSpan { get; set; }

    /// <summary>
    /// The request's trace-level attributes (Langfuse reads them from every observation), prepared
    /// once by the server span of a trusted caller: redacted, bounded and charged to the request's
    /// budget there. Null before, and always for a refused caller: nothing a client chose reaches
    /// a span before it is authenticated.
    /// </summary>
    internal ReadOnlySpan<KeyValuePair<string, object?>> TraceTags =>
        Trust != CallerTrust.Unauthenticated ? _traceTags.AsSpan(0, _traceTagCount) : default;

    internal void SetTraceTags(KeyValuePair<string, object?>[] traceTags, int count)
    {
        _traceTags = traceTags;
        _traceTagCount = count;
    }

    /// <summary>The authenticator's outcome, kept from before the spans exist until they do.</summary>
    internal AuthenticationState Authentication;

    /// <summary>
    /// The client-derived bytes this request's spans have recorded (a field: it is charged in place).
    /// </summary>
    internal TelemetryBudget TelemetryBudget;

    /// <summary>
    /// The caller's context the server span joined (default for a new root): a failure in an unsampled trace links to
    /// it.
    /// </summary>
    internal ActivityContext CallerContext { get; set; }

    /// <summary>
    /// The keyed fingerprint of a caller's API key for <see cref="AuthResult.KeyHash"/>: HMAC-SHA256
    /// with <see cref="TracedLlmOptions.ApiKeyFingerprintSecret"/>, lowercase hex; null when no secret
    /// is configured, so nothing is recorded. Never the key, and not recoverable without the secret.
    /// </summary>
    public string? ApiKeyFingerprint(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return Gateway.Options.ApiKeyFingerprintSecret is { Length: > 0 } secret
            ? ApiKeyFingerprints.Compute(secret, apiKey)
            : null;
    }

    internal CancellationTokenSource CreateDuringCallCancellation()
    {
        _duringCallCancellation = CancellationTokenSource.CreateLinkedTokenSource(HttpContext.RequestAborted);
        _duringCallToken = _duringCallCancellation.Token;
        return _duringCallCancellation;
    }

    /// <summary>Stops the during-call guardrails (and the handler's token) when the request has failed.</summary>
    internal Task StopDuringCallGuardrailsAsync() => _duringCallCancellation?.CancelAsync() ?? Task.CompletedTask;

    /// <summary>
    /// Ends the request: an attempt whose response body nobody read or disposed ends abandoned, and
    /// the linked source unregisters from the request's token (its token stays readable).
    /// </summary>
    internal void EndRequest()
    {
        AbandonOpenBodies();
        _duringCallCancellation?.Dispose();
    }
}
