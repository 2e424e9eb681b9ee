using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// One upstream call as it runs through the policy's Polly pipelines: which target and kind the next
/// attempt has and why, the call's deadline, how failures are classified, and the LiteLLM-compatible
/// response headers once it is over. The pipelines' callbacks find it in the Polly context.
/// </summary>
internal abstract class AttemptSequence : IDisposable
{
    private readonly LlmTarget _primary;
    private readonly IReadOnlyList<LlmTarget> _fallbacks;
    private readonly CancellationTokenSource? _deadline;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private int _target;
    private int _index;
    private int _retries;
    private int _fallbacksUsed;
    private AttemptKind _nextKind = AttemptKind.Initial;
    private TimeSpan _nextDelay;
    private Exception? _lastFailure;
    private bool _finished;

    protected AttemptSequence(LlmCall call, LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(fallbacks);
        ArgumentNullException.ThrowIfNull(policy);
        Call = call;
        Policy = policy;
        _primary = primary;
        _fallbacks = fallbacks;
        if (policy.TotalTimeout is { } total)
        {
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
            _deadline.CancelAfter(total);
        }
    }

    public LlmCall Call { get; }

    public LlmRetryPolicy Policy { get; }

    /// <summary>Cancelled when the client goes away, a during-call guardrail blocks, or the deadline passes.</summary>
    public CancellationToken Token => _deadline?.Token ?? Call.CancellationToken;

    /// <summary>The client went away or a during-call guardrail blocked: nothing is retried then.</summary>
    public bool CallCancelled => Call.CancellationToken.IsCancellationRequested;

    private bool DeadlinePassed => _deadline is { IsCancellationRequested: true } && !CallCancelled;

    private LlmTarget CurrentTarget => _target == 0 ? _primary : _fallbacks[_target - 1];

    /// <summary>
    /// Runs the call through the primary target's pipeline (which falls back through the others') to
    /// its end: the successful attempt's result, or the call's failure thrown (named as
    /// <see cref="FinalFailure"/> says). One async method for the whole run: each async layer
    /// around the pipeline was a state machine allocated and resumed on every call.
    /// </summary>
    protected async Task<TResult> RunToResultAsync<TResult>()
    {
        Outcome<object?> outcome;
        var context = ResilienceContextPool.Shared.Get(Token);
        context.Properties.Set(UpstreamPipeline.SequenceKey, this);
        try
        {
            outcome = await Policy.PipelineFor(_primary).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        Finish();
        if (outcome.Exception is { } exception)
        {
            var failure = FinalFailure(exception);
            if (ReferenceEquals(failure, exception))
            {
                outcome.ThrowIfException();
            }

            throw failure;
        }

        return (TResult)outcome.Result!;
    }

    /// <summary>One attempt: the innermost callback of the pipeline. Never throws; a failure is classified and returned.</summary>
    public abstract ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context);

    protected LlmAttempt NextAttempt()
    {
        var kind = _nextKind;
        return new LlmAttempt(
            Call,
            CurrentTarget,
            _index++,
            kind,
            _lastFailure?.GetType().FullName,
            kind == AttemptKind.Initial ? null : _nextDelay,
            Policy.MaxResponseBytes);
    }

    /// <summary>Ends the attempt as failed with the classified failure, which the next attempt names as its reason.</summary>
    protected Exception Fail(LlmAttempt attempt, Exception exception, CancellationToken attemptToken)
    {
        var failure = Classify(exception, attemptToken);
        attempt.Fail(failure);
        _lastFailure = failure;
        return failure;
    }

