using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

// LlmCall: calls run through the attempt policy (ExecuteAsync, StreamAsync), on one target and its fallbacks or on
// the targets the gateway chooses.
public sealed partial class LlmCall
{
    /// <summary>
    /// Calls upstream through <paramref name="policy"/> (a Polly pipeline: retries, attempt timeout, the total
    /// deadline, a circuit breaker per target, and the policy's <see cref="LlmRetryPolicy.Fallbacks"/>).
    /// </summary>
    /// <remarks>
    /// One <c>raw_gen_ai_request</c> span per attempt, and the <c>x-litellm-attempted-retries</c> /
    /// <c>x-litellm-attempted-fallbacks</c> (and, after a retry, <c>x-litellm-max-retries</c>) response headers. The
    /// operation gets a token that the attempt timeout, the deadline and the client's going away cancel. When every
    /// attempt has failed, the last failure is thrown: a timeout, connection failure or cut-off response as the
    /// <see cref="UpstreamException"/> that says so (<see cref="UpstreamTimeoutException"/>, 504; ...).
    /// </remarks>
    public Task<T> ExecuteAsync<T>(
        LlmTarget primary,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ExecuteAsync(primary, policy.Fallbacks, policy, operation);
    }

    /// <summary>
    /// Calls upstream as
    /// <see cref="ExecuteAsync{T}(LlmTarget, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, Task{T}})"/> does,
    /// falling back to this call's own <paramref name="fallbacks"/> instead of the policy's.
    /// </summary>
    /// <remarks>
    /// One policy (built once, holding the circuits) serves calls whose fallback models differ.
    /// </remarks>
    public Task<T> ExecuteAsync<T>(
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> operation
    ) => ExecuteAsync(primary, fallbacks, policy, operation, operationTimesAttempts: false);

    internal Task<T> ExecuteAsync<T>(
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> operation,
        bool operationTimesAttempts)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new ExecuteSequence<T>(this, new TargetSource(primary, fallbacks), policy, operation)
        {
            OperationTimesAttempts = operationTimesAttempts
        }.RunAsync();
    }

    /// <summary>
    /// Calls upstream through <paramref name="policy"/> on the targets the gateway chooses, one at a time, from its own
    /// state (priorities, health, round-robin, model groups).
    /// </summary>
    /// <remarks>
    /// Before the first attempt <paramref name="chooseTarget"/> is asked with null; after each failure worth another
    /// attempt (the policy's <see cref="LlmRetryPolicy.ShouldFallBack"/> or <see cref="LlmRetryPolicy.IsRetryable"/>),
    /// with that failure, so the gateway can mark the target's health, and it answers with the next target, or null to
    /// stop (the failure is then the call's). Choosing the target that just failed is a retry: made after the policy's
    /// backoff (or the upstream's <c>Retry-After</c>) while the failure is retryable and
    /// <see cref="LlmRetryPolicy.MaxRetries"/> allows, else the call ends; choosing another is a fallback, made at
    /// once. At most <see cref="LlmRetryPolicy.MaxAttempts"/> attempts. The gateway's health state is the circuit
    /// breaker here: leave <see cref="LlmRetryPolicy.CircuitBreaker"/> null unless you want both. A chooser with no
    /// target at all fails the call with <see cref="UpstreamUnavailableException"/> (503). Timeouts, the deadline, the
    /// response size limit, the spans and headers are as in
    /// <see cref="ExecuteAsync{T}(LlmTarget, LlmRetryPolicy, Func{LlmAttempt, CancellationToken, Task{T}})"/>.
    /// </remarks>
    public Task<T> ExecuteAsync<T>(
        Func<LlmAttemptFailure?, LlmTarget?> chooseTarget,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(chooseTarget);
        ArgumentNullException.ThrowIfNull(operation);
        return new ExecuteSequence<T>(this, new TargetSource(chooseTarget), policy, operation).RunAsync();
    }

    /// <summary>
    /// Streams from upstream through <paramref name="policy"/>, retrying and falling back until an attempt yields its
    /// first chunk.
    /// </summary>
    /// <remarks>
    /// After it, a failure fails the stream (thrown to the consumer, which the generated pipeline turns into an error
    /// event) and its attempt. Each chunk must come within the policy's attempt timeout. The attempt span stays open
    /// until the stream ends.
    /// </remarks>
    public IAsyncEnumerable<T> StreamAsync<T>(
        LlmTarget primary,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return StreamAsync(primary, policy.Fallbacks, policy, operation);
    }

    /// <summary>
    /// Streams as
    /// <see cref="StreamAsync{T}(LlmTarget, LlmRetryPolicy,
    /// Func{LlmAttempt, CancellationToken, IAsyncEnumerable{T}})"/> does, with this call's own
    /// <paramref name="fallbacks"/>.
    /// </summary>
    public IAsyncEnumerable<T> StreamAsync<T>(
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return StreamAsync(new TargetSource(primary, fallbacks), policy, operation);
    }

    /// <summary>
    /// Streams on the targets the gateway chooses, one at a time, as
    /// <see cref="ExecuteAsync{T}(Func{LlmAttemptFailure, LlmTarget}, LlmRetryPolicy,
    /// Func{LlmAttempt, CancellationToken, Task{T}})"/> calls: the chooser is asked after each failure before the
    /// first chunk.
    /// </summary>
    /// <remarks>
    /// After it, a failure fails the stream.
    /// </remarks>
    public IAsyncEnumerable<T> StreamAsync<T>(
        Func<LlmAttemptFailure?, LlmTarget?> chooseTarget,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(chooseTarget);
        ArgumentNullException.ThrowIfNull(operation);
        return StreamAsync(new TargetSource(chooseTarget), policy, operation);
    }

    // An iterator: the sequence (and its deadline's timer) exists only once the stream is read.
    private async IAsyncEnumerable<T> StreamAsync<T>(
        TargetSource targets,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
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
}
