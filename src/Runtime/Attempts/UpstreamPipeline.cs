using System;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Retry;
using Polly.Timeout;

namespace TracedLlm;

/// <summary>The Polly pipelines of one target, outermost first.</summary>
/// <remarks>
/// Fallback (to the call's next target, run through that target's own pipelines), retry (backoff or the upstream's
/// Retry-After), the target's circuit breaker, and the attempt timeout around one attempt. They are built once per
/// policy and target; everything about one call travels in the <see cref="AttemptSequence"/> kept in the Polly context,
/// so every callback here is static.
/// A call with no target to fall back to (no fallbacks, no chooser) runs <see cref="Last"/>, the
/// same pipeline without the fallback strategy, whose every answer would be "no" for it: the same
/// retry, the same circuit (one instance, inside both) and the same timeout, without a strategy's
/// state machine and predicate per call.
/// </remarks>
internal sealed class UpstreamPipeline
{
    public static readonly ResiliencePropertyKey<AttemptSequence> SequenceKey = new("tracedllm.attempt_sequence");

    private const string Name = "tracedllm.upstream";

    private UpstreamPipeline(ResiliencePipeline<object?> last)
    {
        Last = last;
        var builder = new ResiliencePipelineBuilder<object?> { Name = Name };
        builder.AddFallback(
            new FallbackStrategyOptions<object?>
            {
                ShouldHandle = static args => new ValueTask<bool>(
                    Sequence(args.Context).ShouldFallBack(args.Outcome.Exception)),
                FallbackAction = static args => Sequence(args.Context).FallBackAsync(args.Context),
            });
        WithFallback = builder.AddPipeline(last).Build();
    }

    /// <summary>Fallback around <see cref="Last"/>: for a call that has a target to fall back to.</summary>
    public ResiliencePipeline<object?> WithFallback { get; }

    /// <summary>Retry, circuit breaker and attempt timeout: for a call with no target left to fall back to.</summary>
    public ResiliencePipeline<object?> Last { get; }

    public ResiliencePipeline<object?> For(bool canFallBack) => canFallBack ? WithFallback : Last;

    public static UpstreamPipeline Build(LlmRetryPolicy policy)
    {
        var builder = new ResiliencePipelineBuilder<object?> { Name = Name };
        if (policy.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<object?>
            {
                MaxRetryAttempts = policy.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = policy.BaseDelay,
                MaxDelay = policy.MaxDelay,
                UseJitter = policy.UseJitter,
                ShouldHandle = static args => new ValueTask<bool>(
                    Sequence(args.Context).ShouldRetry(args.Outcome.Exception)),
                DelayGenerator = static args => new ValueTask<TimeSpan?>(args.Outcome.Exception
                    is UpstreamException { RetryAfter: { } wait } ? wait : null),
                OnRetry = static args =>
                {
                    Sequence(args.Context).PrepareRetry(args.RetryDelay);
                    return default;
                },
            });
        }

        if (policy.CircuitBreaker is { } breaker)
        {
            builder.AddCircuitBreaker(
                new CircuitBreakerStrategyOptions<object?>
                {
                    FailureRatio = breaker.FailureRatio,
                    MinimumThroughput = breaker.MinimumThroughput,
                    SamplingDuration = breaker.SamplingDuration,
                    BreakDuration = breaker.BreakDuration,
                    ShouldHandle = static args => new ValueTask<bool>(
                        Sequence(args.Context).CountsAgainstCircuit(args.Outcome.Exception)),
                });
        }

        if (policy.AttemptTimeout is { } timeout)
        {
            // Asked per call: an operation that keeps the attempt timeout itself (the relay) gets none
            // here, and with none Polly rents no source, starts no timer and registers nothing.
            builder.AddTimeout(
                new TimeoutStrategyOptions
                {
                    Timeout = timeout,
                    TimeoutGenerator = static args => new ValueTask<TimeSpan>(
                        Sequence(args.Context).PipelineAttemptTimeout),
                });
        }

        return new UpstreamPipeline(builder.Build());
    }

    public static AttemptSequence Sequence(ResilienceContext context) =>
        context.Properties.GetValue(SequenceKey, null!);

    /// <summary>The innermost callback: one attempt.</summary>
    public static ValueTask<Outcome<object?>> RunAttempt(ResilienceContext context, AttemptSequence sequence) =>
        sequence.RunAttemptAsync(context);
}
