using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>Registers the TracedLlm run time.</summary>
public static class TracedLlmServiceCollectionExtensions
{
    /// <summary>
    /// Adds what the generated routes need. Register an <see cref="ILlmAuthenticator"/>,
    /// <see cref="ILlmGuardrail"/>s and <see cref="ILlmFailureLogger"/>s in DI as well.
    /// </summary>
    public static IServiceCollection AddTracedLlm(this IServiceCollection services, Action<TracedLlmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new TracedLlmOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton<TracedLlmGateway>();

        // The error bodies' type info, for API descriptions (OpenAPI) where JSON has no reflection (Native AOT).
        services.ConfigureHttpJsonOptions(static json => json.SerializerOptions.TypeInfoResolverChain.Add(OpenApi.WireErrorJsonContext.Default));
        return services;
    }
}
