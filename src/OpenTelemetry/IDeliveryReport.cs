using System;

namespace TracedLlm;

/// <summary>What the delivery tells its processor.</summary>
internal interface IDeliveryReport
{
    void Delivered(long spans);

    void Dropped(long spans, BoundedExportProcessor.DropReason reason);

    void Retrying(long spans, string detail, TimeSpan wait);

    void Warn(string message);

    /// <summary>A batch could not be written to the disk buffer (it waits in memory): warned about at most once per interval.</summary>
    void DiskWriteFailed(string problem);
}
