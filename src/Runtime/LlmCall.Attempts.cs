using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using TracedLlm.Telemetry;

namespace TracedLlm;

// LlmCall: the upstream attempts, started by the gateway's own loop or by an HttpClient whose sends are attempts,
// and the trace context each carries upstream (the attempt policy's entry points are in LlmCall.Policy.cs).
public sealed partial class LlmCall
{
    /// <summary>
    /// Sets the W3C <c>traceparent</c> (and <c>tracestate</c>) of the current span on an outbound upstream request, in
    /// place of any it had.
    /// </summary>
    /// <remarks>
    /// A <c>tracestate</c> the request had goes, as it belonged to another <c>traceparent</c>.
    /// </remarks>
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
    /// Records that <paramref name="target"/> was not called because its circuit was open (an HttpClient's resilience
    /// handler refused the send).
    /// </summary>
    /// <remarks>
    /// No attempt was made, and the next one is a retry or fallback naming <paramref name="failure"/> as its reason, as
    /// the attempt policy's are.
    /// </remarks>
    internal void RefuseAttempt(LlmTarget target, Exception failure)
    {
        var previous = Volatile.Read(ref _lastAttempt);
        if (previous is null || previous.Ended)
        {
            Volatile.Write(ref _lastAttempt, LlmAttempt.Refused(this, target, failure));
        }
    }

    /// <summary>
    /// A response body an HttpClient attempt is reading as the app reads it: its attempt ends with the body, or with
    /// the request.
    /// </summary>
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

    /// <summary>
    /// Ends, as abandoned, the attempts whose response bodies nobody read to their end or disposed by the time the
    /// request ends.
    /// </summary>
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
        Volatile.Read(ref _httpAttempts)
        ?? Interlocked.CompareExchange(ref _httpAttempts, new HttpAttemptState(), null)
        ?? _httpAttempts;

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
