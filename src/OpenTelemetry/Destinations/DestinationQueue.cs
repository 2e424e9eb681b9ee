using System;

namespace TracedLlm;

/// <summary>A destination's share of the export's bounds, its disk buffer in a directory of its own.</summary>
/// <remarks>
/// The <c>TracedLlm:Export</c> queue, buffer and disk sizes times <see cref="TraceRoutingOptions.DestinationShare"/>;
/// the timing (batch size, delays, retries, flush and shut-down bounds) as configured. Tail sampling and scope are the
/// router's, so a destination's own queue has neither.
/// </remarks>
internal static class DestinationQueue
{
    public static ExportQueueOptions For(ExportQueueOptions total, double share)
    {
        var queueBytes = Math.Max(1, (long)(total.MaxQueueBytes * share));
        return new ExportQueueOptions
        {
            MaxQueueSize = Math.Max(1, (int)(total.MaxQueueSize * share)),
            MaxBatchSize = total.MaxBatchSize,
            ScheduledDelay = total.ScheduledDelay,
            MaxQueueBytes = queueBytes,
            MaxQueueBytesPerRequest = Math.Min(total.MaxQueueBytesPerRequest, queueBytes),
            ShutdownTimeout = total.ShutdownTimeout,
            FlushTimeout = total.FlushTimeout,
            YieldToRequests = total.YieldToRequests,
            MaxBufferedExportBytes = Math.Max(1, (long)(total.MaxBufferedExportBytes * share)),
            MaxConcurrentExports = total.MaxConcurrentExports,
            RetryInitialBackoff = total.RetryInitialBackoff,
            RetryMaxBackoff = total.RetryMaxBackoff,
            DiskBufferDirectory = total.DiskBufferDirectory,
            MaxDiskBufferBytes = Math.Max(1, (long)(total.MaxDiskBufferBytes * share)),
            WarningInterval = total.WarningInterval,
            Warn = total.Warn,
        };
    }
}
