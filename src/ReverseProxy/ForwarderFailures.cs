using System;
using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

/// <summary>
/// What YARP's forwarder reported on a request (<see cref="IForwarderErrorFeature"/>), read in one place
/// for the relay's attempts and for a traced route that calls <see cref="IHttpForwarder.SendAsync(HttpContext, string, HttpMessageInvoker, ForwarderRequestConfig, HttpTransformer)"/>
/// itself, whose failure the pipeline then records (<see cref="UnthrownFailure"/>) however the route answered.
/// </summary>
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

    /// <summary>
    /// The reader the pipeline asks when a traced request would end as the app answered it: the
    /// forwarder's error as the failure's cause, or the client's departure when the forwarder says the
    /// client's side failed (or its request was cancelled because the client left).
    /// </summary>
    public static UnthrownFailure? Reported(HttpContext httpContext)
    {
        if (!TryRead(httpContext, out var error, out var cause))
        {
            return null;
        }

        var clientLeft = error is ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient
            || (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
                && httpContext.RequestAborted.IsCancellationRequested);
        return new UnthrownFailure(cause, $"YARP's forwarder reported {error} ({cause.GetType().Name}).", clientLeft);
    }
}
