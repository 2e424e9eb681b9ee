using System;
using System.Buffers.Binary;
using System.Diagnostics;

namespace TracedLlm;

/// <summary>
/// Whether a trace falls in a ratio: the low 53 bits of its id's last 8 bytes (the W3C random part) as a fraction of 1.
/// </summary>
/// <remarks>
/// So that every process, exporter and destination keeps the same traces, and a lower ratio keeps a subset of what a
/// higher one keeps.
/// </remarks>
internal static class TraceIdRatio
{
    public static bool Keeps(ActivityTraceId traceId, double ratio)
    {
        if (ratio >= 1)
        {
            return true;
        }

        if (ratio <= 0 || double.IsNaN(ratio))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        return (BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) >> 11) * (1.0 / (1UL << 53)) < ratio;
    }
}
