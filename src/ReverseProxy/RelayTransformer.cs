using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

/// <summary>The destination's own transforms, run as they are, around what one relay attempt adds.</summary>
/// <remarks>
/// The attempt's <c>traceparent</c> on the upstream request, and the decision on the upstream's answer
/// (<see cref="RelayAttempt.OnResponseAsync"/>) before anything of it reaches the client.
/// </remarks>
internal sealed class RelayTransformer(HttpTransformer inner, RelayAttempt attempt) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext,
        HttpRequestMessage proxyRequest,
        string destinationPrefix,
        CancellationToken cancellationToken)
    {
        await inner
            .TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken)
            .ConfigureAwait(false);
        attempt.Attempt.ApplyTraceContext(proxyRequest);

        // A YARP cluster's client would put its own send's span in the attempt's place (AttemptTracePropagator); the
        // relay's own client propagates nothing of its own, and its requests go unmarked.
        if (attempt.Destination.Invoker is not null)
        {
            AttemptTracePropagator.Mark(proxyRequest, attempt.Attempt.Span ?? attempt.Attempt.Call.Span);
        }

        if (attempt.Run.AsksForIdentity)
        {
            // The stream's last event is held back, which needs its bytes as they are on the wire.
            proxyRequest.Headers.Remove("Accept-Encoding");
            proxyRequest.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        }
    }

    public override ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext,
        HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken) =>
        proxyResponse is null
            ? inner.TransformResponseAsync(httpContext, proxyResponse, cancellationToken)
            : attempt.OnResponseAsync(httpContext, proxyResponse, inner, cancellationToken);

    public override ValueTask TransformResponseTrailersAsync(
        HttpContext httpContext,
        HttpResponseMessage proxyResponse,
        CancellationToken cancellationToken
    ) => inner.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
}
