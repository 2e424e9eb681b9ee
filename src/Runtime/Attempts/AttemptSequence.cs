using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// One upstream call as it runs through the policy's Polly pipelines: which target and kind the next
/// attempt has and why, the call's deadline, how failures are classified, and the LiteLLM-compatible
/// response headers once it is over. The targets are fixed up front (a primary and fallbacks) or
/// chosen by the gateway after each failure (<see cref="TargetSource"/>). The pipelines' callbacks
/// find it in the Polly context.
/// </summary>
internal abstract partial class AttemptSequence : IDisposable
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

    /// <summary>
    /// The operation keeps the policy's attempt timeout itself (the relay: until the answer's headers,
    /// then between reads of its body, on the one source it already has for the forwarder), so the
    /// pipeline's timeout strategy does not time the attempt a second time.
    /// </summary>
    public bool OperationTimesAttempts { get; init; }

    /// <summary>The attempt timeout the pipeline's timeout strategy applies: none when the operation keeps it.</summary>
    internal TimeSpan PipelineAttemptTimeout => OperationTimesAttempts ? System.Threading.Timeout.InfiniteTimeSpan : Policy.AttemptTimeout!.Value;

    /// <summary>Cancelled when the client goes away, a during-call guardrail blocks, or the deadline passes.</summary>
    public CancellationToken Token => _deadline?.Token ?? Call.CancellationToken;

    /// <summary>The client went away or a during-call guardrail blocked: nothing is retried then.</summary>
    public bool CallCancelled => Call.CancellationToken.IsCancellationRequested;

    private bool DeadlinePassed => _deadline is { IsCancellationRequested: true } && !CallCancelled;

    private LlmTarget CurrentTarget => _current;

    /// <summary>A target is left to fall back to: a fixed fallback not yet tried, or the gateway's chooser.</summary>
    private bool CanFallBack => _targets.IsChosen || _fallbackIndex < _targets.FallbackCount;

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
                outcome = await Policy.PipelineFor(first, CanFallBack).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this).ConfigureAwait(false);
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
        return Policy.PipelineFor(CurrentTarget, CanFallBack).ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this);
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

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
