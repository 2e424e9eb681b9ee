using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http;
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
/// from <c>LlmCall.ExecuteAsync</c> / <c>LlmCall.StreamAsync</c> (which run the retry and fallback
/// policy, over fixed targets or the ones the gateway chooses), or from
/// <see cref="LlmCall.StartAttempt(LlmTarget)"/> in the gateway's own loop.
/// Upstream calls made through it carry its <c>traceparent</c>.
/// </summary>
public sealed partial class LlmAttempt : IDisposable
{
    private readonly Activity? _parent;
    private bool _ended;

    internal LlmAttempt(
        LlmCall call,
        LlmTarget target,
        AttemptKind kind,
        string? reason,
        TimeSpan? delay,
        long maxResponseBytes)
    {
        Call = call;
        Target = target;
        Kind = kind;
        Reason = reason;
        Delay = delay ?? TimeSpan.Zero;
        MaxResponseBytes = maxResponseBytes;
        CallToken = call.CancellationToken;
        _parent = call.Span;
        StartTimestamp = AttemptMetrics.Records(call) ? Stopwatch.GetTimestamp() : 0;
        Index = call.AttemptStarted(this, kind);
        AmbientLlmScope.Enter(this);

        // The generation's provider (and backend) is the one its latest attempt calls.
        call.SetTarget(target);
        Span = Spans.StartChild(SpanNames.UpstreamAttempt, ActivityKind.Client, _parent);
        if (Span is { IsAllDataRequested: true } span)
        {
            var tags = new FirstTags(span, call);

            // A span for Langfuse, not a second generation: its model would make Langfuse infer one.
            tags.Add(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Span);
            tags.Add(AttributeNames.GenAiProviderName, target.Provider);
            tags.AddClient(AttributeNames.GenAiRequestModel, target.Model);
            tags.Add(AttributeNames.BackendId, target.BackendId);
            if (target.Endpoint is { IsAbsoluteUri: true } endpoint)
            {
                // The host and port only: a path or query may carry a key (Azure's ?api-key=, Gemini's ?key=).
                tags.Add(AttributeNames.ServerAddress, LlmTarget.ServerAddress(endpoint));
                if (endpoint.Port >= 0)
                {
                    tags.Add(AttributeNames.ServerPort, endpoint.Port);
                }
            }

            tags.Add(AttributeNames.AttemptIndex, Index);
            tags.Add(AttributeNames.AttemptKind, KindName(kind));
            tags.Add(AttributeNames.AttemptReason, reason);
            if (delay is { } wait)
            {
                tags.Add(AttributeNames.AttemptDelay, wait.TotalSeconds);
            }
            tags.AddTraceTags(call);
        }
    }

