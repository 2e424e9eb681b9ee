using System;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

/// <summary>
/// What YARP's forwarder reported on a request (<see cref="IForwarderErrorFeature"/>), read in one place.
/// </summary>
/// <remarks>
/// The relay's attempts read it, and so does the pipeline for a traced route that calls
/// <c>IHttpForwarder.SendAsync</c> itself: it records the failure (<see cref="UnthrownFailure"/>)
/// however the route answered.
/// </remarks>
internal static class ForwarderFailures
{
    /// <summary>
    /// The forwarder's error on the request and what it threw (an <see cref="HttpRequestException"/>
    /// naming the error when the forwarder kept no exception); false when it reported none.
    /// </summary>
    public static bool TryRead(HttpContext httpContext, out ForwarderError error, out Exception cause)
    {
        if (httpContext.Features.Get<IForwarderErrorFeature>() is not { Error: not ForwarderError.None } reported)
        {
            (error, cause) = (ForwarderError.None, null!);
            return false;
        }

        error = reported.Error;
        cause = reported.Exception ?? new HttpRequestException($"The upstream request failed ({error}).");
        return true;
    }

    /// <summary>The reader the pipeline asks when a traced request would end as the app answered it.</summary>
    /// <remarks>
    /// The forwarder's error is the failure's cause; or the client's departure, when the forwarder says the
    /// client's side failed (or its request was cancelled because the client left).
    /// </remarks>
    public static UnthrownFailure? Reported(HttpContext httpContext)
    {
        if (!TryRead(httpContext, out var error, out var cause))
        {
            return null;
        }

        var clientLeft = error is ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient
            || (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
                    or ForwarderError.ResponseBodyCanceled
                && httpContext.RequestAborted.IsCancellationRequested);
        return new UnthrownFailure(cause, $"YARP's forwarder reported {error} ({cause.GetType().Name}).", clientLeft);
    }
}
