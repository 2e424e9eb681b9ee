using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TracedLlm.Relay;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace TracedLlm;

/// <summary>
/// Relays a traced request to an upstream through YARP's <see cref="IHttpForwarder"/>, inside the request's upstream
/// attempts.
/// </summary>
/// <remarks>
/// The body the guardrails read goes upstream (the metadata slot cut out), the upstream's status, headers and body come
/// back as they are (compressed or not, JSON or server-sent events), and the response's model, id, usage, finish
/// reasons and stream timings are read as they pass and recorded on the attempt and LLM spans. An error answer (429,
/// 5xx...), a refused connection or a timeout before the first byte is not relayed: the attempt policy retries or falls
/// back (Polly, <c>Retry-After</c> honoured); after the first byte a failure ends the stream with an error event in the
/// route's format. Register it with <c>AddTracedLlmRelay()</c> and take it as a handler parameter; return what it
/// returns.
/// </remarks>
public sealed class LlmRelay
{
    private readonly IOptions<LlmRelayOptions> _options;
    private readonly IServiceProvider _services;
    private TracedLlmOptions? _gatewayOptions;
    private readonly ILoadBalancingPolicy[] _loadBalancing;
    // The last settings made, reused while policies ask for the same timeout (one reference: read whole by concurrent
    // requests).
    private ForwarderRequestConfig? _lastConfig;
    private IProxyStateLookup? _proxyState;
    private static readonly ConditionalWeakTable<DestinationModel, Uri> Endpoints = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RelaySettings> _settings = new(
        StringComparer.Ordinal);