    // A target the gateway meant to call but did not (its circuit was open): ended as it is made,
    // with no span, so that the next attempt is a retry or fallback naming it as its reason.
    private LlmAttempt(LlmCall call, LlmTarget target, Exception failure)
    {
        Call = call;
        Target = target;
        Kind = AttemptKind.Initial;
        Index = -1;
        CallToken = call.CancellationToken;
        Failure = failure;
        _ended = true;
        EndTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// The attempt the running code is inside (the operation given to <c>LlmCall.ExecuteAsync</c>
    /// or <c>LlmCall.StreamAsync</c>, or after <see cref="LlmCall.StartAttempt(LlmTarget)"/>) while it
    /// has not ended, else null. Flows once <see cref="LlmCall.EnableCurrent"/> was called (see
    /// <see cref="LlmCall.Current"/>).
    /// </summary>
    public static LlmAttempt? Current =>
        AmbientLlmScope.Current is LlmAttempt { _ended: false } attempt ? attempt : null;

    /// <summary>The request this attempt belongs to.</summary>
    public LlmCall Call { get; }

    /// <summary>The provider, model and backend called.</summary>
    public LlmTarget Target { get; }

    /// <summary>0 for the first attempt of the request, counting across retries and fallbacks.</summary>
    public int Index { get; }

    /// <summary>Initial, retry or fallback.</summary>
    public AttemptKind Kind { get; }

    /// <summary>Why this attempt was made (the previous attempt's error type), or null for the first.</summary>
    public string? Reason { get; }

    /// <summary>How long was waited before this attempt.</summary>
    /// <remarks>
    /// The policy's backoff or the upstream's Retry-After, or, for an attempt the gateway started itself after a failed
    /// one, the time since that one ended. Zero for the first.
    /// </remarks>
    public TimeSpan Delay { get; }

    /// <summary>
    /// What this attempt failed with (as classified for the policy when a policy ran it), or null while it has not
    /// failed.
    /// </summary>
    public Exception? Failure { get; private set; }

    /// <summary>
    /// The call's own token: cancelled when the client leaves, a during-call guardrail blocks, or the
    /// policy's total timeout passes (never by the attempt timeout). Work an attempt does after its
    /// answer began (reading a body past the attempt timeout's reach) runs under it, with no deadline
    /// of its own to keep.
    /// </summary>
    public System.Threading.CancellationToken CallToken { get; internal set; }

    /// <summary>
    /// This attempt's timeout as its attempt policy names it: the request's deadline when that has
    /// passed, else the attempt timeout. For a result that reads the upstream's answer beyond the
    /// policy's own reach, as the relay reads a body between the forwarder's reads.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public UpstreamTimeoutException TimedOut(Exception? cause) =>
        Sequence?.Timeout(cause, attemptTimedOut: true) ?? new UpstreamTimeoutException(innerException: cause);

    /// <summary>
    /// The policy-run call this attempt is one of, or null for one the gateway started itself
    /// (<see cref="LlmCall.StartAttempt(LlmTarget)"/>).
    /// </summary>
    internal AttemptSequence? Sequence { get; init; }

    /// <summary>True once the attempt ended as a success.</summary>
    internal bool Succeeded { get; private set; }

    /// <summary>True once the attempt ended, in any way.</summary>
    internal bool Ended => _ended;

    /// <summary>
    /// When the attempt started (a <see cref="Stopwatch"/> timestamp), in the latest convention mode; else 0.
    /// </summary>
    internal long StartTimestamp { get; }

    /// <summary>When the attempt ended (a <see cref="Stopwatch"/> timestamp), or 0 while it runs.</summary>
    internal long EndTimestamp { get; private set; }

    /// <summary>
    /// The most bytes this attempt may read of the upstream's response body
    /// (<see cref="LlmRetryPolicy.MaxResponseBytes"/>): pass it to <see cref="UpstreamHttp.ReadBodyAsync"/> /
    /// <see cref="UpstreamHttp.ReadEventsAsync{T}"/>.
    /// </summary>
    public long MaxResponseBytes { get; }

    /// <summary>The attempt's span, or null when it is not recorded.</summary>
    public Activity? Span { get; }

    /// <summary>
    /// Sets this attempt's W3C <c>traceparent</c> (and <c>tracestate</c>) on an upstream request, in
    /// place of any the request had (a relayed client's own go).
    /// </summary>
    public void ApplyTraceContext(HttpRequestMessage request)
    {
        LlmCall.ApplyTraceContext(request, Span ?? Call.Span);
        MarkSent();
    }

    /// <summary>
    /// A target not called because its circuit was open: the attempt the next one names as its reason
    /// (<see cref="LlmCall.RefuseAttempt"/>).
    /// </summary>
    internal static LlmAttempt Refused(LlmCall call, LlmTarget target, Exception failure) => new(call, target, failure);

    /// <summary>
    /// Marks the moment the request goes (<see cref="ApplyTraceContext"/>, or a send that leaves the
    /// headers to HttpClient): the send the time to first chunk counts from.
    /// </summary>
    internal void MarkSent()
    {
        if (AttemptMetrics.Records(Call))
        {
            Call.UpstreamSentTimestamp = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// Ends an attempt still open when its request ends (a response nobody read or disposed) as
    /// abandoned, no later than <paramref name="latestEndUtc"/> (its parent's end): a child never
    /// outlives its parent.
    /// </summary>
    internal void Abandon(DateTime? latestEndUtc)
    {
        if (!_ended && Span is { } span && latestEndUtc is { } latest && latest < DateTime.UtcNow)
        {
            span.SetEndTime(latest < span.StartTimeUtc ? span.StartTimeUtc : latest);
        }

        Dispose();
    }

    /// <summary>Ends the attempt as a success.</summary>
    public void Succeed() => End(null);

    /// <summary>Ends the attempt as a failure: the exception, as <see cref="RecordFailureMeaning"/> says.</summary>
    public void Fail(Exception exception)
    {
        // An exception that says what it means already (the policy's classified failure) is kept as it is.
        ArgumentNullException.ThrowIfNull(exception);
        End(exception is GatewayException ? exception : Call.UpstreamMeaningOf(exception));
    }

    /// <summary>
    /// Records what <paramref name="exception"/>, thrown by this attempt's upstream client, means for the gateway,
    /// so that the exception itself can go on unchanged.
    /// </summary>
    /// <remarks>
    /// A client library throws its own exceptions (OpenAI's <c>ClientResultException</c>), which the app's code
    /// catches. <paramref name="meaning"/> is the <see cref="UpstreamException"/> it is (status, <c>Retry-After</c>),
    /// or the transport failure a library's exception wraps. Where the exception, or one that wraps it, reaches
    /// <see cref="Fail"/>, the attempt policy or the failure path, it is read as <paramref name="meaning"/>.
    /// <c>UseTracedLlm()</c> (TracedLlm.Extensions.AI) does this for the provider clients it wraps.
    /// </remarks>
    public void RecordFailureMeaning(Exception exception, Exception meaning)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(meaning);
        Call.NoteUpstreamFailure(exception, meaning);
    }

    /// <summary>Ends the attempt; one that neither succeeded nor failed is recorded as abandoned.</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            End(abandoned: true);
        }
    }
}
