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
/// The services every route of the fault routes' assembly takes, for a host that maps them all (an
/// assembly has one route table) but calls only some: what the host registered itself stays, the
/// rest are stand-ins, so that mapping, which checks each route's services, succeeds.
/// </summary>
internal static class FaultRouteServices
{
    public static IServiceCollection AddFaultRouteStandIns(this IServiceCollection services)
    {
        services.TryAddSingleton(TestProviders.Embedded());
        services.TryAddSingleton<IBeforeLlmCall, NoStep>();
        services.TryAddSingleton(new RelayUpstream(new Refusing()));
        services.TryAddSingleton(new FaultRelayUpstream(new Refusing()));
        services.AddHttpForwarder();
        if (!services.Any(s => s.ServiceType == typeof(LlmRelay)))
        {
            services.AddTracedLlmRelay(options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer);
        }

        return services;
    }

    private sealed class NoStep : IBeforeLlmCall
    {
        public ValueTask<IResult?> RunAsync(LlmCall call, CancellationToken cancellationToken) => ValueTask.FromResult<IResult?>(null);
    }

    /// <summary>An upstream the host does not call.</summary>
    private sealed class Refusing : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
    }
}
