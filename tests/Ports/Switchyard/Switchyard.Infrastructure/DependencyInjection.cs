using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Switchyard.Application.Abstractions;
using Switchyard.Infrastructure.Catalog;
using Switchyard.Infrastructure.OpenRouter;

namespace Switchyard.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OpenRouterOptions>(configuration.GetSection(OpenRouterOptions.Section));
        services.Configure<ModelCatalogOptions>(configuration.GetSection(ModelCatalogOptions.Section));
        services.AddHttpClient(OpenRouterChatService.ClientName, (provider, client) =>
        {
            var options = provider.GetRequiredService<IOptions<OpenRouterOptions>>().Value;
            client.BaseAddress = new Uri(options.BaseUrl.TrimEnd('/') + "/");
            if (options.ApiKey is { Length: > 0 } key)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        })
            // A provider's passing trouble is retried here; one that keeps failing is the orchestrator's to fall back from.
            .AddStandardResilienceHandler()
            .Configure(configuration.GetSection(OpenRouterOptions.Section + ":Resilience"));
        services.AddScoped<IChatCompletionService, OpenRouterChatService>();
        services.AddSingleton<IModelCatalog, ConfiguredModelCatalog>();
        return services;
    }
}
