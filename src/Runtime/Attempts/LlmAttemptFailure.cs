using System;

namespace TracedLlm;

/// <summary>
/// A failed attempt, as the gateway's target chooser is told of it (<c>LlmCall.ExecuteAsync(chooseTarget, ...)</c>).
/// </summary>
/// <remarks>
/// Which target failed and how, so the gateway can mark that target's health (a 429's <c>Retry-After</c>, say) before
/// it chooses the next.
/// </remarks>
public sealed class LlmAttemptFailure
{
    /// <summary>Creates the failure (the pipeline does; a test of a chooser may too).</summary>
    /// <param name="target">The target that failed.</param>
    /// <param name="exception">What it failed with.</param>
    /// <param name="attempt">Its attempt, or null when none was made.</param>
    /// <param name="canRetry">Whether the policy would retry the same target.</param>
    public LlmAttemptFailure(LlmTarget target, Exception exception, LlmAttempt? attempt = null, bool canRetry = false)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(exception);
        Target = target;
        Exception = exception;
        Attempt = attempt;
        CanRetry = canRetry;
    }

    /// <summary>The target that failed.</summary>
    public LlmTarget Target { get; }

    /// <summary>
    /// What it failed with, classified as the policy sees it: a timeout, connection failure or error status as the
    /// <see cref="UpstreamException"/> that says so, the operation's own exception otherwise.
    /// </summary>
    /// <remarks>
    /// <see cref="UpstreamCircuitOpenException"/> when the target's circuit was open.
    /// </remarks>
    public Exception Exception { get; }

    /// <summary>
    /// The attempt that failed (its span already ended), or null when no attempt was made (an open circuit).
    /// </summary>
    public LlmAttempt? Attempt { get; }

    /// <summary>The status the upstream answered with, or null when it did not answer with an error status.</summary>
    public int? StatusCode =>
        Exception is UpstreamException { UpstreamStatusCode: >= 400 } upstream ? upstream.UpstreamStatusCode : null;

    /// <summary>
    /// True when choosing <see cref="Target"/> again would be a retry the policy makes: the failure is
    /// retryable, the target has retries left (<see cref="LlmRetryPolicy.MaxRetries"/>), its
    /// <c>Retry-After</c> fits, the deadline has not passed. Choosing it when this is false ends the call.
    /// </summary>
    public bool CanRetry { get; }

    /// <summary>
    /// How long the upstream asked to be left alone (<c>Retry-After</c>, <c>retry-after-ms</c>), or null.
    /// </summary>
    public TimeSpan? RetryAfter => (Exception as UpstreamException)?.RetryAfter;
}
