using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>Marks the requests of the named clients an app declares model clients, whatever their address.</summary>
/// <remarks>
/// <see cref="OutboundCoverageOptions.ModelHttpClients"/>: a handler of its own in those clients only,
/// outermost, so that outbound coverage knows their requests.
/// </remarks>
internal sealed class ModelClientMarker(IOptions<TracedLlmOptions> options) : IHttpMessageHandlerBuilderFilter
{
    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        var coverage = options.Value.OutboundCoverage;
        if (coverage.Enabled && builder.Name is { } name && coverage.ModelHttpClients.Contains(name))
        {
            builder.AdditionalHandlers.Insert(0, new Marker(name));
        }
    };

    private sealed class Marker(string name) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Options.Set(OutboundCoverageSink.ClientNameKey, name);
            return base.SendAsync(request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Options.Set(OutboundCoverageSink.ClientNameKey, name);
            return base.Send(request, cancellationToken);
        }
    }
}
