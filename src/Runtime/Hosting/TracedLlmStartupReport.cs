using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TracedLlm.Generators;

namespace TracedLlm;

/// <summary>What the host logs once it has started (<see cref="TracedLlmOptions.LogStartupReport"/>).</summary>
/// <remarks>
/// The endpoints that look like LLM API paths but are not traced (<see cref="EndpointCoverage"/>), and for each traced
/// route whose metadata slot is a field of the provider's own API too (OpenAI's chat completions <c>metadata</c>), what
/// the slot will consume. Once the host has started, every endpoint (YARP's routes loaded) is there to see.
/// </remarks>
internal sealed class TracedLlmStartupReport(
    IOptions<TracedLlmOptions> options,
    ILoggerFactory loggers,
    EndpointDataSource? endpoints = null,
    IServiceProvider? services = null)
    : IHostedLifecycleService
{
    /// <summary>The log category of the report.</summary>
    public const string LoggerCategory = "TracedLlm.Startup";

    /// <summary>
    /// The log category of the adoption report (<see cref="AdoptionReport"/>), a message per traced route.
    /// </summary>
    public const string AdoptionCategory = "TracedLlm.Startup.Adoption";

    private static readonly string RecognizedKeys = string.Join(", ", LlmMetadata.RecognizedKeys);

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // Langfuse refuses an environment name out of its shape: the one configured is folded, and that said once.
        if (options.Value.DefaultEnvironment is { } environment && !Telemetry.LangfuseEnvironments.IsValid(environment)
            && loggers.CreateLogger(LoggerCategory) is var logger && logger.IsEnabled(LogLevel.Information))
        {
            var folded = Telemetry.LangfuseEnvironments.Fold(environment);
            StartupLog.EnvironmentFolded(logger, folded, environment.Length);
        }

        // A traced controller action MVC runs without its pipeline would answer untraced, silently: that fails the
        // start.
        if (endpoints is not null)
        {
            ThrowIfActionsUntraced(endpoints);
        }

        // Read once started: the host validates every options type before (a wrong one fails the start with all of
        // them).
        if (options.Value.LogStartupReport && endpoints is not null)
        {
            Report(endpoints, loggers.CreateLogger(LoggerCategory));
            if (services is not null && loggers.CreateLogger(AdoptionCategory) is var adoption
                && adoption.IsEnabled(LogLevel.Information))
            {
                foreach (var route in AdoptionReport.Find(endpoints, services))
                {
                    var answers = AdoptionReport.Describe(route);
                    StartupLog.Adoption(adoption, route.Route, answers);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Fails the start when an endpoint's action is marked <c>[TracedLlmRoute]</c> (MVC puts an action's attributes in
    /// its endpoint's metadata) but has no traced route.
    /// </summary>
    /// <remarks>
    /// MVC runs it, and <c>AddControllers().AddTracedLlm()</c> was not called to run the pipeline around it.
    /// </remarks>
    internal static void ThrowIfActionsUntraced(EndpointDataSource endpoints)
    {
        var untraced = new List<string>();
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint.Metadata.GetMetadata<TracedLlmRouteAttribute>() is not null
                && endpoint.Metadata.GetMetadata<TracedRouteInfo>() is null
                && !untraced.Contains(endpoint.DisplayName ?? string.Empty))
            {
                untraced.Add(endpoint.DisplayName ?? string.Empty);
            }
        }

        if (untraced.Count > 0)
        {
            throw new InvalidOperationException(
                $"{untraced.Count} controller action(s) marked [TracedLlmRoute] would run untraced: "
                + $"{string.Join(", ", untraced)}. "
                    + "Call AddTracedLlm() on the MVC builder (builder.Services.AddControllers().AddTracedLlm()) "
                    + "so that their pipeline runs inside MVC.");
        }
    }

    internal static void Report(EndpointDataSource endpoints, ILogger logger)
    {
        var untraced = EndpointCoverage.Find(endpoints);
        if (untraced.Count > 0)
        {
            StartupLog.Untraced(logger, untraced.Count, EndpointCoverage.Describe(untraced));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is RouteEndpoint { Metadata: var metadata } route
                && metadata.GetMetadata<TracedRouteInfo>() is { } info
                && RouteConventions.ProviderMetadataApi(info.Pattern) is { } api
                && info.MetadataSlot == MetadataSlots.Metadata
                && seen.Add(info.HttpMethod + " " + route.RoutePattern.RawText))
            {
                var name = $"{info.HttpMethod} {route.RoutePattern.RawText}";
                if (info.MetadataSlotMode == MetadataSlotMode.Shared)
                {
                    StartupLog.SharedSlot(logger, name, api, RecognizedKeys);
                }
                else
                {
                    StartupLog.ProviderFieldTaken(logger, name, api);
                }
            }
        }
    }
}

/// <summary>The start-up report as log messages.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(
        EventId = 4,
        Level = LogLevel.Information,
        Message = "The Langfuse environment (LANGFUSE_TRACING_ENVIRONMENT / TracedLlm:DefaultEnvironment, "
            + "{Length} characters) is not in the shape Langfuse accepts (lowercase a-z, 0-9, '-', '_', at most 40, "
            + "not starting with 'langfuse'): spans record it as '{Folded}', "
            + "and a client's environment is folded the same way."
    )]
    public static partial void EnvironmentFolded(ILogger logger, string folded, int length);

    [LoggerMessage(
        EventId = 1,
        Level = LogLevel.Warning,
        Message = "{Count} endpoint(s) look like LLM API paths but are not traced, "
            + "so their calls reach providers with no trace: {Endpoints}. Make them [TracedLlmRoute] handlers, "
            + "or set TracedLlm:LogStartupReport=false; the served manifest lists them as untracedEndpoints."
    )]
    public static partial void Untraced(ILogger logger, int count, string endpoints);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "{Route} reads gateway metadata from 'metadata', a field {Api} defines too: a client's whole "
        + "'metadata' is the gateway's (its keys read, the rest recorded as observation metadata) and is not "
        + "forwarded upstream. To forward it, set MetadataSlot = \"litellm_metadata\", MetadataSlotMode = "
        + "MetadataSlotMode.Shared to forward what is not the gateway's, or MetadataSlot = MetadataSlots.None if "
        + "the route never had gateway metadata.")]
    public static partial void ProviderFieldTaken(ILogger logger, string route, string api);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "{Route} answers what its app did not before adoption: {Answers}. "
        + "The served manifest lists them as adoption.")]
    public static partial void Adoption(ILogger logger, string route, string answers);

    [LoggerMessage(
        EventId = 3,
        Level = LogLevel.Information,
        Message = "{Route} shares 'metadata' with {Api}: the gateway takes only {Keys} (each of the JSON type it "
            + "reads) and forwards every other key, and a value that is not an object, upstream."
    )]
    public static partial void SharedSlot(ILogger logger, string route, string api, string keys);
}
