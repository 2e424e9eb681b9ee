using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;

/// <summary>
/// Counts the runtime's AllocationTick events (one per ~100 KB allocated) by type, and the bytes
/// they stand for: which types a process allocates most. Shared by bench/Pipeline (`alloc`) and
/// bench/gateway/AllocProbe; read <see cref="Types"/> and <see cref="Bytes"/> under a lock on <see cref="Types"/>.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    public Dictionary<string, int> Types { get; } = new();

    public Dictionary<string, long> Bytes { get; } = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (data.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && data.PayloadNames is { } names)
        {
            var type = data.Payload![names.IndexOf("TypeName")] as string ?? "?";
            var amount = names.IndexOf("AllocationAmount64") is var at and >= 0 ? Convert.ToInt64(data.Payload[at]) : 100_000;
            lock (Types)
            {
                Types[type] = Types.GetValueOrDefault(type) + 1;
                Bytes[type] = Bytes.GetValueOrDefault(type) + amount;
            }
        }
    }
}
