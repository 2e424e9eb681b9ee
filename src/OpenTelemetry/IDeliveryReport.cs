using System;

namespace TracedLlm;

/// <summary>What the delivery tells its processor.</summary>
internal interface IDeliveryReport
{
    void Delivered(long spans);

    void Dropped(long spans, BoundedExportProcessor.DropReason reason);

    void Retrying(long spans, string detail, TimeSpan wait);

    void Warn(string message);
}
