using System;
using System.Net.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace TracedLlm;

/// <summary>Where one relay attempt goes, in YARP's terms.</summary>
/// <remarks>
/// The destination's address prefix (the request's path and query are appended, as YARP's forwarder does, unless a
/// transform sets the URI), the <see cref="HttpMessageInvoker"/> that sends, the <see cref="HttpTransformer"/> that
/// shapes the request and the response's headers, and the <see cref="ForwarderRequestConfig"/>. Anything left null is
/// the relay's default: its own pooled invoker (no proxy, no cookies, no redirects, no decompression),
/// <see cref="HttpTransformer.Default"/>, and no request settings.
/// </remarks>
public sealed class RelayDestination
{
    /// <summary>Creates a destination.</summary>
    /// <param name="address">The address prefix, e.g. <c>https://api.openai.com</c>.</param>
    /// <param name="invoker">The invoker that sends (a YARP cluster's <c>HttpClient</c>, say), or null for the relay's
    /// own.</param>
    /// <param name="transformer">The request and response transforms (a YARP route's <c>Transformer</c>, say), or null
    /// for <see cref="HttpTransformer.Default"/>.</param>
    /// <param name="requestConfig">The forwarder's request settings (HTTP version, activity timeout), or null.</param>
    public RelayDestination(
        string address,
        HttpMessageInvoker? invoker = null,
        HttpTransformer? transformer = null,
        ForwarderRequestConfig? requestConfig = null)
        : this(address, invoker, transformer, requestConfig, validated: false) { }

    /// <summary>
    /// A destination whose address was already checked (YARP's configuration checks its destinations' as it loads
    /// them).
    /// </summary>
    internal RelayDestination(
        string address,
        HttpMessageInvoker? invoker,
        HttpTransformer? transformer,
        ForwarderRequestConfig? requestConfig,
        bool validated)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (!validated
            && (address.Length < 8
                || !Uri.TryCreate(address, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"'{address}' is not an http or https address.", nameof(address));
        }

        Address = address;
        Invoker = invoker;
        Transformer = transformer;
        RequestConfig = requestConfig;
    }

    /// <summary>The address prefix.</summary>
    public string Address { get; }

    /// <summary>The invoker, or null for the relay's own.</summary>
    public HttpMessageInvoker? Invoker { get; }

    /// <summary>The transforms, or null for <see cref="HttpTransformer.Default"/>.</summary>
    public HttpTransformer? Transformer { get; }

    /// <summary>The forwarder's request settings, or null.</summary>
    public ForwarderRequestConfig? RequestConfig { get; }

    /// <summary>
    /// The YARP route, cluster and destination this one came from (set as the request's <c>IReverseProxyFeature</c>
    /// while it is forwarded, for the transforms that read it), or null.
    /// </summary>
    internal (RouteModel Route, ClusterState Cluster, DestinationState Destination)? Yarp { get; init; }
}
