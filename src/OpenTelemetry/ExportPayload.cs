using System;
using System.Collections.Generic;
using System.IO;

namespace TracedLlm.OpenTelemetry;

/// <summary>
/// One OTLP export request's body, serialized: an <c>ExportTraceServiceRequest</c> in protobuf, kept
/// as the pieces it was serialized in (protobuf messages concatenated are one message whose repeated
/// fields are joined, so the pieces together are one request with a <c>ResourceSpans</c> each). In
/// memory (<see cref="Segments"/>), or in a file of the disk buffer once written there.
/// </summary>
internal sealed class ExportPayload
{
    public ExportPayload(long sequence, List<byte[]> segments, int spans)
    {
        Sequence = sequence;
        Segments = segments;
        Spans = spans;
        foreach (var segment in segments)
        {
            Bytes += segment.Length;
        }
    }

    private ExportPayload(long sequence, string file, long bytes, int spans)
    {
        Sequence = sequence;
        File = file;
        Bytes = bytes;
        Spans = spans;
    }

    /// <summary>The order it was sealed in (a recovered file keeps its place before new batches).</summary>
    public long Sequence { get; }

    /// <summary>The spans it holds.</summary>
    public int Spans { get; }

    /// <summary>The body's length.</summary>
    public long Bytes { get; }

    /// <summary>The body, while it is held in memory; null once it lives only in <see cref="File"/>.</summary>
    public List<byte[]>? Segments { get; private set; }

    /// <summary>The disk buffer's file holding the body, or null.</summary>
    public string? File { get; private set; }

    /// <summary>When its last try began (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), or 0.</summary>
    public long TriedAt { get; set; }

    /// <summary>A payload whose body is a file of the disk buffer (one written by an earlier process).</summary>
    public static ExportPayload FromFile(long sequence, string file, long bytes, int spans) => new(sequence, file, bytes, spans);

    /// <summary>The body now lives in <paramref name="file"/>: the memory copy is let go.</summary>
    public void MovedTo(string file)
    {
        File = file;
        Segments = null;
    }

    /// <summary>The body's pieces, read from the file when it is not in memory.</summary>
    public IReadOnlyList<byte[]> Read() => Segments ?? (IReadOnlyList<byte[]>)new[] { System.IO.File.ReadAllBytes(File!) };

    /// <summary>Writes the body, piece after piece.</summary>
    public void WriteTo(Stream stream)
    {
        foreach (var segment in Read())
        {
            stream.Write(segment);
        }
    }
}