    /// <summary>Created by DI (<c>AddTracedLlmRelay()</c>).</summary>
    public LlmRelay(
        IHttpForwarder forwarder,
        IOptions<LlmRelayOptions> options,
        IEnumerable<ILlmGuardrail> guardrails,
        IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(guardrails);
        ArgumentNullException.ThrowIfNull(services);
        Forwarder = forwarder;
        _options = options;
        _services = services;
        var all = guardrails.ToArray();
        HasPostCallGuardrails = all.Any(g => (g.Modes & GuardrailMode.PostCall) != 0);
        HasDuringCallGuardrails = all.Any(g => (g.Modes & GuardrailMode.DuringCall) != 0);
        _loadBalancing = services.GetServices<ILoadBalancingPolicy>().ToArray();

        // As YARP's direct forwarding recommends: pooled connections, no proxy, no cookies, no
        // redirects, no decompression (the bytes go on as they came). The attempt writes the
        // upstream's traceparent itself, so the handler starts no Activity of its own.
        DefaultInvoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            EnableMultipleHttp2Connections = true,
        });
    }

    internal IHttpForwarder Forwarder { get; }

    internal HttpMessageInvoker DefaultInvoker { get; }

    internal bool HasPostCallGuardrails { get; }

    internal bool HasDuringCallGuardrails { get; }

    /// <summary>
    /// The gateway's content bound (<see cref="TracedLlmOptions.MaxContentLength"/>), from DI (AddTracedLlm's
    /// singleton, the options the pipeline reads), resolved at the first captured answer.
    /// </summary>
    internal int MaxContentLength =>
        (_gatewayOptions ??= _services.GetRequiredService<TracedLlmOptions>()).MaxContentLength;

    /// <summary>
    /// Relays to one destination address (the request's path and query appended), retried as <paramref name="policy"/>
    /// says.
    /// </summary>
    public Task<LlmRelayResult> ForwardAsync(
        LlmCall call,
        LlmTarget target,
        string destinationAddress,
        LlmRetryPolicy policy)
    {
        var destination = new RelayDestination(destinationAddress);
        return ForwardAsync(call, target, Array.Empty<LlmTarget>(), policy, _ => destination);
    }

    /// <summary>
    /// Relays through <paramref name="policy"/>: <paramref name="primary"/> first, then
    /// <paramref name="fallbacks"/>; <paramref name="destinationFor"/> says where each attempt goes
    /// (its target is <see cref="LlmAttempt.Target"/>).
    /// </summary>
    public Task<LlmRelayResult> ForwardAsync(
        LlmCall call,
        LlmTarget primary,
        IReadOnlyList<LlmTarget> fallbacks,
        LlmRetryPolicy policy,
        Func<LlmAttempt, RelayDestination> destinationFor)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(fallbacks);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(destinationFor);
        return new RelayRun(this, call, policy, destinationFor, SettingsFor(call)).RunAsync(primary, fallbacks);
    }

    /// <summary>
    /// Relays as a YARP route of the application's proxy configuration (<c>AddReverseProxy()</c>) would forward.
    /// </summary>
    /// <remarks>
    /// The route's transforms, its cluster's HTTP client and request settings, and its available destinations, the one
    /// the cluster's load-balancing policy picks first and the others as fallbacks in order. Each attempt's provider is
    /// the destination's or cluster's metadata <c>gen_ai.provider.name</c>, else <paramref name="provider"/>, else the
    /// cluster id; its model is the request's.
    /// </remarks>
    public Task<LlmRelayResult> ForwardToRouteAsync(
        LlmCall call,
        string routeId,
        LlmRetryPolicy policy,
        string? provider = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentException.ThrowIfNullOrEmpty(routeId);
        ArgumentNullException.ThrowIfNull(policy);
        var lookup =
            ProxyState
            ?? throw new InvalidOperationException(
                "No YARP proxy configuration: call builder.Services.AddReverseProxy() (and load its routes) to "
                + "relay through a route.");
        if (!lookup.TryGetRoute(routeId, out var route))
        {
            throw new InvalidOperationException($"The YARP configuration has no route '{routeId}'.");
        }

        var cluster =
            route.Cluster ?? throw new InvalidOperationException($"The YARP route '{routeId}' has no cluster.");
        var available = cluster.DestinationsState.AvailableDestinations;
        if (available.Count == 0)
        {
            throw new UpstreamException(
                503,
                $"The upstream cluster '{cluster.ClusterId}' has no available destination.");
        }

        // The picked destination first, the others after it in their order: the fallbacks.
        var first = Pick(call, cluster, available);
        var order = new DestinationState[available.Count];
        order[0] = first;
        for (int i = 0, next = 1; i < available.Count; i++)
        {
            if (!ReferenceEquals(available[i], first) && next < order.Length)
            {
                order[next++] = available[i];
            }
        }

        var model = call.Model ?? "unknown";
        var fallbacks = order.Length == 1 ? Array.Empty<LlmTarget>() : new LlmTarget[order.Length - 1];
        for (var i = 1; i < order.Length; i++)
        {
            fallbacks[i - 1] = TargetOf(order[i], cluster, provider, model);
        }

        var config = cluster.Model.Config;
        return ForwardAsync(call, TargetOf(first, cluster, provider, model), fallbacks, policy, attempt =>
        {
            // Each target names its destination: a retry stays on it, a fallback goes to the next one.
            var destination = order[0];
            foreach (var candidate in order)
            {
                if (candidate.DestinationId == attempt.Target.BackendId)
                {
                    destination = candidate;
                    break;
                }
            }

            // YARP validated the address when it loaded the configuration: it is not parsed again per attempt.
            return new RelayDestination(destination.Model.Config.Address, cluster.Model.HttpClient, route.Transformer,
                config.HttpRequest, validated: true)
            {
                Yarp = (route, cluster, destination),
            };
        });
    }

    // YARP's proxy state, resolved on first use (null when the application has no AddReverseProxy()).
    private IProxyStateLookup? ProxyState => _proxyState ??= _services.GetService<IProxyStateLookup>();

    /// <summary>
    /// The forwarder's request settings: the destination's, with an activity timeout longer than the
    /// policy's attempt timeout (which is the one that fires), and none when the policy has none. A run
    /// whose guardrails hold its bodies gives the forwarder none at all, not even the destination's
    /// own: the forwarder sees one read for many of the upstream's and the guardrails' checks, and its
    /// timeout, once passed, would fail its next write to the client and reset the connection. The
    /// relay keeps that time itself there (<see cref="RelayAttempt"/>).
    /// </summary>
    internal ForwarderRequestConfig RequestConfigFor(
        RelayDestination destination,
        LlmRetryPolicy policy,
        bool holdsBodies)
    {
        var timeout =
            policy.AttemptTimeout is { } attempt && !holdsBodies
                ? attempt + TimeSpan.FromSeconds(1)
                : TimeSpan.FromDays(1);
        if (destination.RequestConfig is { } own)
        {
            return own.ActivityTimeout is null || holdsBodies ? own with { ActivityTimeout = timeout } : own;
        }

        if (Volatile.Read(ref _lastConfig) is { } last && last.ActivityTimeout == timeout)
        {
            return last;
        }

        var config = new ForwarderRequestConfig { ActivityTimeout = timeout };
        Volatile.Write(ref _lastConfig, config);
        return config;
    }

    private DestinationState Pick(LlmCall call, ClusterState cluster, IReadOnlyList<DestinationState> available)
    {
        var name = cluster.Model.Config.LoadBalancingPolicy ?? LoadBalancingPolicies.PowerOfTwoChoices;
        foreach (var policy in _loadBalancing)
        {
            if (string.Equals(policy.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return policy.PickDestination(call.HttpContext, cluster, available) ?? available[0];
            }
        }

        return available[0];
    }

    /// <summary>
    /// An attempt's target on a YARP destination: its provider, the request's model, the destination's id as the
    /// backend (<c>tracedllm.backend.id</c>) and its address as the endpoint (<c>server.address</c>, its port).
    /// </summary>
    private static LlmTarget TargetOf(
        DestinationState destination, ClusterState cluster, string? provider, string model) =>
        new(ProviderOf(destination, cluster, provider), model)
        {
            BackendId = destination.DestinationId,

            // Parsed once per configuration of the destination (a reload makes a new model), not per attempt.
            Endpoint = Endpoints.GetValue(destination.Model, static configured => new Uri(configured.Config.Address)),
        };

    private static string ProviderOf(DestinationState destination, ClusterState cluster, string? provider) =>
        destination.Model.Config.Metadata?.GetValueOrDefault(ProviderMetadataKey)
        ?? cluster.Model.Config.Metadata?.GetValueOrDefault(ProviderMetadataKey)
        ?? provider
        ?? cluster.ClusterId;

    /// <summary>The YARP metadata key (cluster or destination) that names the GenAI provider of its attempts.</summary>
    public const string ProviderMetadataKey = "gen_ai.provider.name";

    /// <summary>
    /// A route's settings, made once per route pattern (the options are read once: IOptions, not a monitor).
    /// </summary>
    private RelaySettings SettingsFor(LlmCall call) =>
        _settings.GetOrAdd(call.Route.Pattern, static (pattern, relay) => relay.MakeSettings(pattern), this);

    private RelaySettings MakeSettings(string pattern)
    {
        var options = _options.Value;
        var route = options.Routes.Count > 0 && options.Routes.TryGetValue(pattern, out var own) ? own : null;
        return new RelaySettings(
            route?.PostCallGuardrails ?? options.PostCallGuardrails,
            route?.UpstreamErrors ?? options.UpstreamErrors,
            route?.AttemptResponseHeaders ?? options.AttemptResponseHeaders,
            options.MaxBufferedResponseBytes,
            options.IncrementalCheckBytes,
            options.MaxUpstreamErrorBytes);
    }
}
