using System;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Pipeline;

/// <summary>
/// The handler parameters DI registers as singletons, taken from the application's root services
/// instead of the request's. A request's services are a scope that ASP.NET Core creates the first time
/// they are asked for and disposes at the request's end; a gateway whose handler takes only singletons
/// (a provider router, a client) would create and dispose one on every request for nothing (bench/README.md,
/// "Where a relayed request's CPU and bytes go"). Decided once per type from the service collection the
/// host was built from: the type's last registration (the one DI resolves) says its lifetime. Anything
/// else (scoped, transient, keyed, open generic, or a type the collection does not list, as a third-party
/// container's own registrations) still comes from the request's services.
/// </summary>
internal sealed class RootSingletons(IServiceCollection registrations, IServiceProvider root)
{
    /// <summary>The singleton of type <paramref name="type"/>, or null when the request's services must give it.</summary>
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
}
