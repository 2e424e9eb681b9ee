using System;
using System.Collections.Concurrent;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The upstream request as the gateway sends it: the client's headers as YARP's transformer copies
/// them, less the client's credentials (<c>Authorization</c>, <c>x-api-key</c>), with the gateway's
/// own key in their place, and less the client's <c>Host</c> (the gateway's own name, which a
/// provider behind a shared front end would not route; the upstream's comes from its address, as
/// with YARP's default transforms), and the route's path after its version segment appended to the
/// upstream's base URL (<c>/v1/chat/completions</c> to <c>{BaseUrl}/chat/completions</c>), the query
/// as it came. A transformer of its own rather than YARP's transform builder
/// (<c>AddPathRemovePrefix</c>, <c>AddRequestHeaderRemove</c>, <c>AddRequestHeader</c>): the same
/// request, without the builder's per-request context and its walk over the generic transforms, which
/// took about 3 µs of the relay's CPU a request (bench/results/2026-11-25-relay-cpu-and-bytes.md).
/// A path's upstream address (a <see cref="Uri"/>, parsed) is made once and reused.
/// </summary>
internal sealed class UpstreamTransformer(string? authorization) : HttpTransformer
{
    private const int MaxDestinations = 64;
    private static readonly PathString VersionSegment = new("/v1");
    private readonly ConcurrentDictionary<(string Prefix, string Path), Uri> _destinations = new();
    private int _cached;

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        var copied = base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (!copied.IsCompletedSuccessfully)
        {
            return Completing(copied, httpContext, proxyRequest, destinationPrefix);
        }

        Rewrite(httpContext, proxyRequest, destinationPrefix);
        return default;
    }

    private async ValueTask Completing(ValueTask copied, HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix)
    {
        await copied.ConfigureAwait(false);
        Rewrite(httpContext, proxyRequest, destinationPrefix);
    }

    private void Rewrite(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix)
    {
        var headers = proxyRequest.Headers;
        headers.Host = null;
        headers.Remove("Authorization");
        headers.Remove("x-api-key");
        if (authorization is not null)
        {
            headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var request = httpContext.Request;
        if (request.QueryString.HasValue)
        {
            proxyRequest.RequestUri = Destination(destinationPrefix, request.Path, request.QueryString);
            return;
        }

        // A route's path is the same on every request: its upstream address is parsed once. The cache is
        // bounded (routing matches paths case-insensitively, so a client can vary the spelling).
        var key = (destinationPrefix, request.Path.Value ?? string.Empty);
        if (!_destinations.TryGetValue(key, out var destination))
        {
            destination = Destination(destinationPrefix, request.Path, QueryString.Empty);
            // Counted, not asked of the dictionary: its Count takes every lock, on every miss once it is full.
            if (Volatile.Read(ref _cached) < MaxDestinations && _destinations.TryAdd(key, destination))
            {
                Interlocked.Increment(ref _cached);
            }
        }

        proxyRequest.RequestUri = destination;
    }

    private static Uri Destination(string destinationPrefix, PathString path, QueryString query) =>
        RequestUtilities.MakeDestinationAddress(destinationPrefix, path.StartsWithSegments(VersionSegment, out var rest) ? rest : path, query);
}