    /// <summary>
    /// What an attempt's exception means for the gateway: a timeout, an unreachable upstream, an
    /// error status or a cut-off response become the <see cref="UpstreamException"/> that says so;
    /// a cancellation by the client (or a during-call guardrail), a <see cref="GatewayException"/>
    /// and anything unknown stay as they are. A cancellation is a timeout only when the attempt's
    /// timeout, the deadline or an HTTP client's timeout caused it: an operation that cancels
    /// itself for a reason of its own is a fault of the gateway's code (500), not a slow upstream.
    /// </summary>
    public Exception Classify(Exception exception, CancellationToken attemptToken) => exception switch
    {
        GatewayException => exception,

        // A timeout is the upstream's (or the attempt timeout's) own verdict, never what cancelling
        // the call causes: it stays a timeout also when the call was cancelled meanwhile (it was a
        // bare TimeoutException then, a 500, when a during-call guardrail failed at the same time).
        TimeoutRejectedException => Timeout(exception, attemptTimedOut: true),
        TimeoutException => Timeout(exception, attemptTimedOut: false),
        _ when CallCancelled => exception,
        OperationCanceledException when attemptToken.IsCancellationRequested || Token.IsCancellationRequested => Timeout(exception, attemptTimedOut: true),
        OperationCanceledException { InnerException: TimeoutException } => Timeout(exception, attemptTimedOut: false),
        HttpRequestException { StatusCode: { } status } => new UpstreamException((int)status, $"The upstream provider answered {(int)status}.", exception),
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or IOException =>
            new UpstreamBadResponseException("The upstream provider's response was cut off before its end.", truncated: true, exception),
        HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } =>
            new UpstreamBadResponseException("The upstream provider's answer was not valid HTTP.", truncated: false, exception),
        HttpRequestException => new UpstreamUnreachableException("The upstream provider could not be reached.", exception),
        _ => exception,
    };

    /// <summary>The call's failure once the pipeline gave up: an open circuit or a deadline passed outside an attempt are named too.</summary>
    private Exception FinalFailure(Exception exception) => exception switch
    {
        BrokenCircuitException broken => new UpstreamCircuitOpenException(CurrentTarget, broken.RetryAfter, broken),
        _ => Classify(exception, Token),
    };

    public bool ShouldRetry(Exception? failure)
    {
        if (failure is null || CallCancelled || DeadlinePassed || failure is BrokenCircuitException || !Policy.IsRetryable(failure))
        {
            return false;
        }

        // An upstream that asks for a longer wait than the policy allows, or than the deadline leaves, will not be ready in time.
        return failure is not UpstreamException { RetryAfter: { } wait } || (wait <= Policy.MaxRetryAfter && wait < RemainingTime());
    }

    public void PrepareRetry(TimeSpan delay)
    {
        _retries++;
        _nextKind = AttemptKind.Retry;
        _nextDelay = delay;
    }

    public bool ShouldFallBack(Exception? failure)
    {
        if (failure is null || CallCancelled || DeadlinePassed || _target >= _fallbacks.Count)
        {
            return false;
        }

        if (failure is BrokenCircuitException broken)
        {
            // No attempt was made: the fallback names the open circuit as its reason.
            _lastFailure = new UpstreamCircuitOpenException(CurrentTarget, broken.RetryAfter, broken);
            return true;
        }

        return Policy.ShouldFallBack(failure);
    }

    public ValueTask<Outcome<object?>> FallBackAsync(ResilienceContext context)
    {
        _target++;
        _fallbacksUsed++;
        _nextKind = AttemptKind.Fallback;
        _nextDelay = TimeSpan.Zero;
        return Policy.PipelineFor(CurrentTarget).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this);
    }

    public bool CountsAgainstCircuit(Exception? failure) =>
        failure is not null && !CallCancelled && Policy.CircuitBreaker is { } breaker && breaker.CountsAsFailure(failure);

    /// <summary>Records how many retries and fallbacks it took, on the LLM span and as response headers.</summary>
    private void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        if (Call.Span is { IsAllDataRequested: true } span)
        {
            span.SetTag(AttributeNames.AttemptRetries, _retries);
            span.SetTag(AttributeNames.AttemptFallbacks, _fallbacksUsed);
        }

        var response = Call.HttpContext.Response;
        if (!response.HasStarted && Call.WritesAttemptResponseHeaders)
        {
            response.Headers["x-litellm-attempted-retries"] = Text(_retries);
            response.Headers["x-litellm-attempted-fallbacks"] = Text(_fallbacksUsed);
            if (_retries > 0)
            {
                response.Headers["x-litellm-max-retries"] = Text(Policy.MaxRetries);
            }
        }
    }

    public void Dispose() => _deadline?.Dispose();

    private TimeSpan RemainingTime() =>
        Policy.TotalTimeout is { } total ? total - Stopwatch.GetElapsedTime(_startTimestamp) : TimeSpan.MaxValue;

    /// <summary>The timeout named by what ran out: the request's deadline, the attempt timeout, or (a client or dependency of the provider timing out) just the upstream.</summary>
    private UpstreamTimeoutException Timeout(Exception exception, bool attemptTimedOut) => DeadlinePassed
        ? new UpstreamTimeoutException($"The upstream provider did not answer within the request's deadline of {Seconds(Policy.TotalTimeout!.Value)}.", deadline: true, exception)
        : new UpstreamTimeoutException(
            attemptTimedOut && Policy.AttemptTimeout is { } timeout
                ? $"The upstream provider did not answer within the attempt timeout of {Seconds(timeout)}."
                : "The upstream provider did not answer in time.",
            deadline: false,
            exception);

    private static string Seconds(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###} s");

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A call that completes with one result.</summary>
internal sealed class ExecuteSequence<T> : AttemptSequence
{
    private readonly Func<LlmAttempt, CancellationToken, Task<T>> _operation;

    public ExecuteSequence(LlmCall call, LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
        : base(call, primary, fallbacks, policy)
    {
        _operation = operation;
    }

    public Task<T> RunAsync() => RunToResultAsync<T>();

    public override async ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context)
    {
        var attempt = NextAttempt();
        try
        {
            var result = await _operation(attempt, context.CancellationToken).ConfigureAwait(false);
            attempt.Succeed();
            return Outcome.FromResult<object?>(result);
        }
        catch (Exception exception)
        {
            return Outcome.FromException<object?>(Fail(attempt, exception, context.CancellationToken));
        }
    }
}

/// <summary>A streamed call: attempts are retried and fall back until one yields its first chunk (or ends empty).</summary>
internal sealed class StreamSequence<T> : AttemptSequence
{
    private readonly Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> _operation;

    public StreamSequence(LlmCall call, LlmTarget primary, IReadOnlyList<LlmTarget> fallbacks, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
        : base(call, primary, fallbacks, policy)
    {
        _operation = operation;
    }

    /// <summary>The stream whose first chunk arrived, or null when it ended empty (that attempt succeeded).</summary>
    public async Task<UpstreamStream<T>?> StartAsync()
    {
        var stream = await RunToResultAsync<UpstreamStream<T>>().ConfigureAwait(false);
        return stream.Started ? stream : null;
    }

    public override async ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context)
    {
        var attempt = NextAttempt();

        // The stream outlives this pipeline execution, and the attempt timeout's token goes back to
        // Polly's pool when the execution ends: the stream gets a token of its own, which the attempt
        // timeout cancels only while the first chunk is awaited.
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        IAsyncEnumerator<T>? chunks = null;
        try
        {
            bool started;
            using (context.CancellationToken == Token ? default : context.CancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), cancellation))
            {
                // Inside the try: a provider that throws before its first await still ends its attempt.
                chunks = _operation(attempt, cancellation.Token).GetAsyncEnumerator(cancellation.Token);
                started = await chunks.MoveNextAsync().ConfigureAwait(false);
            }

            var stream = new UpstreamStream<T>(this, attempt, chunks, cancellation, started);
            if (!started)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            return Outcome.FromResult<object?>(stream);
        }
        catch (Exception exception)
        {
            if (chunks is not null)
            {
                await UpstreamStream<T>.DisposeQuietlyAsync(chunks, attempt).ConfigureAwait(false);
            }

            var failure = Fail(attempt, exception, cancellation.Token);
            cancellation.Dispose();
            return Outcome.FromException<object?>(failure);
        }
    }
}

