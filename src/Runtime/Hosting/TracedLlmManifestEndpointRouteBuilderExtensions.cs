using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm;
using TracedLlm.Pipeline;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the build-time telemetry manifest of the traced routes.</summary>
public static class TracedLlmManifestEndpointRouteBuilderExtensions
{
    /// <summary>The default path of <see cref="MapTracedLlmManifest"/>.</summary>
    public const string DefaultPattern = "/tracedllm/manifest";

    /// <summary>
    /// Serves (GET, <c>application/json</c>) the telemetry manifest the generator wrote at build time (the same
    /// document as <c>tracedllm-manifest.json</c> in the build output).
    /// </summary>
    /// <remarks>
    /// Every traced route's method, path, metadata slot, wire format and handlers, and the spans with their attribute
    /// keys; with, from the running application, <c>untracedEndpoints</c>: its endpoints that look like LLM API paths
    /// but are not traced (YARP's routes included), so a coverage gap shows, and <c>unattemptedModelRequests</c>: the
    /// model requests its traced requests sent outside every upstream attempt so far (host, operation, count, the
    /// calling code). Opt-in, and it names your handlers: protect it like any endpoint, e.g.
    /// <c>.RequireAuthorization()</c> on the result. Answers 404 until <c>MapTracedLlmRoutes()</c> has run.
    /// </remarks>
    public static IEndpointConventionBuilder MapTracedLlmManifest(
        this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string pattern = DefaultPattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var gateway =
            endpoints.ServiceProvider.GetService<TracedLlmGateway>() ?? throw TracedLlmGateway.NotRegistered();
        RequestDelegate serve = context =>
        {
            // Read per request: MapTracedLlmRoutes() may run after this call.
            if (TracedLlmManifest.Get(gateway) is not { } manifest)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            // Read per request too: a YARP configuration may change while the application runs.
            var untraced = context.RequestServices.GetService<EndpointDataSource>() is { } endpoints
                ? EndpointCoverage.Find(endpoints)
                : Array.Empty<UntracedEndpoint>();
            context.Response.ContentType = "application/json";
            var served = TracedLlmManifest.WithCoverage(manifest, untraced, gateway.Options.SemanticConventions);
            if (context.RequestServices.GetService<EndpointDataSource>() is { } traced)
            {
                // What clients of each traced route get that the app did not give (AdoptionReport).
                served = AdoptionReport.AddTo(served, AdoptionReport.Find(traced, context.RequestServices));
            }

            return context.Response.WriteAsync(OutboundCoverage.AddTo(served, gateway), context.RequestAborted);
        };

        return endpoints.MapGet(pattern, serve)
            .WithDisplayName("TracedLlm telemetry manifest")
            .ExcludeFromDescription();
    }
}
