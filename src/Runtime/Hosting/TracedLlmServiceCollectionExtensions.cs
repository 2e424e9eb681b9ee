using System;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using TracedLlm;
using TracedLlm.Pipeline;

// Where IServiceCollection users look for it, as Microsoft.Extensions and OpenTelemetry do.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the TracedLlm run time.</summary>
public static class TracedLlmServiceCollectionExtensions
{
    /// <summary>
    /// Adds what the generated routes need. <see cref="TracedLlmOptions"/> bind from the
    /// <c>TracedLlm</c> configuration section (see <see cref="TracedLlmOptions.SectionName"/>) over
    /// their standard environment variables, then <paramref name="configure"/> runs; invalid values
    /// fail when the host starts. Register an <see cref="ILlmAuthenticator"/>,
    /// <see cref="ILlmGuardrail"/>s and <see cref="ILlmFailureLogger"/>s in DI as well.
    /// </summary>
    public static IServiceCollection AddTracedLlm(
        this IServiceCollection services,
        Action<TracedLlmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddConfiguredOptions<TracedLlmOptions, TracedLlmOptionsValidator>(
            TracedLlmOptions.SectionName,
            static (options, variable) => options.ReadVariables(variable),
            // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
            static (options, section) => section.Bind(options),
            configure);

        // The pipeline takes the options as a plain singleton (one read per application, none per request).
        services.TryAddSingleton(static provider => provider.GetRequiredService<IOptions<TracedLlmOptions>>().Value);
        // A factory, not activation: the gateway's constructor is internal (only this registration calls it).
        services.TryAddSingleton(static provider => new TracedLlmGateway(
            provider.GetRequiredService<TracedLlmOptions>(),
            provider.GetServices<ILlmGuardrail>(),
            provider.GetServices<ILlmFailureLogger>(),
            provider.GetRequiredService<IOptions<JsonOptions>>(),
            provider.GetService<ILlmAuthenticator>(),
            provider.GetService<IServiceProviderIsService>(),
            provider.GetService<ILlmErrorWriter>()));

        // The collection itself, so that a handler's singleton parameters come from the root services
        // without a request scope on every request (RootSingletons).
        services.TryAddSingleton(new TracedLlmRegistrations(services));

        // Once the host has started: endpoints that look like LLM APIs but are not traced, slots that take a provider's
        // field.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TracedLlmStartupReport>());

        // Model requests sent outside every attempt, seen through HttpClient's diagnostic events while the host runs.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboundCoverageService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, ModelClientMarker>());

        // The error bodies' type info, for API descriptions (OpenAPI) where JSON has no reflection (Native AOT).
        services.ConfigureHttpJsonOptions(static json =>
            json.SerializerOptions.TypeInfoResolverChain.Add(TracedLlm.OpenApi.WireErrorJsonContext.Default));
        return services;
    }
}
