using System;
using System.IO;
using System.Net.Http;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace TracedLlm;

/// <summary>
/// What an exception from an upstream call means for the gateway, wherever the call ran (the attempt policy's pipeline,
/// or an <c>HttpClient</c> whose sends are attempts).
/// </summary>
/// <remarks>
/// A timeout, an unreachable upstream, an error status, a cut-off or bad answer, an open circuit.
/// </remarks>
internal static class UpstreamFailures
{
    private static readonly Func<Exception, bool, UpstreamTimeoutException> PlainTimeout = static (cause, _) =>
        new UpstreamTimeoutException(innerException: cause);

    /// <summary>
    /// The <see cref="UpstreamException"/> that says what <paramref name="exception"/> means; a
    /// cancellation of the call's own (the client left, a during-call guardrail), a
    /// <see cref="GatewayException"/> and anything unknown stay as they are. A cancellation is a
    /// timeout only when the attempt's own token was cancelled (its timeout, the deadline, an HTTP
    /// client's timeout: <paramref name="attemptCancelled"/>) or a timeout caused it: an operation
    /// that cancels itself for a reason of its own is a fault of the gateway's code (500), not a
    /// slow upstream. <paramref name="timeout"/> names a timeout (the exception, and whether the
    /// attempt's own timeout ran out) as the caller knows it.
    /// </summary>
    public static Exception Classify(
        Exception exception,
        bool callCancelled,
        bool attemptCancelled,
        Func<Exception, bool, UpstreamTimeoutException> timeout) =>
        exception switch
        {
            GatewayException => exception,

            // A timeout is the upstream's (or the attempt timeout's) own verdict, never what cancelling
            // the call causes: it stays a timeout also when the call was cancelled meanwhile (it was a
            // bare TimeoutException then, a 500, when a during-call guardrail failed at the same time).
            TimeoutRejectedException => timeout(exception, true),
            TimeoutException => timeout(exception, false),
            _ when callCancelled => exception,
            OperationCanceledException when attemptCancelled => timeout(exception, true),
            OperationCanceledException { InnerException: TimeoutException } => timeout(exception, false),
            HttpRequestException { StatusCode: { } status } => new UpstreamException(
                (int)status,
                $"The upstream provider answered {(int)status}.",
                exception),
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or IOException =>
                UpstreamHttp.Truncated(exception),
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } =>
                new UpstreamBadResponseException(
                    "The upstream provider's answer was not valid HTTP.",
                    truncated: false,
                    exception),
            HttpRequestException => new UpstreamUnreachableException(
                "The upstream provider could not be reached.",
                exception),
            _ => exception,
        };

    /// <summary>
    /// Classifies for a call with no policy of its own to name its timeouts by: an HttpClient's send, or its body read.
    /// </summary>
    /// <remarks>
    /// As <see cref="Classify(Exception, bool, bool, Func{Exception, bool, UpstreamTimeoutException})"/>, its
    /// timeouts read "did not answer in time".
    /// </remarks>
    public static Exception Classify(Exception exception, bool callCancelled, bool attemptCancelled) =>
        Classify(exception, callCancelled, attemptCancelled, PlainTimeout);

    /// <summary>
    /// A circuit breaker's refusal (Polly's <see cref="BrokenCircuitException"/>, an isolated circuit
    /// included): <paramref name="target"/> was not called, so no attempt was made.
    /// </summary>
    public static UpstreamCircuitOpenException? CircuitOpen(Exception exception, LlmTarget target) =>
        exception is BrokenCircuitException broken
            ? new UpstreamCircuitOpenException(target, broken.RetryAfter, broken)
            : null;
}
