using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>One upstream call as it runs through the policy's Polly pipelines.</summary>
/// <remarks>
/// Which target and kind the next attempt has and why, the call's deadline, how failures are classified, and the
/// LiteLLM-compatible response headers once it is over. The targets are fixed up front (a primary and fallbacks) or
/// chosen by the gateway after each failure (<see cref="TargetSource"/>). The pipelines' callbacks find it in the Polly
/// context.
/// </remarks>
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
    /// The operation keeps the policy's attempt timeout itself, so the pipeline's timeout strategy does not time the
    /// attempt a second time.
    /// </summary>
    /// <remarks>
    /// The relay does: until the answer's headers, then between reads of its body, on the one source it already has for
    /// the forwarder.
    /// </remarks>
    public bool OperationTimesAttempts { get; init; }

    /// <summary>
    /// The attempt timeout the pipeline's timeout strategy applies: none when the operation keeps it.
    /// </summary>
    internal TimeSpan PipelineAttemptTimeout =>
        OperationTimesAttempts ? System.Threading.Timeout.InfiniteTimeSpan : Policy.AttemptTimeout!.Value;

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
                outcome = await Policy
                    .PipelineFor(first, CanFallBack)
                    .ExecuteOutcomeAsync(UpstreamPipeline.RunAttempt, context, this)
                    .ConfigureAwait(false);
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
                    throw new OperationCanceledException(
                        "The call was cancelled before the gateway chose its next target.",
                        exception,
                        Call.CancellationToken);
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

    /// <summary>
    /// One attempt: the innermost callback of the pipeline. Never throws; a failure is classified and returned.
    /// </summary>
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

    /// <summary>
    /// Ends the attempt as failed with the classified failure, which the next attempt names as its reason.
    /// </summary>
    protected Exception Fail(LlmAttempt attempt, Exception exception, CancellationToken attemptToken)
    {
        var failure = Classify(exception, attemptToken);
        attempt.Fail(failure);
        _lastFailure = failure;
        return failure;
    }

    public bool CountsAgainstCircuit(Exception? failure) =>
        failure is not null
        && !CallCancelled
        && Policy.CircuitBreaker is { } breaker
        && breaker.CountsAsFailure(failure);

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
    /// <c>x-litellm-max-retries</c>) with the counts so far, when the call writes them and the response has not
    /// started.
    /// </summary>
    /// <remarks>
    /// Once the call is over, or earlier when an attempt's answer starts the response itself (the relay's, through
    /// <see cref="Pipeline.ResultStage.WriteAttemptHeaders"/>).
    /// </remarks>
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
