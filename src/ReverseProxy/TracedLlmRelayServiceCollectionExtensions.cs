using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm;

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
    public static IServiceCollection AddTracedLlmRelay(this IServiceCollection services, Action<LlmRelayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHttpForwarder();
        services.AddConfiguredOptions<LlmRelayOptions, LlmRelayOptionsValidator>(
            LlmRelayOptions.SectionName,
            static (_, _) => { },
            // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
            static (options, section) => section.Bind(options),
            configure);
        services.TryAddSingleton<LlmRelay>();
        return services;
    }
}
