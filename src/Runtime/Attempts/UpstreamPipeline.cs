using System;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Retry;
using Polly.Timeout;

namespace TracedLlm;

/// <summary>
/// The Polly pipeline of one target, outermost first: fallback (to the call's next target, run
/// through that target's own pipeline), retry (backoff or the upstream's Retry-After), the target's
/// circuit breaker, and the attempt timeout around one attempt. The pipeline is built once per policy
/// and target; everything about one call travels in the <see cref="AttemptSequence"/> kept in the
/// Polly context, so every callback here is static.
/// </summary>
internal static class UpstreamPipeline
{
    public static readonly ResiliencePropertyKey<AttemptSequence> SequenceKey = new("tracedllm.attempt_sequence");

    public static ResiliencePipeline<object?> Build(LlmRetryPolicy policy)
    {
        var builder = new ResiliencePipelineBuilder<object?> { Name = "tracedllm.upstream" };
        builder.AddFallback(new FallbackStrategyOptions<object?>
        {
            ShouldHandle = static args => new ValueTask<bool>(Sequence(args.Context).ShouldFallBack(args.Outcome.Exception)),
            FallbackAction = static args => Sequence(args.Context).FallBackAsync(args.Context),
        });

        if (policy.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<object?>
            {
                MaxRetryAttempts = policy.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = policy.BaseDelay,
                MaxDelay = policy.MaxDelay,
                UseJitter = policy.UseJitter,
                ShouldHandle = static args => new ValueTask<bool>(Sequence(args.Context).ShouldRetry(args.Outcome.Exception)),
                DelayGenerator = static args => new ValueTask<TimeSpan?>(args.Outcome.Exception is UpstreamException { RetryAfter: { } wait } ? wait : null),
                OnRetry = static args =>
                {
                    Sequence(args.Context).PrepareRetry(args.RetryDelay);
                    return default;
                },
            });
        }

        if (policy.CircuitBreaker is { } breaker)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<object?>
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = static args => new ValueTask<bool>(Sequence(args.Context).CountsAgainstCircuit(args.Outcome.Exception)),
            });
        }

        if (policy.AttemptTimeout is { } timeout)
        {
            builder.AddTimeout(new TimeoutStrategyOptions { Timeout = timeout });
        }

        return builder.Build();
    }

    public static AttemptSequence Sequence(ResilienceContext context) => context.Properties.GetValue(SequenceKey, null!);

    /// <summary>The innermost callback: one attempt.</summary>
    public static ValueTask<Outcome<object?>> RunAttempt(ResilienceContext context, AttemptSequence sequence) => sequence.RunAttemptAsync(context);
}
