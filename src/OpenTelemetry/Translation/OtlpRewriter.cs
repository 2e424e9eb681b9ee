using System;

namespace TracedLlm;

/// <summary>
/// Rewrites one serialized OTLP <c>ExportTraceServiceRequest</c> for a destination, through its
/// <see cref="SpanTranslation"/>.
/// </summary>
/// <remarks>
/// Every field is copied as OpenTelemetry wrote it, except the spans' and the resource's attributes, which go through
/// the translation (kept, dropped, added). Lengths are written anew; field order within a message is free in protobuf,
/// so the added attributes follow the kept ones.
/// </remarks>
internal sealed class OtlpRewriter
{
    // Field numbers (opentelemetry-proto, trace/v1 and common/v1).
    private const int RequestResourceSpans = 1;
    private const int ResourceSpansResource = 1;
    private const int ResourceSpansScopeSpans = 2;
    private const int ResourceAttributes = 1;
    private const int ScopeSpansSpans = 2;
    private const int SpanName = 5;
    private const int SpanKind = 6;
    private const int SpanAttributes = 9;
    private const int SpanStatus = 15;
    private const int StatusCode = 3;
    private const int KeyValueKey = 1;
    private const int KeyValueValue = 2;

    private readonly SpanTranslation _translation;
    private readonly SpanReading _span = new();

    public OtlpRewriter(SpanTranslation translation) => _translation = translation;

    /// <summary>
    /// Writes the request in <paramref name="source"/> (<paramref name="length"/> bytes from <paramref name="offset"/>)
    /// translated into <paramref name="output"/>.
    /// </summary>
    public void Rewrite(byte[] source, int offset, int length, ref ProtoWriter output)
    {
        var reader = new ProtoReader(source.AsSpan(offset, length));
        while (reader.Next(out var field, out _, out var whole, out var content, out _))
        {
            if (field == RequestResourceSpans)
            {
                var mark = output.Begin(RequestResourceSpans);
                ResourceSpans(source, Offset(source, content), content.Length, ref output);
                output.End(mark);
            }
            else
            {
                output.Raw(whole);
            }
        }
    }

    private void ResourceSpans(byte[] source, int offset, int length, ref ProtoWriter output)
    {
        var resourceWritten = false;
        var reader = new ProtoReader(source.AsSpan(offset, length));
        while (reader.Next(out var field, out _, out var whole, out var content, out _))
        {
            switch (field)
            {
                case ResourceSpansResource:
                    var resource = output.Begin(ResourceSpansResource);
                    Resource(content, ref output);
                    output.End(resource);
                    resourceWritten = true;
                    break;
                case ResourceSpansScopeSpans:
                    var scope = output.Begin(ResourceSpansScopeSpans);
                    ScopeSpans(source, Offset(source, content), content.Length, ref output);
                    output.End(scope);
                    break;
                default:
                    output.Raw(whole);
                    break;
            }
        }

        if (!resourceWritten)
        {
            var resource = output.Begin(ResourceSpansResource);
            var attributes = new AttributeWriter(ref output, ResourceAttributes);
            _translation.AddResource(ref attributes);
            output.End(resource);
        }
    }

    private void Resource(ReadOnlySpan<byte> resource, ref ProtoWriter output)
    {
        var reader = new ProtoReader(resource);
        while (reader.Next(out var field, out _, out var whole, out var content, out _))
        {
            if (field != ResourceAttributes || _translation.KeepsResource(KeyOf(content)))
            {
                output.Raw(whole);
            }
        }

        var attributes = new AttributeWriter(ref output, ResourceAttributes);
        _translation.AddResource(ref attributes);
    }

    private void ScopeSpans(byte[] source, int offset, int length, ref ProtoWriter output)
    {
        var reader = new ProtoReader(source.AsSpan(offset, length));
        while (reader.Next(out var field, out _, out var whole, out var content, out _))
        {
            if (field == ScopeSpansSpans)
            {
                var span = output.Begin(ScopeSpansSpans);
                Span(source, Offset(source, content), content.Length, ref output);
                output.End(span);
            }
            else
            {
                output.Raw(whole);
            }
        }
    }

    private void Span(byte[] source, int offset, int length, ref ProtoWriter output)
    {
        // First the span as it is (its attributes found, every other field copied), then what the translation adds.
        _span.Reset(source);
        var reader = new ProtoReader(source.AsSpan(offset, length));
        while (reader.Next(out var field, out _, out var whole, out var content, out var scalar))
        {
            switch (field)
            {
                case SpanAttributes:
                    var key = KeyOf(content, out var keyOffset, out var valueOffset, out var valueLength);
                    var contentOffset = Offset(source, content);
                    _span.AddAttribute(contentOffset + keyOffset, key.Length, contentOffset + valueOffset, valueLength);
                    if (_translation.Keeps(key))
                    {
                        output.Raw(whole);
                    }

                    continue;
                case SpanName:
                    _span.SetName(Offset(source, content), content.Length);
                    break;
                case SpanKind:
                    _span.SetKind((int)scalar);
                    break;
                case SpanStatus:
                    var status = new ProtoReader(content);
                    while (status.Next(out var statusField, out _, out _, out _, out var code))
                    {
                        if (statusField == StatusCode)
                        {
                            _span.SetStatus((int)code);
                        }
                    }

                    break;
            }

            output.Raw(whole);
        }

        var attributes = new AttributeWriter(ref output, SpanAttributes);
        _translation.AddSpan(_span, ref attributes);
    }

    private static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> keyValue) => KeyOf(keyValue, out _, out _, out _);

    // A KeyValue's key, and where in it the key and the value's content start.
    private static ReadOnlySpan<byte> KeyOf(
        ReadOnlySpan<byte> keyValue,
        out int keyOffset,
        out int valueOffset,
        out int valueLength)
    {
        ReadOnlySpan<byte> key = default;
        keyOffset = valueOffset = valueLength = 0;
        var reader = new ProtoReader(keyValue);
        while (reader.Next(out var field, out _, out _, out var content, out _))
        {
            if (field == KeyValueKey)
            {
                key = content;
                keyOffset = Offset(keyValue, content);
            }
            else if (field == KeyValueValue)
            {
                valueOffset = Offset(keyValue, content);
                valueLength = content.Length;
            }
        }

        return key;
    }

    // Where a slice of a buffer starts in it (the reader hands out slices, the span keeps offsets).
    private static int Offset(ReadOnlySpan<byte> whole, ReadOnlySpan<byte> part) =>
        part.IsEmpty
            ? 0
            : (int)
                System.Runtime.CompilerServices.Unsafe.ByteOffset(
                    ref System.Runtime.InteropServices.MemoryMarshal.GetReference(whole),
                    ref System.Runtime.InteropServices.MemoryMarshal.GetReference(part));

    private static int Offset(byte[] whole, ReadOnlySpan<byte> part) => Offset(whole.AsSpan(), part);
}
