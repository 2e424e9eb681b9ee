using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm;

/// <summary>
/// What only the app's services can tell about a traced route's parameters, checked when the route is mapped.
/// </summary>
/// <remarks>
/// It runs as the app starts, so that a mistake fails the host naming the route and the parameter instead of failing
/// every request: a class or struct with no attribute is a service when DI has its type, else the body (as minimal APIs
/// decide it), and a route reads one body; a service the handler requires must be registered.
/// </remarks>
internal static class RouteBindings
{
    /// <summary>
    /// Checks the route's parameters against the app's services; returns the route with the body type it reads.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter cannot be bound in this app.</exception>
    public static TracedRouteInfo Check(TracedRouteInfo route, IServiceProvider services)
    {
        if (route.Parameters.Count == 0 || services.GetService<IServiceProviderIsService>() is not { } serviceTypes)
        {
            // A container that cannot say which types it has: such a parameter is the body, as minimal APIs read it.
            return route;
        }

        var body = route.RequestType;
        foreach (var handler in route.Parameters.GroupBy(p => p.Handler))
        {
            var bodies = handler
                .Where(p => p.Source == TracedParameterSource.BodyOrService && !serviceTypes.IsService(p.Type))
                .ToList();
            if (bodies.Count > 1)
            {
                throw new InvalidOperationException(
                    $"{Describe(route, handler.Key)} cannot start: {List(bodies)} would each be read from the "
                    + "request body, because DI has none of their types, and a route reads one body. "
                        + "Register the services among them before builder.Build(), or mark them [FromServices]; "
                        + "mark the body [FromBody].");
            }

            body ??= bodies.Count == 1 ? Nullable.GetUnderlyingType(bodies[0].Type) ?? bodies[0].Type : null;
            foreach (var parameter in handler.Where(p => !p.IsOptional))
            {
                if (parameter.Source == TracedParameterSource.Service && !serviceTypes.IsService(parameter.Type))
                {
                    throw new InvalidOperationException(
                        $"{Describe(route, handler.Key)} cannot start: parameter `{parameter.Name}` takes "
                        + $"{Display(parameter.Type)} from DI, but no service of that type is registered. "
                            + "Register it before builder.Build(), or make the parameter optional "
                            + $"(`{Display(parameter.Type)}? {parameter.Name}`).");
                }

                if (parameter.Source == TracedParameterSource.KeyedService
                    && serviceTypes is IServiceProviderIsKeyedService keyed
                    && !keyed.IsKeyedService(parameter.Type, parameter.ServiceKey))
                {
                    throw new InvalidOperationException(
                        $"{Describe(route, handler.Key)} cannot start: parameter `{parameter.Name}` takes the keyed "
                        + $"service {Display(parameter.Type)} with key '{parameter.ServiceKey}' from DI, but none is "
                        + "registered. "
                            + "Register it before builder.Build(), or make the parameter optional "
                            + $"(`{Display(parameter.Type)}? {parameter.Name}`).");
                }
            }
        }

        return body == route.RequestType ? route : route with { RequestType = body };
    }

    /// <summary>
    /// The route and the handler, as a message starts: <c>Traced route 'POST /v1/chat' (Contoso.Routes.Chat)</c>.
    /// </summary>
    private static string Describe(TracedRouteInfo route, string handler)
    {
        var type = route.Handler[..Math.Max(0, route.Handler.LastIndexOf('.'))];
        return $"Traced route '{route.HttpMethod} {route.Pattern}' ({type}.{handler})";
    }

    private static string List(List<TracedRouteParameter> parameters)
    {
        var items = parameters.Select(p => $"`{p.Name}` ({Display(p.Type)})").ToList();
        return string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];
    }

    /// <summary>
    /// A type as C# names it: <c>Contoso.Router</c>,
    /// <c>System.Collections.Generic.IEnumerable&lt;Contoso.IGuard&gt;</c>.
    /// </summary>
    internal static string Display(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Display(underlying) + "?";
        }

        if (!type.IsGenericType)
        {
            return (type.FullName ?? type.Name).Replace('+', '.');
        }

        var name = (type.GetGenericTypeDefinition().FullName ?? type.Name).Replace('+', '.');
        return name[..name.IndexOf('`')] + "<" + string.Join(", ", type.GetGenericArguments().Select(Display)) + ">";
    }
}
