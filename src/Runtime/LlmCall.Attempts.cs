using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

// LlmCall: the upstream attempts, started by the gateway's own loop or run through the attempt
// policy (ExecuteAsync, StreamAsync), and the trace context each carries upstream.
public sealed partial class LlmCall
{
    /// <summary>
    /// Sets the W3C <c>traceparent</c> (and <c>tracestate</c>) of the current span on an outbound
    /// upstream request, in place of any the request had (a <c>tracestate</c> it had goes, as it
    /// belonged to another <c>traceparent</c>).
    /// </summary>
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

    /// <summary>
    /// Records that <paramref name="target"/> was not called because its circuit was open (an
    /// HttpClient's resilience handler refused the send): no attempt was made, and the next one is a
    /// retry or fallback naming <paramref name="failure"/> as its reason, as the attempt policy's are.
    /// </summary>
    internal void RefuseAttempt(LlmTarget target, Exception failure)
    {
        var previous = Volatile.Read(ref _lastAttempt);
        if (previous is null || previous.Ended)
        {
            Volatile.Write(ref _lastAttempt, LlmAttempt.Refused(this, target, failure));
        }
    }

    /// <summary>A response body an HttpClient attempt is reading as the app reads it: its attempt ends with the body, or with the request.</summary>
    internal void TrackOpenBody(IDisposable body)
    {
        var state = HttpAttempts;
        lock (state)
        {
            state.OpenBodies.Add(body);
        }
    }

    internal void UntrackOpenBody(IDisposable body)
    {
        var state = HttpAttempts;
        lock (state)
        {
            state.OpenBodies.Remove(body);
        }
    }

    /// <summary>Ends, as abandoned, the attempts whose response bodies nobody read to their end or disposed by the time the request ends.</summary>
    private void AbandonOpenBodies()
    {
        if (Volatile.Read(ref _httpAttempts) is not { } state)
        {
            return;
        }

        IDisposable[] open;
        lock (state)
        {
            open = state.OpenBodies.ToArray();
            state.OpenBodies.Clear();
        }

        foreach (var body in open)
        {
            body.Dispose();
        }
    }

    private HttpAttemptState HttpAttempts =>
        Volatile.Read(ref _httpAttempts) ?? Interlocked.CompareExchange(ref _httpAttempts, new HttpAttemptState(), null) ?? _httpAttempts;

    /// <summary>What an HttpClient whose sends are attempts left on the request (its own lock).</summary>
    private sealed class HttpAttemptState
    {
        public List<IDisposable> OpenBodies { get; } = new(1);

        /// <summary>The latest exceptions upstream clients let out, each with what it means.</summary>
        public List<(Exception Thrown, Exception Meaning)>? Explained { get; set; }
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
    public Task<T> ExecuteAsync<T>(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation) =>
        ExecuteAsync(primary, fallbacks, policy, operation, operationTimesAttempts: false);

    internal Task<T> ExecuteAsync<T>(LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation, bool operationTimesAttempts)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new ExecuteSequence<T>(this, new TargetSource(primary, fallbacks), policy, operation) { OperationTimesAttempts = operationTimesAttempts }.RunAsync();
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

        // The span's state or none: a tracestate already on the request (a relayed client's headers,
        // one the join found invalid or did not join) belongs to another traceparent.
        request.Headers.Remove("traceparent");
        request.Headers.TryAddWithoutValidation("traceparent", span.Id);
        request.Headers.Remove("tracestate");
        if (span.TraceStateString is { Length: > 0 } state)
        {
            request.Headers.TryAddWithoutValidation("tracestate", state);
        }
    }
}
