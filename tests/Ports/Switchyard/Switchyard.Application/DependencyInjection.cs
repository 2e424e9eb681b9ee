using Microsoft.Extensions.DependencyInjection;
using Switchyard.Application.Chat;

namespace Switchyard.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddScoped<ChatOrchestrator>();
        return services;
    }
}
