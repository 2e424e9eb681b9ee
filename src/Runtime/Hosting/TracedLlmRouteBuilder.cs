using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
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
    /// <summary>
    /// The endpoint names handed out per application (one gateway per application), across every
    /// <c>MapTracedLlmRoutes()</c> call and route group.
    /// </summary>
    private static readonly ConditionalWeakTable<TracedLlmGateway, EndpointNames> Names = new();

    private readonly List<IEndpointConventionBuilder> _builders = new();
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
        var gateway =
            endpoints.ServiceProvider.GetService<TracedLlmGateway>() ?? throw TracedLlmGateway.NotRegistered();
        gateway.Singletons ??= RootSingletons.For(endpoints.ServiceProvider);
        if (manifestJson is not null)
        {
            TracedLlmManifest.Register(gateway, manifestJson);
        }

        return new TracedLlmRouteBuilder(gateway);
    }

    /// <summary>
    /// Maps one generated route; the gateway (a singleton) is resolved once here, not per request.
    /// The route's parameters are checked against the app's services first: a parameter that
    /// cannot be bound in this app (a required service not registered, two bodies) throws, naming
    /// the route and the parameter.
    /// The endpoint carries the <see cref="TracedRouteInfo"/> and what API descriptions read
    /// (the generated method, name, tag, summary, request body, responses, errors in the route's
    /// wire format). For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TracedLlmRouteBuilder Map(
        IEndpointRouteBuilder endpoints,
        TracedRouteInfo route,
        Func<HttpContext, TracedLlmGateway, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(handler);

        // What only DI can tell (a service or the body; a service the handler needs) fails the app here, as it starts.
        route = RouteBindings.Check(route, endpoints.ServiceProvider);
        var gateway = _gateway;
        gateway.ThrowIfErrorsUnwritable(route);
        var builder = endpoints
            .MapMethods(route.Pattern, new[] { route.HttpMethod }, context => handler(context, gateway))
            .WithDisplayName($"{route.HttpMethod} {route.Pattern} (traced: {route.Handler})")
            .WithMetadata(route)
            .WithMetadata(handler.Method)
            .WithTags(TypeName(route.Handler));
        foreach (var metadata in TracedRouteMetadata.For(
                route,
                authenticated: gateway.Authenticator is not null,
                Pipeline.ErrorResponses.Of(route, gateway.Options)))
        {
            builder.WithMetadata(metadata);
        }

        // Names are given when the endpoints are built, once every traced route of the application
        // is known, so that each can have its handler's method name unless two routes share it; a
        // route mapped again (another group, another prefix) is named after its full pattern, since
        // endpoint names (and OpenAPI operation ids) must be unique in the application.
        var names = Names.GetValue(gateway, static _ => new EndpointNames());
        names.Add(route);
        builder.Add(endpoint => endpoint.Metadata.Add(new EndpointNameMetadata(
            names.NameFor(route, (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? route.Pattern))));
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

    private static string MethodName(string handler) => handler[(handler.LastIndexOf('.') + 1)..];

    /// <summary>
    /// The handler's type (without namespace): API descriptions group the routes by it, as they group other endpoints
    /// by their handler's type.
    /// </summary>
    private static string TypeName(string handler)
    {
        var type = handler[..Math.Max(0, handler.LastIndexOf('.'))];
        return type[(type.LastIndexOf('.') + 1)..];
    }

    /// <summary>
    /// One application's endpoint names: the handler's method name (an OpenAPI operation id), or its full name when
    /// another traced route has a method of that name.
    /// </summary>
    /// <remarks>
    /// The first endpoint of a name keeps it, a later endpoint of the same name at another pattern gets the pattern
    /// appended.
    /// </remarks>
    private sealed class EndpointNames
    {
        private readonly List<TracedRouteInfo> _routes = new();
        private readonly Dictionary<string, string> _patternByName = new(StringComparer.Ordinal);

        public void Add(TracedRouteInfo route)
        {
            lock (_routes)
            {
                _routes.Add(route);
            }
        }

        public string NameFor(TracedRouteInfo route, string pattern)
        {
            lock (_routes)
            {
                var name = MethodName(route.Handler);
                foreach (var other in _routes)
                {
                    if (other.Handler != route.Handler && MethodName(other.Handler) == name)
                    {
                        name = route.Handler;
                        break;
                    }
                }

                if (_patternByName.TryGetValue(name, out var owner) && owner != pattern)
                {
                    name = name + "_" + Identifier(pattern);
                }

                _patternByName.TryAdd(name, pattern);
                return name;
            }
        }

        /// <summary>
        /// The pattern's letters and digits, other runs of characters as one <c>_</c>: <c>/v2/chat/completions</c>
        /// becomes <c>v2_chat_completions</c>.
        /// </summary>
        private static string Identifier(string pattern)
        {
            var text = new StringBuilder(pattern.Length);
            foreach (var c in pattern)
            {
                if (char.IsAsciiLetterOrDigit(c))
                {
                    text.Append(c);
                }
                else if (text.Length > 0 && text[^1] != '_')
                {
                    text.Append('_');
                }
            }

            return text.ToString().TrimEnd('_');
        }
    }
}
