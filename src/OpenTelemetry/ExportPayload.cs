using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace TracedLlm;

/// <summary>
/// One OTLP export request's body, serialized: an <c>ExportTraceServiceRequest</c> in protobuf, in a pooled buffer or a
/// file of the disk buffer.
/// </summary>
/// <remarks>
/// The pieces it was serialized in follow one another (protobuf messages concatenated are one message whose repeated
/// fields are joined, so the pieces together are one request with a <c>ResourceSpans</c> each). The buffer is rented
/// from the shared array pool and given back once the batch is delivered, dropped or written to disk: batches of 512
/// spans are too large for the small object heap, and allocating one each would bring gen 2 collections.
/// </remarks>
internal sealed class ExportPayload
{
    private byte[]? _body;

    public ExportPayload(long sequence, byte[] body, int length, int spans, Member[]? members = null)
    {
        Sequence = sequence;
        _body = body;
        Bytes = length;
        Spans = spans;
        MemoryBytes = body.Length;
        Members = members;
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

    /// <summary>Whose spans it holds when several destinations share the batch; null: the processor's own.</summary>
    /// <remarks>So that a drop is counted under each one's name. A recovered file's are the processor's.</remarks>
    public Member[]? Members { get; }

    /// <summary>The body's length.</summary>
    public long Bytes { get; }

    /// <summary>
    /// The memory it holds (its rented buffer's length), counted against the buffer's bound while
    /// <see cref="InMemory"/>.
    /// </summary>
    public long MemoryBytes { get; }

    /// <summary>Whether the body is held in memory (not yet given back, not moved to a file).</summary>
    public bool InMemory => Volatile.Read(ref _body) is not null;

    /// <summary>The disk buffer's file holding the body, or null.</summary>
    public string? File { get; private set; }

    /// <summary>When its last try began (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), or 0.</summary>
    public long TriedAt { get; set; }

    /// <summary>A payload whose body is a file of the disk buffer (one written by an earlier process).</summary>
    public static ExportPayload FromFile(long sequence, string file, long bytes, int spans) =>
        new(sequence, file, bytes, spans);

    /// <summary>The body now lives in <paramref name="file"/>: the memory goes back to the pool.</summary>
    public void MovedTo(string file)
    {
        File = file;
        Release();
    }

    /// <summary>Gives the memory back (once: later calls do nothing). Only when no send reads it.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _body, null) is { } body)
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>The body as a stream: over the memory, or over the disk buffer's file, read as it is sent.</summary>
    /// <remarks>
    /// A retried batch is not read whole into a new array on every try; the page cache keeps the file.
    /// </remarks>
    public Stream OpenRead() =>
        Volatile.Read(ref _body) is { } body
            ? new MemoryStream(body, 0, (int)Bytes, writable: false)
            : new FileStream(
                File ?? throw new InvalidOperationException("The batch was given back."),
                FileMode.Open,
                FileAccess.Read,
                FileShare.Read | FileShare.Delete,
                64 * 1024,
                FileOptions.SequentialScan);

    /// <summary>Writes the body.</summary>
    public void WriteTo(Stream stream)
    {
        using var body = OpenRead();
        body.CopyTo(stream);
    }

    /// <summary>A destination's spans in the batch.</summary>
    internal readonly record struct Member(KeyValuePair<string, object?> Destination, int Spans);
}
