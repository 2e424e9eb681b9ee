using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.OpenApi;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>
/// The endpoints mapped by <c>MapTracedLlmRoutes()</c>, as one convention builder: a convention
/// added here (authorization, rate limiting, metadata) applies to every traced route.
/// </summary>
public sealed class TracedLlmRouteBuilder : IEndpointConventionBuilder
{
    private readonly List<IEndpointConventionBuilder> _builders = new();
    private readonly List<TracedRouteInfo> _routes = new();
    private readonly TracedLlmGateway _gateway;

    private TracedLlmRouteBuilder(TracedLlmGateway gateway)
    {
        _gateway = gateway;
    }

    /// <summary>
    /// Starts mapping traced routes; fails at start-up when <c>AddTracedLlm()</c> is missing. The
    /// build-time telemetry manifest of the routes' assembly is kept for <c>MapTracedLlmManifest()</c>.
    /// For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static TracedLlmRouteBuilder Create(IEndpointRouteBuilder endpoints, string? manifestJson = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var gateway = endpoints.ServiceProvider.GetService<TracedLlmGateway>() ?? throw TracedLlmGateway.NotRegistered();
        if (manifestJson is not null)
        {
            TracedLlmManifest.Register(gateway, manifestJson);
        }

        return new TracedLlmRouteBuilder(gateway);
    }

    /// <summary>
    /// Maps one generated route; the gateway (a singleton) is resolved once here, not per request.
    /// The endpoint carries the <see cref="TracedRouteInfo"/> and what API descriptions read
    /// (the generated method, name, tag, summary, request body, responses, errors in the route's
    /// wire format). For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TracedLlmRouteBuilder Map(IEndpointRouteBuilder endpoints, TracedRouteInfo route, Func<HttpContext, TracedLlmGateway, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(handler);
        var gateway = _gateway;
        var builder = endpoints.MapMethods(route.Pattern, new[] { route.HttpMethod }, context => handler(context, gateway))
            .WithDisplayName($"{route.HttpMethod} {route.Pattern} (traced: {route.Handler})")
            .WithMetadata(route)
            .WithMetadata(handler.Method)
            .WithTags(TypeName(route.Handler));
        foreach (var metadata in TracedRouteMetadata.For(route, authenticated: gateway.Authenticator is not null))
        {
            builder.WithMetadata(metadata);
        }

        // Names are given when the endpoints are built, once every traced route is known, so that
        // each can have its handler's method name unless two routes share it.
        _routes.Add(route);
        builder.Add(endpoint => endpoint.Metadata.Add(new EndpointNameMetadata(EndpointName(route))));
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

    /// <summary>The handler's method name (an OpenAPI operation id), or its full name when another traced route has a method of that name.</summary>
    private string EndpointName(TracedRouteInfo route)
    {
        var method = MethodName(route.Handler);
        foreach (var other in _routes)
        {
            if (!ReferenceEquals(other, route) && MethodName(other.Handler) == method)
            {
                return route.Handler;
            }
        }

        return method;
    }

    private static string MethodName(string handler) => handler[(handler.LastIndexOf('.') + 1)..];

    /// <summary>The handler's type (without namespace): API descriptions group the routes by it, as they group other endpoints by their handler's type.</summary>
    private static string TypeName(string handler)
    {
        var type = handler[..Math.Max(0, handler.LastIndexOf('.'))];
        return type[(type.LastIndexOf('.') + 1)..];
    }
}
