using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Runtime.ExceptionServices;
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
/// response headers once it is over. The targets are fixed up front (a primary and fallbacks) or
/// chosen by the gateway after each failure (<see cref="TargetSource"/>). The pipelines' callbacks
/// find it in the Polly context.
/// </summary>
internal abstract class AttemptSequence : IDisposable
{
    private readonly TargetSource _targets;
    private readonly CancellationTokenSource? _deadline;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private LlmTarget _current = null!;
    private int _fallbackIndex;
    private int _attempts;
    private int _retries;
    private int _fallbacksUsed;
    private AttemptKind _nextKind = AttemptKind.Initial;
    private TimeSpan _nextDelay;
    private Exception? _lastFailure;
    private LlmAttempt? _lastAttempt;
    private bool _finished;

    // The gateway's answer for the failure it was asked about: asked once per failure, though the
    // retry strategy and then the fallback strategy both look at it.
    private Exception? _choiceFor;
    private LlmTarget? _choice;
    private int _retriesOnTarget;

    // What the gateway's chooser threw: the call's failure, as it is (never classified as the upstream's).
    private ExceptionDispatchInfo? _chooserFailure;

    // The call was cancelled before the gateway's chooser could be asked about a failure: the
    // cancellation ends the call, not that failure (which its attempt keeps).
    private bool _cancelledBeforeChoice;

    protected AttemptSequence(LlmCall call, TargetSource targets, LlmRetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Call = call;
        Policy = policy;
        _targets = targets;
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

    private LlmTarget CurrentTarget => _current;

    /// <summary>
    /// Runs the call through the primary target's pipeline (which falls back through the others') to
    /// its end: the successful attempt's result, or the call's failure thrown (named as
    /// <see cref="FinalFailure"/> says). One async method for the whole run: each async layer
    /// around the pipeline was a state machine allocated and resumed on every call.
    /// </summary>
    protected async Task<TResult> RunToResultAsync<TResult>(bool endsCall)
    {
        try
        {
            if (_targets.First() is not { } first)
            {
                Finish();
                throw new UpstreamUnavailableException();
            }

            _current = first;
            Outcome<object?> outcome;
            var context = ResilienceContextPool.Shared.Get(Token);
            context.Properties.Set(UpstreamPipeline.SequenceKey, this);
            try
            {
                outcome = await Policy.PipelineFor(first).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            Finish();
            _chooserFailure?.Throw();
            if (outcome.Exception is { } exception)
            {
                if (_cancelledBeforeChoice && exception is not OperationCanceledException)
                {
                    // A during-call guardrail that failed (or a client that left) stopped the gateway's own
                    // routing: the failure path names that, as it does for any call its cancellation ended.
                    throw new OperationCanceledException("The call was cancelled before the gateway chose its next target.", exception, Call.CancellationToken);
                }

                var failure = FinalFailure(exception);
                if (ReferenceEquals(failure, exception))
                {
                    outcome.ThrowIfException();
                }

                throw failure;
            }

            return (TResult)outcome.Result!;
        }
        finally
        {
            if (endsCall)
            {
                // The whole call ran here: its deadline goes with it.
                Dispose();
            }
        }
    }

    /// <summary>One attempt: the innermost callback of the pipeline. Never throws; a failure is classified and returned.</summary>
    public abstract ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context);

    protected LlmAttempt NextAttempt()
    {
        var kind = _nextKind;
        _attempts++;
        return _lastAttempt = new LlmAttempt(
            Call,
            CurrentTarget,
            kind,
            _lastFailure?.GetType().FullName,
            kind == AttemptKind.Initial ? null : _nextDelay,
            Policy.MaxResponseBytes)
        {
            CallToken = Token,
            Sequence = this,
        };
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
            UpstreamHttp.Truncated(exception),
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
        if (failure is null || StopsForCancellation(failure) || DeadlinePassed || failure is BrokenCircuitException || !Policy.IsRetryable(failure))
        {
            return false;
        }

        // The gateway retries by choosing the target that just failed.
        if (_targets.IsChosen && !Equals(Choose(failure), CurrentTarget))
        {
            return false;
        }

        return RetryAfterFits(failure);
    }

    // An upstream that asks for a longer wait than the policy allows, or than the deadline leaves, will not be ready in time.
    private bool RetryAfterFits(Exception failure) =>
        failure is not UpstreamException { RetryAfter: { } wait } || (wait <= Policy.MaxRetryAfter && wait < RemainingTime());

    public void PrepareRetry(TimeSpan delay)
    {
        _retries++;
        _retriesOnTarget++;
        _nextKind = AttemptKind.Retry;
        _nextDelay = delay;
    }

    public bool ShouldFallBack(Exception? failure)
    {
        if (failure is null || StopsForCancellation(failure) || DeadlinePassed)
        {
            return false;
        }

        if (failure is BrokenCircuitException broken)
        {
            // No attempt was made: the fallback names the open circuit as its reason.
            failure = _lastFailure = new UpstreamCircuitOpenException(CurrentTarget, broken.RetryAfter, broken);
            if (!_targets.IsChosen)
            {
                return _fallbackIndex < _targets.FallbackCount;
            }
        }
        else if (!Policy.ShouldFallBack(failure) || (!_targets.IsChosen && _fallbackIndex >= _targets.FallbackCount))
        {
            return false;
        }

        // A gateway that chose the failed target again has retried already, or may not: the call ends.
        return !_targets.IsChosen || Choose(failure) is { } next && !next.Equals(CurrentTarget);
    }

    public ValueTask<Outcome<object?>> FallBackAsync(ResilienceContext context)
    {
        _current = _targets.IsChosen ? _choice! : _targets.Fallback(_fallbackIndex++);
        _fallbacksUsed++;
        _retriesOnTarget = 0;
        _nextKind = AttemptKind.Fallback;
        _nextDelay = TimeSpan.Zero;
        return Policy.PipelineFor(CurrentTarget).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this);
    }

