using System;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Pipeline;

/// <summary>
/// The service collection <c>AddTracedLlm()</c> was called on, kept so the gateway can tell a handler's
/// singleton parameters (<see cref="RootSingletons"/>).
/// </summary>
internal sealed class TracedLlmRegistrations(IServiceCollection services)
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>
/// The handler parameters DI registers as singletons, taken from the application's root services
/// instead of the request's. A request's services are a scope that ASP.NET Core creates the first time
/// they are asked for and disposes at the request's end; a gateway whose handler takes only singletons
/// (a provider router, a client) would create and dispose one on every request for nothing
/// (bench/results/2026-11-25-relay-cost-cut-further.md). Decided once per type from the service collection the
/// host was built from: the type's last registration (the one DI resolves) says its lifetime. Anything
/// else (scoped, transient, keyed, open generic) still comes from the request's services. Only with
/// Microsoft's container, whose registrations are the collection's (a third-party container may register
/// the same type again with another lifetime), and only for a request whose services nobody has set or
/// asked for yet and would be a scope of this root (a multi-tenant host that gives a request a tenant's
/// container sets them first, and is then asked).
/// </summary>
internal sealed class RootSingletons(
    IServiceCollection registrations,
    IServiceProvider root,
    IServiceScopeFactory scopes)
{
    /// <summary>
    /// The root's singletons, or null when <paramref name="services"/> is not Microsoft's container or
    /// <c>AddTracedLlm()</c> left no registrations.
    /// </summary>
    public static RootSingletons? For(IServiceProvider services) =>
        services.GetType().Assembly == typeof(ServiceProvider).Assembly
        && services.GetService<TracedLlmRegistrations>() is { } collection
        && services.GetService<IServiceScopeFactory>() is { } factory
            ? new RootSingletons(collection.Services, services, factory)
            : null;

    /// <summary>
    /// The singleton of type <paramref name="type"/>, or null when the request's services must give it.
    /// </summary>
    public object? Find(Type type)
    {
        for (var i = registrations.Count - 1; i >= 0; i--)
        {
            var descriptor = registrations[i];
            if (descriptor.ServiceType == type && !descriptor.IsKeyedService)
            {
                return descriptor.Lifetime == ServiceLifetime.Singleton ? root.GetService(type) : null;
            }
        }

        return null;
    }

    /// <summary>
    /// True when the request's services would be a new scope of this root: nothing has set them or asked for them.
    /// </summary>
    public bool Serves(HttpContext httpContext) =>
        httpContext is DefaultHttpContext { ServiceScopeFactory: var requestScopes }
        && ReferenceEquals(requestScopes, scopes)
        && httpContext.Features.Get<IServiceProvidersFeature>() is null;
}
