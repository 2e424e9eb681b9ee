using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm;
using TracedLlm.Relay;
using Yarp.ReverseProxy.Forwarder;

// Where IServiceCollection users look for it, as Microsoft.Extensions and OpenTelemetry do.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the relay (TracedLlm.ReverseProxy).</summary>
public static class TracedLlmRelayServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="LlmRelay"/> and YARP's forwarder (<c>AddHttpForwarder()</c>).
    /// <see cref="LlmRelayOptions"/> bind from the <c>TracedLlm:Relay</c> configuration section, then
    /// <paramref name="configure"/> runs; they are checked when the host starts (a host with post-call
    /// guardrails and no choice of how they see relayed responses does not start).
    /// </summary>
    public static IServiceCollection AddTracedLlmRelay(
        this IServiceCollection services,
        Action<LlmRelayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddTracedLlmForwarderErrors();
        services.AddConfiguredOptions<LlmRelayOptions, LlmRelayOptionsValidator>(
            LlmRelayOptions.SectionName,
            static (_, _) => { },
            // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
            static (options, section) => section.Bind(options),
            configure);
        services.TryAddSingleton<LlmRelay>();
        KeepAttemptTraceContext(services);
        return services;
    }

    /// <summary>
    /// Puts <see cref="AttemptTraceClientFactory"/> in the place of YARP's default factory of cluster clients, so that
    /// <c>ForwardToRouteAsync</c> sends each attempt's own <c>traceparent</c>.
    /// </summary>
    /// <remarks>
    /// Registered before <c>AddReverseProxy()</c> (which then adds none) or after it (its default replaced). A factory
    /// of the app's own (<c>ConfigureHttpClient</c>, say) is kept.
    /// </remarks>
    private static void KeepAttemptTraceContext(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IForwarderHttpClientFactory))
            {
                if (services[i].ImplementationType == typeof(ForwarderHttpClientFactory))
                {
                    services[i] = ServiceDescriptor.Singleton<IForwarderHttpClientFactory, AttemptTraceClientFactory>();
                }

                return;
            }
        }

        services.AddSingleton<IForwarderHttpClientFactory, AttemptTraceClientFactory>();
    }

    /// <summary>
    /// Adds YARP's forwarder and makes the error it reports on a traced request that request's failure.
    /// </summary>
    /// <remarks>
    /// For a route that calls <c>IHttpForwarder.SendAsync</c> itself: whether the route answers 502 by hand,
    /// lets the forwarder's own status stand, or the forwarder cut a response it had started, the failure
    /// path runs once, with the forwarder's exception (its <c>IForwarderErrorFeature</c>) as the cause
    /// (<c>error.type</c> and the <c>exception</c> event), and the response stays as the route wrote it.
    /// <see cref="AddTracedLlmRelay"/> calls it.
    /// </remarks>
    public static IServiceCollection AddTracedLlmForwarderErrors(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHttpForwarder();

        // Process-wide and stateless, as LlmCall.EnableCurrent() is: the reader only looks at the request it is given.
        UnthrownFailure.Register(ForwarderFailures.Reported);
        return services;
    }
}
