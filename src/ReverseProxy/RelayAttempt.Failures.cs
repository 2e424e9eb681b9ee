using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using Microsoft.AspNetCore.Http;
using TracedLlm.Reading;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

// RelayAttempt: what went wrong, named as the attempt policy and the failure path name it: a body
// that ended short or broken, an exception while reading it, a forwarder that found no answer.
internal sealed partial class RelayAttempt
{
    /// <summary>The body ended: null when the response was whole, else the failure that says how it was not.</summary>
    public Exception? EndBody()
    {
        _decoder?.Dispose();
        Reader?.Complete();
        if (Unreadable || Reader is not { } reader)
        {
            return null;
        }

        return reader.Failure();
    }

    /// <summary>
    /// What an exception while reading the body means: the client left, a timeout, a cut-off response, or (anything
    /// else) itself.
    /// </summary>
    public Exception ClassifyBodyFailure(Exception exception)
    {
        if (Run.Call.CancellationToken.IsCancellationRequested)
        {
            return exception is OperationCanceledException
                ? exception
                : new OperationCanceledException(Run.Call.CancellationToken);
        }

        return exception switch
        {
            GatewayException => exception,
            // The deadline, or the attempt's idle timeout, cancelled the read (named as the attempt policy names its
            // timeouts). A destination's own activity timeout, shorter than those, cancels a read passed on as it
            // comes through the forwarder's token; any other cancellation is the code's own (500).
            OperationCanceledException when Run.DeadlinePassed(Attempt) || Cancellation.IsCancellationRequested =>
                Attempt.TimedOut(exception),
            OperationCanceledException
                when Mode == BodyMode.Pass && Destination.RequestConfig?.ActivityTimeout is not null =>
                new UpstreamTimeoutException(innerException: exception),
            TimeoutException => new UpstreamTimeoutException(innerException: exception),
            IOException or HttpRequestException => UpstreamHttp.Truncated(exception),
            _ => exception,
        };
    }

    /// <summary>
    /// An upstream failure fails the attempt and may be retried; a guardrail's block or a client that left does not.
    /// </summary>
    public static bool IsUpstreamFailure(Exception failure) => failure is UpstreamException;

    /// <summary>The forwarder found no answer: what happened, as the policy and the failure path name it.</summary>
    private Exception RequestFailure(ForwarderError error, HttpContext httpContext, CancellationToken attemptToken)
    {
        // The forwarder's own exception, as a route that calls it itself records it (ForwarderFailures).
        var cause = ForwarderFailures.TryRead(httpContext, out _, out var reported) ? reported : null;
        if (Run.Call.CancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException(Run.Call.CancellationToken);
        }

        return error switch
        {
            // The forwarder names any cancellation it did not cause a timeout. The relay's own activity
            // timeout outlasts the policy's attempt timeout, so unless the destination set a shorter
            // one, a cancellation with no timeout inside is the invoker's own (500), not the upstream's.
            ForwarderError.RequestTimedOut
                when cause is OperationCanceledException { InnerException: not TimeoutException }
                    && Destination.RequestConfig?.ActivityTimeout is null => cause,
            ForwarderError.RequestTimedOut => new UpstreamTimeoutException(innerException: cause),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled when Run.DeadlinePassed(Attempt) =>
                Attempt.TimedOut(cause),

            // This attempt's own wait for the headers cancelled the forwarder: the attempt timeout, or the
            // destination's own activity timeout that the relay keeps for a run that holds its bodies.
            ForwarderError.RequestCanceled
            or ForwarderError.RequestBodyCanceled when Cancellation.IsCancellationRequested => _destinationsWait
                ? new UpstreamTimeoutException(innerException: cause)
                : Attempt.TimedOut(cause),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => new OperationCanceledException(
                "The upstream attempt was cancelled.",
                cause,
                attemptToken),
            ForwarderError.ResponseHeaders => new UpstreamBadResponseException(
                "The upstream provider answered with headers that cannot be relayed.",
                truncated: false,
                cause),
            ForwarderError.ResponseBodyDestination => UpstreamHttp.Truncated(cause),
            // A failure to connect or send; anything else the invoker threw (its own bug, a block) is itself.
            _ => cause switch
            {
                null => new HttpRequestException($"The upstream request failed ({error})."),
                IOException => new HttpRequestException($"The upstream request failed ({error}).", cause),
                _ => cause,
            },
        };
    }
}
