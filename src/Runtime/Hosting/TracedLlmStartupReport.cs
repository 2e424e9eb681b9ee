using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TracedLlm;

/// <summary>
/// What the host logs once it has started (<see cref="TracedLlmOptions.LogStartupReport"/>): the
/// endpoints that look like LLM API paths but are not traced (<see cref="EndpointCoverage"/>), and
/// each traced route whose metadata slot takes a field of the provider's own API. Once the host has
/// started, every endpoint (YARP's routes loaded) is there to see.
/// </summary>
internal sealed class TracedLlmStartupReport(TracedLlmOptions options, ILoggerFactory loggers, EndpointDataSource? endpoints = null) : IHostedLifecycleService
{
    /// <summary>The log category of the report.</summary>
    public const string LoggerCategory = "TracedLlm.Startup";

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (options.LogStartupReport && endpoints is not null)
        {
            Report(endpoints, loggers.CreateLogger(LoggerCategory));
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static void Report(EndpointDataSource endpoints, ILogger logger)
    {
        var untraced = EndpointCoverage.Find(endpoints);
        if (untraced.Count > 0)
        {
            StartupLog.Untraced(logger, untraced.Count, EndpointCoverage.Describe(untraced));
        }
    }
}

/// <summary>The start-up report as log messages.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Count} endpoint(s) look like LLM API paths but are not traced, so their calls reach providers with no trace: {Endpoints}. Make them [TracedLlmRoute] handlers, or set TracedLlm:LogStartupReport=false; the served manifest lists them as untracedEndpoints.")]
    public static partial void Untraced(ILogger logger, int count, string endpoints);
}
