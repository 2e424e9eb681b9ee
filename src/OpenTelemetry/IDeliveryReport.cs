using System;

namespace TracedLlm;

/// <summary>What the delivery tells its processor.</summary>
internal interface IDeliveryReport
{
    void Delivered(long spans);

    /// <summary>
    /// Spans of <paramref name="payload"/> (null: of a batch not sealed yet) not delivered;
    /// <paramref name="said"/> is the endpoint's message, when it gave one.
    /// </summary>
    void Dropped(ExportPayload? payload, long spans, BoundedExportProcessor.DropReason reason, string? said = null);

    void Retrying(long spans, string detail, TimeSpan wait);

    void Warn(string message);

    /// <summary>
    /// A batch could not be written to the disk buffer (it waits in memory): warned about at most once per interval.
    /// </summary>
    void DiskWriteFailed(string problem);
}
