using System;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Threading;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace TracedLlm;

// AttemptSequence: what an attempt's exception means for the gateway (a timeout named by what
// ran out, an unreachable upstream, a cut-off or bad answer), as the policy and the failure path name it.
internal abstract partial class AttemptSequence
{
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

    /// <summary>
    /// The timeout named by what ran out: the request's deadline, the attempt timeout, or (a client
    /// or dependency of the provider timing out) just the upstream. The relay's timeouts are named
    /// here too (<see cref="LlmAttempt.TimedOut"/>).
    /// </summary>
    internal UpstreamTimeoutException Timeout(Exception? exception, bool attemptTimedOut) => DeadlinePassed
        ? new UpstreamTimeoutException($"The upstream provider did not answer within the request's deadline of {Seconds(Policy.TotalTimeout!.Value)}.", deadline: true, exception)
        : new UpstreamTimeoutException(
            attemptTimedOut && Policy.AttemptTimeout is { } timeout
                ? $"The upstream provider did not answer within the attempt timeout of {Seconds(timeout)}."
                : "The upstream provider did not answer in time.",
            deadline: false,
            exception);

    private static string Seconds(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###} s");
}
