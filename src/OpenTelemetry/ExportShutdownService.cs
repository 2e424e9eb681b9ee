using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TracedLlm;

/// <summary>
/// The export processors the host's service provider created (each exporter's queue, each router of destinations).
/// </summary>
internal sealed class ExportProcessors
{
    private readonly List<OpenTelemetry.BaseProcessor<System.Diagnostics.Activity>> _processors = new();

    public void Add(OpenTelemetry.BaseProcessor<System.Diagnostics.Activity> processor)
    {
        lock (_processors)
        {
            _processors.Add(processor);
        }
    }

    /// <summary>The exporters' queues (each destination of a router has its own, inside it).</summary>
    public IReadOnlyList<BoundedExportProcessor> All()
    {
        lock (_processors)
        {
            return _processors.OfType<BoundedExportProcessor>().ToList();
        }
    }

    /// <summary>Every processor the host's stop shuts down: the exporters' queues and the routers.</summary>
    public IReadOnlyList<OpenTelemetry.BaseProcessor<System.Diagnostics.Activity>> Every()
    {
        lock (_processors)
        {
            return _processors.ToList();
        }
    }
}

/// <summary>
/// Delivers the export queues when the host stops (SIGTERM, Ctrl+C, <c>IHost.StopAsync</c>), after every hosted service
/// has stopped.
/// </summary>
/// <remarks>
/// By then the server has drained its requests, so their spans are queued; it runs before the service provider is
/// disposed. Each queue has its own <see cref="ExportQueueOptions.ShutdownTimeout"/>; the queues shut down side by
/// side, so the stop takes the longest bound, not their sum, and never longer than the host's own shut-down timeout.
/// (The provider's disposal would also shut them down, but only after every other singleton, and with OpenTelemetry's
/// fixed five seconds.)
/// </remarks>
internal sealed class ExportShutdownService(ExportProcessors processors) : IHostedLifecycleService
{
    /// <summary>The log category of the export warnings.</summary>
    public const string LoggerCategory = "TracedLlm.Export";

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        var shutdowns = processors
            .Every()
            .Select(processor =>
                Task.Factory.StartNew(
                    () => processor.Shutdown(),
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default));
        return Task.WhenAll(shutdowns).WaitAsync(cancellationToken);
    }
}

/// <summary>The export warnings as log messages.</summary>
internal static partial class ExportLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Message}")]
    public static partial void Warning(ILogger logger, string message);
}
