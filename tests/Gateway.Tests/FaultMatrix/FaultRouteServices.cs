using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TracedLlm.Gateway.FaultRoutes;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The services every route of the TracedLlm.Gateway.FaultRoutes assembly takes, for the hosts that
/// map its routes to use some of them: <c>MapTracedLlmRoutes()</c> maps an assembly's every route,
/// and a route whose service DI lacks fails the host as it starts (docs/handlers.md). Added with
/// TryAdd, after the host's own: what a host registers itself is what its routes get.
/// </summary>
internal static class FaultRouteServices
{
    public static IServiceCollection AddFaultRouteServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TestProviders.Embedded());
        services.TryAddSingleton<IBeforeLlmCall, NoStep>();
        services.TryAddSingleton(new RelayUpstream(new EmptyUpstream()));
        services.TryAddSingleton(new FaultRelayUpstream(new EmptyUpstream()));
        services.AddHttpForwarder();
        if (!services.Any(s => s.ServiceType == typeof(LlmRelay)))
        {
            services.AddTracedLlmRelay(options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer);
        }

        return services;
    }

    private sealed class NoStep : IBeforeLlmCall
    {
        public ValueTask<IResult?> RunAsync(LlmCall call, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IResult?>(null);
    }

    /// <summary>An upstream that answers every request with an empty JSON object.</summary>
    private sealed class EmptyUpstream : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json")
            });
    }
}
