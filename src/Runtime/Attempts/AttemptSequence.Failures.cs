using System;
using System.Globalization;
using System.Threading;
using Polly.CircuitBreaker;

namespace TracedLlm;

// AttemptSequence: what an attempt's exception means for the gateway (a timeout named by what
// ran out, an unreachable upstream, a cut-off or bad answer), as the policy and the failure path name it.
internal abstract partial class AttemptSequence
{
    /// <summary>
    /// What an attempt's exception means for the gateway
    /// (<see cref="UpstreamFailures.Classify(Exception, bool, bool,
    /// Func{Exception, bool, UpstreamTimeoutException})"/>),
    /// its timeouts named by what ran out: the attempt timeout, the deadline, or the upstream.
    /// </summary>
    public Exception Classify(Exception exception, CancellationToken attemptToken)
    {
        var attemptCancelled = attemptToken.IsCancellationRequested || Token.IsCancellationRequested;
        var failure = UpstreamFailures.Classify(exception, CallCancelled, attemptCancelled, Timeout);

        // A client library's own exception, which its step let through unchanged, is what the step said it means
        // (LlmAttempt.RecordFailureMeaning): an error status with its Retry-After, or the transport failure under it.
        if (ReferenceEquals(failure, exception) && exception is not GatewayException && !CallCancelled
            && Call.UpstreamMeaningOf(exception) is var meaning && !ReferenceEquals(meaning, exception))
        {
            failure = UpstreamFailures.Classify(meaning, CallCancelled, attemptCancelled, Timeout);
        }

        return failure;
    }

    /// <summary>
    /// The call's failure once the pipeline gave up: an open circuit or a deadline passed outside an attempt are named
    /// too.
    /// </summary>
    private Exception FinalFailure(Exception exception) => exception switch
    {
        BrokenCircuitException => UpstreamFailures.CircuitOpen(exception, CurrentTarget)!,
        _ => Classify(exception, Token),
    };

    /// <summary>
    /// The timeout named by what ran out: the request's deadline, the attempt timeout, or (a client
    /// or dependency of the provider timing out) just the upstream. The relay's timeouts are named
    /// here too (<see cref="LlmAttempt.TimedOut"/>).
    /// </summary>
    internal UpstreamTimeoutException Timeout(Exception? exception, bool attemptTimedOut) =>
        DeadlinePassed
            ? new UpstreamTimeoutException(
                "The upstream provider did not answer within the request's deadline of "
                + $"{Seconds(Policy.TotalTimeout!.Value)}.",
                deadline: true,
                exception)
            : new UpstreamTimeoutException(
                attemptTimedOut && Policy.AttemptTimeout is { } timeout
                    ? $"The upstream provider did not answer within the attempt timeout of {Seconds(timeout)}."
                    : "The upstream provider did not answer in time.",
                deadline: false,
                exception);

    private static string Seconds(TimeSpan value) =>
        string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###} s");
}