/// <summary>
/// A stream past its first chunk, read outside the pipeline: each chunk within the attempt timeout,
/// the provider resuming under its attempt's span; a failure now fails the stream (no retry can
/// follow a chunk the client has seen) and its attempt.
/// </summary>
internal sealed class UpstreamStream<T> : IAsyncDisposable
{
    private readonly AttemptSequence _sequence;
    private readonly LlmAttempt _attempt;
    private readonly IAsyncEnumerator<T> _chunks;
    private readonly CancellationTokenSource _cancellation;
    private bool _ended;

    public UpstreamStream(AttemptSequence sequence, LlmAttempt attempt, IAsyncEnumerator<T> chunks, CancellationTokenSource cancellation, bool started)
    {
        _sequence = sequence;
        _attempt = attempt;
        _chunks = chunks;
        _cancellation = cancellation;
        Started = started;
        if (!started)
        {
            _ended = true;
            attempt.Succeed();
        }
    }

    public bool Started { get; }

    public T Current => _chunks.Current;

    public async ValueTask<bool> MoveNextAsync()
    {
        // The provider resumes under its attempt's span, whatever the consumer's current span is.
        if (_attempt.Span is { } span)
        {
            Spans.MakeCurrent(span);
        }

        var idle = _sequence.Policy.AttemptTimeout;
        try
        {
            if (idle is { } timeout)
            {
                _cancellation.CancelAfter(timeout);
            }

            if (await _chunks.MoveNextAsync().ConfigureAwait(false))
            {
                return true;
            }

            _ended = true;
            _attempt.Succeed();
            return false;
        }
        catch (Exception exception)
        {
            var failure = _sequence.Classify(exception, _cancellation.Token);
            if (!_sequence.CallCancelled)
            {
                // An upstream failure mid-stream; a client that left is recorded as an abandoned attempt on disposal.
                _ended = true;
                _attempt.Fail(failure);
            }

            if (ReferenceEquals(failure, exception))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            if (idle is not null && !_cancellation.IsCancellationRequested)
            {
                // A slow client between chunks is not a slow upstream.
                _cancellation.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeQuietlyAsync(_chunks, _attempt).ConfigureAwait(false);
        _cancellation.Dispose();
        if (!_ended)
        {
            _ended = true;
            _attempt.Dispose();
        }
    }

    /// <summary>Disposes a provider's enumerator; a failure while it cleans up is recorded on the attempt, not thrown over the failure that matters.</summary>
    public static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<T> chunks, LlmAttempt attempt)
    {
        try
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            attempt.Span?.AddException(exception);
        }
    }
}
