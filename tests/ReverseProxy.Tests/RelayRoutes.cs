using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Where a test host's relay routes send: addresses tried in order (each after the first a fallback), or a YARP route.
/// </summary>
public sealed class RelayUpstreams
{
    public IReadOnlyList<string> Addresses { get; init; } = new List<string>();

    public LlmRetryPolicy Policy { get; init; } = LlmRetryPolicy.None;

    /// <summary>
    /// When set, each destination's own forwarder activity timeout (its <c>ForwarderRequestConfig</c>).
    /// </summary>
    public System.TimeSpan? ActivityTimeout { get; init; }

    /// <summary>When set, the routes relay as this YARP route of the host's proxy configuration.</summary>
    public string? YarpRoute { get; init; }

    public Task<LlmRelayResult> RelayAsync(LlmCall call, LlmRelay relay, string provider)
    {
        if (YarpRoute is { } route)
        {
            return relay.ForwardToRouteAsync(call, route, Policy, provider);
        }

        var model = call.Model ?? "unknown";
        var targets = Addresses
            .Select((_, i) => new LlmTarget(i == 0 ? provider : provider + "-fallback-" + i, model))
            .ToArray();
        return relay.ForwardAsync(
            call,
            targets[0],
            targets[1..],
            Policy,
            attempt => new RelayDestination(
                Addresses[System.Array.IndexOf(targets, attempt.Target)],
                requestConfig: ActivityTimeout is { } activity
                    ? new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = activity }
                    : null));
    }
}

/// <summary>Relay routes: one handler each, for both stream modes, the upstream's bytes relayed.</summary>
public static class RelayRoutes
{
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static Task<LlmRelayResult> Chat(
        LlmCall call,
        [FromServices] LlmRelay relay,
        [FromServices] RelayUpstreams upstreams) => upstreams.RelayAsync(call, relay, "openai");

    [TracedLlmRoute("POST", "/v1/messages")]
    public static Task<LlmRelayResult> Messages(
        LlmCall call,
        [FromServices] LlmRelay relay,
        [FromServices] RelayUpstreams upstreams) => upstreams.RelayAsync(call, relay, "anthropic");

    [TracedLlmRoute("POST", "/v1/responses")]
    public static Task<LlmRelayResult> Responses(
        LlmCall call,
        [FromServices] LlmRelay relay,
        [FromServices] RelayUpstreams upstreams) => upstreams.RelayAsync(call, relay, "openai");
}
