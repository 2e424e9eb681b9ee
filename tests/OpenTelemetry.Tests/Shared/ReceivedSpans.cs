using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>One span as an OTLP receiver got it: ids, name, status, its attributes and its resource's.</summary>
internal sealed record ReceivedSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int StatusCode,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyDictionary<string, object?> Resource)
{
    /// <summary>The span kind, as OTLP numbers it (1 internal, 2 server, 3 client).</summary>
    public int Kind { get; init; }

    /// <summary>Start and end, in nanoseconds since the epoch.</summary>
    public (ulong Start, ulong End) Times { get; init; }

    /// <summary>The events' names, and the status message.</summary>
    public IReadOnlyList<string> Events { get; init; } = Array.Empty<string>();

    public string StatusMessage { get; init; } = string.Empty;

    /// <summary>The linked spans' ids.</summary>
    public IReadOnlyList<string> Links { get; init; } = Array.Empty<string>();

    public string? Text(string key) => Attributes.TryGetValue(key, out var value) ? value as string : null;

    public long? Number(string key) =>
        Attributes.TryGetValue(key, out var value)
            ? value switch
            {
                long l => l,
                double d => (long)d,
                _ => null
            }
            : null;

    public double? Real(string key) =>
        Attributes.TryGetValue(key, out var value)
            ? value switch
            {
                long l => l,
                double d => d,
                _ => null
            }
            : null;
}

/// <summary>
/// Decodes the spans of OTLP export request bodies (protobuf) for assertions: a decoder of the tests'
/// own, on <see cref="OtlpWire"/>, sharing nothing with the exporter's code it checks.
/// </summary>
internal static class ReceivedSpans
{
    /// <summary>Every span of every accepted request the endpoint received.</summary>
    public static List<ReceivedSpan> Of(ScriptedOtlpEndpoint endpoint) =>
        endpoint.Requests.Where(r => r.Accepted).SelectMany(r => Decode(r.Body)).ToList();

    /// <summary>Every span of every request the endpoint received, accepted or not.</summary>
    public static List<ReceivedSpan> AllOf(ScriptedOtlpEndpoint endpoint) =>
        endpoint.Requests.SelectMany(r => Decode(r.Body)).ToList();

    public static List<ReceivedSpan> Decode(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Fields(request, 1))
        {
            var resource = Attributes(Fields(resourceSpans, 1).FirstOrDefault() ?? Array.Empty<byte>(), 1);
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    var status = Fields(span, 15).FirstOrDefault();
                    spans.Add(
                        new ReceivedSpan(
                            Convert.ToHexStringLower(Fields(span, 1).FirstOrDefault() ?? Array.Empty<byte>()),
                            Convert.ToHexStringLower(Fields(span, 2).FirstOrDefault() ?? Array.Empty<byte>()),
                            Convert.ToHexStringLower(Fields(span, 4).FirstOrDefault() ?? Array.Empty<byte>()),
                            Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? Array.Empty<byte>()),
                            status is null ? 0 : (int)(Scalars(status, 3).FirstOrDefault()),
                            Attributes(span, 9),
                            resource)
                        {
                            Kind = (int)Scalars(span, 6).FirstOrDefault(),
                            Times = (Scalars(span, 7).FirstOrDefault(), Scalars(span, 8).FirstOrDefault()),
                            Events = Fields(span, 11)
                                .Select(e =>
                                    Encoding.UTF8.GetString(Fields(e, 2).FirstOrDefault() ?? Array.Empty<byte>()))
                                .ToList(),
                            StatusMessage = status is null
                                ? string.Empty
                                : Encoding.UTF8.GetString(Fields(status, 2).FirstOrDefault() ?? Array.Empty<byte>()),
                            Links = Fields(span, 13)
                                .Select(l =>
                                    Convert.ToHexStringLower(Fields(l, 2).FirstOrDefault() ?? Array.Empty<byte>()))
                                .ToList(),
                        });
                }
            }
        }

        return spans;
    }

    private static Dictionary<string, object?> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var keyValue in Fields(message, field))
        {
            var key = Encoding.UTF8.GetString(Fields(keyValue, 1).FirstOrDefault() ?? Array.Empty<byte>());
            attributes[key] = Value(Fields(keyValue, 2).FirstOrDefault() ?? Array.Empty<byte>());
        }

        return attributes;
    }

    private static object? Value(byte[] anyValue)
    {
        foreach (var (field, wire, bytes, scalar) in Read(anyValue))
        {
            switch (field)
            {
                case 1: return Encoding.UTF8.GetString(bytes!);
                case 2: return scalar != 0;
                case 3: return (long)scalar;
                case 4: return BitConverter.UInt64BitsToDouble(scalar);
                case 5: return Fields(bytes!, 1).Select(Value).ToArray();
            }
        }

        return null;
    }

    private static IEnumerable<byte[]> Fields(byte[] message, int number) =>
        Read(message).Where(f => f.Field == number && f.Bytes is not null).Select(f => f.Bytes!);

    private static IEnumerable<ulong> Scalars(byte[] message, int number) =>
        Read(message).Where(f => f.Field == number && f.Bytes is null).Select(f => f.Scalar);

    private static List<(int Field, int Wire, byte[]? Bytes, ulong Scalar)> Read(byte[] message)
    {
        var fields = new List<(int, int, byte[]?, ulong)>();
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var wire = (int)(key & 7);
            var field = (int)(key >> 3);
            switch (wire)
            {
                case 0:
                    fields.Add((field, wire, null, Varint(message, ref position)));
                    break;
                case 1:
                    fields.Add((field, wire, null, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(position))));
                    position += 8;
                    break;
                case 5:
                    fields.Add((field, wire, null, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(position))));
                    position += 4;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    fields.Add((field, wire, message.AsSpan(position, length).ToArray(), 0));
                    position += length;
                    break;
                default: throw new FormatException($"wire type {wire}");
            }
        }

        return fields;
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
