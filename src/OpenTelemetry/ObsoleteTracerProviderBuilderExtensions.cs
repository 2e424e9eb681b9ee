using System;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry;

/// <summary>The 0.1 names, kept for one version.</summary>
public static class TracedLlmTracerProviderBuilderExtensions
{
    /// <summary>Use <c>AddTracedLlmLangfuseExporter()</c> (namespace <c>OpenTelemetry.Trace</c>).</summary>
    [Obsolete("Use AddTracedLlmLangfuseExporter() from namespace OpenTelemetry.Trace, whose name cannot clash with Langfuse's own packages, and set the queue with TracedLlm:Export or its configureQueue argument. AddLangfuseExporter() goes in the next version.")]
    public static TracerProviderBuilder AddLangfuseExporter(this TracerProviderBuilder builder, Action<LangfuseExporterOptions>? configure = null, ExportQueueOptions? queue = null) =>
        builder.AddTracedLlmLangfuseExporter(configure, queue is null ? null : options =>
        {
            options.MaxQueueSize = queue.MaxQueueSize;
            options.MaxBatchSize = queue.MaxBatchSize;
            options.ScheduledDelay = queue.ScheduledDelay;
            options.MaxQueueBytes = queue.MaxQueueBytes;
            options.MaxQueueBytesPerRequest = queue.MaxQueueBytesPerRequest;
            options.ShutdownTimeout = queue.ShutdownTimeout;
            options.WarningInterval = queue.WarningInterval;
            options.Warn = queue.Warn;
        });
}
