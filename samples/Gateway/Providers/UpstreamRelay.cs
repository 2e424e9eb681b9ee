using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading.Tasks;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The gateway's upstream path (<c>Upstream:BaseUrl</c>): each request relayed to the upstream's own
/// path for its route (<c>{BaseUrl}/chat/completions</c>, <c>{BaseUrl}/messages</c>) through
/// TracedLlm.ReverseProxy, its bytes passed back as they come; retried on transient failures, and
/// falling back to the embedded provider (over HTTP, in process) when <c>Upstream:FallbackToEmbedded</c>.
/// The client's credentials never go upstream: the <see cref="UpstreamTransformer"/> puts the gateway's own key in their place.
/// </summary>
public sealed class UpstreamRelay
{
    private readonly LlmRelay _relay;
    private readonly LlmRetryPolicy _policy;
    private readonly RelayDestination _upstream;
    private readonly RelayDestination? _embedded;
    private readonly Func<LlmAttempt, RelayDestination> _destinationFor;

    /// <summary>Creates the relay.</summary>
    /// <param name="relay">TracedLlm's relay.</param>
    /// <param name="baseUrl">The upstream's base URL, its version segment included (<c>http://127.0.0.1:11434/v1</c>).</param>
    /// <param name="apiKey">The upstream's key, sent as <c>Authorization: Bearer</c>, or null.</param>
    /// <param name="policy">Retries, timeouts, circuit breaker and response limit, shared by every request.</param>
    /// <param name="embedded">The embedded provider to fall back to, or null for none.</param>
    public UpstreamRelay(LlmRelay relay, Uri baseUrl, string? apiKey, LlmRetryPolicy policy, EmbeddedUpstream? embedded)
    {
        _relay = relay;
        _policy = policy;
        var prefix = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var authorization = apiKey is null ? null : "Bearer " + apiKey;

        // The route's path after its version (/v1/chat/completions -> /chat/completions) goes after
        // the base URL, which has its own version; the query goes on as it came.
        var transformer = new UpstreamTransformer(authorization);
        _upstream = new RelayDestination(prefix, invoker: null, transformer);
        _embedded = embedded is null ? null : new RelayDestination(EmbeddedUpstream.Address, new HttpMessageInvoker(embedded), HttpTransformer.Empty);
        _destinationFor = DestinationFor;
    }

    /// <summary>Relays the request to the upstream (model as the client asked), then to the embedded provider.</summary>
    public Task<LlmRelayResult> ForwardAsync(LlmCall call, string model)
    {
        var primary = new LlmTarget(OpenAiCompatibleProvider.ProviderName, model);
        IReadOnlyList<LlmTarget> fallbacks = _embedded is null ? Array.Empty<LlmTarget>() : new[] { new LlmTarget(EmbeddedChatClient.ProviderName, model) };
        return _relay.ForwardAsync(call, primary, fallbacks, _policy, _destinationFor);
    }

    // One delegate for every request: a lambda that reads the instance's fields is a new object each call.
    private RelayDestination DestinationFor(LlmAttempt attempt) =>
        attempt.Target.Provider == EmbeddedChatClient.ProviderName ? _embedded! : _upstream;
}