    /// <summary>
    /// True when the call was cancelled: nothing more is tried. A failure after which the gateway's
    /// chooser would have been asked, or had chosen a target, is then not the call's failure: the
    /// cancellation is (see <see cref="_cancelledBeforeChoice"/>).
    /// </summary>
    private bool StopsForCancellation(Exception failure)
    {
        if (!CallCancelled)
        {
            return false;
        }

        // Unless the chooser had already answered that no target was left: the failure was the call's then.
        _cancelledBeforeChoice |= _targets.IsChosen && failure is not OperationCanceledException && (!ReferenceEquals(failure, _choiceFor) || _choice is not null);
        return true;
    }

    /// <summary>
    /// The gateway's next target after <paramref name="failure"/> (asked once per failure, with it,
    /// so the gateway can mark its health), or null: none, or the call's attempts are spent.
    /// </summary>
    private LlmTarget? Choose(Exception failure)
    {
        if (!ReferenceEquals(failure, _choiceFor))
        {
            _choiceFor = failure;
            _choice = null;
            var attempt = _lastAttempt is { } last && ReferenceEquals(last.Failure, failure) ? last : null;
            var canRetry = _attempts < Policy.MaxAttempts && _retriesOnTarget < Policy.MaxRetries && failure is not BrokenCircuitException
                && !CallCancelled && !DeadlinePassed && Policy.IsRetryable(failure) && RetryAfterFits(failure);
            try
            {
                var choice = _targets.Choose(new LlmAttemptFailure(CurrentTarget, failure, attempt, canRetry));
                _choice = _attempts < Policy.MaxAttempts ? choice : null;
            }
            catch (Exception exception)
            {
                // Thrown from inside Polly's predicates: kept, and thrown as the call's failure once the pipeline is out.
                _chooserFailure = ExceptionDispatchInfo.Capture(exception);
            }
        }

        return _choice;
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
            // The request's counts: a handler may make more than one upstream call.
            span.SetTag(AttributeNames.AttemptRetries, Call.Retries);
            span.SetTag(AttributeNames.AttemptFallbacks, Call.Fallbacks);
        }

        WriteResponseHeaders();
    }

    /// <summary>
    /// LiteLLM's <c>x-litellm-attempted-retries</c> / <c>-fallbacks</c> (and, after a retry,
    /// <c>x-litellm-max-retries</c>) with the counts so far, when the call writes them and the
    /// response has not started: once the call is over, or earlier when an attempt's answer starts
    /// the response itself (the relay's, through <see cref="Pipeline.ResultStage.WriteAttemptHeaders"/>).
    /// </summary>
    internal void WriteResponseHeaders()
    {
        var response = Call.HttpContext.Response;
        if (response.HasStarted || !Call.WritesAttemptResponseHeaders)
        {
            return;
        }

        response.Headers["x-litellm-attempted-retries"] = Text(_retries);
        response.Headers["x-litellm-attempted-fallbacks"] = Text(_fallbacksUsed);
        if (_retries > 0)
        {
            response.Headers["x-litellm-max-retries"] = Text(Policy.MaxRetries);
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

    public ExecuteSequence(LlmCall call, TargetSource targets, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, Task<T>> operation)
        : base(call, targets, policy)
    {
        _operation = operation;
    }

    /// <summary>Runs the call to its end, the sequence (its deadline) disposed then: no async frame of its own around the run.</summary>
    public Task<T> RunAsync() => RunToResultAsync<T>(endsCall: true);

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

    public StreamSequence(LlmCall call, TargetSource targets, LlmRetryPolicy policy, Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
        : base(call, targets, policy)
    {
        _operation = operation;
    }

    /// <summary>The stream whose first chunk arrived, or null when it ended empty (that attempt succeeded).</summary>
    public async Task<UpstreamStream<T>?> StartAsync()
    {
        var stream = await RunToResultAsync<UpstreamStream<T>>(endsCall: false).ConfigureAwait(false);
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
