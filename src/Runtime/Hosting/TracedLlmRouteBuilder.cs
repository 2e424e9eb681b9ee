using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>
/// The endpoints mapped by <c>MapTracedLlmRoutes()</c>, as one convention builder: a convention
/// added here (authorization, rate limiting, metadata) applies to every traced route.
/// </summary>
public sealed class TracedLlmRouteBuilder : IEndpointConventionBuilder
{
    private readonly List<IEndpointConventionBuilder> _builders = new();
    private readonly TracedLlmGateway _gateway;

    private TracedLlmRouteBuilder(TracedLlmGateway gateway)
    {
        _gateway = gateway;
    }

    /// <summary>
    /// Starts mapping traced routes; fails at start-up when <c>AddTracedLlm()</c> is missing.
    /// <paramref name="manifestJson"/> is the build-time telemetry manifest of the routes' assembly. For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static TracedLlmRouteBuilder Create(IEndpointRouteBuilder endpoints, string? manifestJson = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var gateway = endpoints.ServiceProvider.GetService<TracedLlmGateway>() ?? throw TracedLlmGateway.NotRegistered();
        return new TracedLlmRouteBuilder(gateway);
    }

    /// <summary>Maps one generated route; the gateway (a singleton) is resolved once here, not per request. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TracedLlmRouteBuilder Map(IEndpointRouteBuilder endpoints, TracedRouteInfo route, Func<HttpContext, TracedLlmGateway, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var gateway = _gateway;
        var builder = endpoints.MapMethods(route.Pattern, new[] { route.HttpMethod }, context => handler(context, gateway))
            .WithDisplayName($"{route.HttpMethod} {route.Pattern} (traced: {route.Handler})")
            .WithMetadata(route);
        _builders.Add(builder);
        return this;
    }

    /// <inheritdoc />
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (var builder in _builders)
        {
            builder.Add(convention);
        }
    }

    /// <inheritdoc />
    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (var builder in _builders)
        {
            builder.Finally(finallyConvention);
        }
    }
}
