using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>Turns the app's outbound coverage on while the host runs (<see cref="OutboundCoverage"/>).</summary>
/// <remarks>
/// It also says at start when YARP's forwarder is registered but the errors it reports on a request are
/// read by no one (TracedLlm.ReverseProxy's <c>AddTracedLlmForwarderErrors()</c> reads them).
/// </remarks>
internal sealed partial class OutboundCoverageService(
    IOptions<TracedLlmOptions> options,
    ILoggerFactory loggers,
    IServiceProvider services,
    TracedLlmRegistrations? registrations = null)
    : IHostedService
{
    // Matched by name: the runtime does not depend on YARP.
    private const string YarpForwarder = "Yarp.ReverseProxy.Forwarder.IHttpForwarder";

    private OutboundCoverageSink? _sink;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The gateway only now: resolved in the constructor it would check the options before the host
        // checks every options type at once (a wrong one fails the start with all of them).
        var coverage = options.Value.OutboundCoverage;
        if (coverage.Enabled && services.GetService<TracedLlmGateway>() is { } gateway)
        {
            var logger = loggers.CreateLogger(OutboundCoverageSink.LoggerCategory);
            _sink = new OutboundCoverageSink(gateway, coverage, logger);
            OutboundCoverage.Add(_sink);
        }

        var forwarder = registrations?.Services.Any(s => s.ServiceType.FullName == YarpForwarder) == true;
        if (forwarder && !UnthrownFailure.HasReaders
            && loggers.CreateLogger(TracedLlmStartupReport.LoggerCategory) is var startup
            && startup.IsEnabled(LogLevel.Warning))
        {
            ForwarderErrorsUnread(startup);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_sink is not null)
        {
            OutboundCoverage.Remove(_sink);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message =
        "YARP's forwarder (IHttpForwarder) is registered, but no one reads the errors it reports on a request: a "
        + "traced route that calls it and answers the error itself (a 502 written by hand, or the forwarder's own "
        + "status) records no cause. Add the TracedLlm.ReverseProxy package and call "
        + "services.AddTracedLlmForwarderErrors() (AddTracedLlmRelay() calls it).")]
    private static partial void ForwarderErrorsUnread(ILogger logger);
}
