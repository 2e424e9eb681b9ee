using System;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;

namespace TracedLlm;

// AttemptSequence: what follows a failed attempt, a retry on the same target, a fallback to the next or the gateway's
// own choice of one, or the end of the call.
internal abstract partial class AttemptSequence
{
    public bool ShouldRetry(Exception? failure)
    {
        if (failure is null
            || StopsForCancellation(failure)
            || DeadlinePassed
            || failure is BrokenCircuitException
            || !Policy.IsRetryable(failure))
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

    // An upstream that asks for a longer wait than the policy allows, or than the deadline leaves, will not be ready in
    // time.
    private bool RetryAfterFits(Exception failure) =>
        failure is not UpstreamException { RetryAfter: { } wait }
        || (wait <= Policy.MaxRetryAfter && wait < RemainingTime());

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
        return Policy
            .PipelineFor(CurrentTarget, CanFallBack)
            .ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this);
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
        _cancelledBeforeChoice |=
            _targets.IsChosen
            && failure is not OperationCanceledException
            && (!ReferenceEquals(failure, _choiceFor) || _choice is not null);
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
            var canRetry =
                _attempts < Policy.MaxAttempts
                && _retriesOnTarget < Policy.MaxRetries
                && failure is not BrokenCircuitException
                && !CallCancelled
                && !DeadlinePassed
                && Policy.IsRetryable(failure)
                && RetryAfterFits(failure);
            try
            {
                var choice = _targets.Choose(new LlmAttemptFailure(CurrentTarget, failure, attempt, canRetry));
                _choice = _attempts < Policy.MaxAttempts ? choice : null;
            }
            catch (Exception exception)
            {
                // Thrown from inside Polly's predicates: kept, and thrown as the call's failure once the pipeline is
                // out.
                _chooserFailure = ExceptionDispatchInfo.Capture(exception);
            }
        }

        return _choice;
    }
}
