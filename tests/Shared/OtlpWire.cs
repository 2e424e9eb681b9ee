using System;
using System.IO;

/// <summary>
/// The spans of an OTLP ExportTraceServiceRequest, found by walking the protobuf wire format along
/// resource_spans (field 1), scope_spans (field 2) and spans (field 2); nothing else is decoded.
/// The one OTLP reader of the gateway tests' OTLP endpoint and of the benches' receivers (which
/// link this file from tests/Shared). Written by hand, and on nothing in src/, so that it stays independent of the
/// exporter it checks: no .NET decoder of OTLP (Google.Protobuf with the OTLP types) is on the
/// package feed; the end-to-end tests decode with @opentelemetry/otlp-transformer in Node instead.
/// </summary>
internal static class OtlpWire
{
    /// <summary>Receives one span's encoded message.</summary>
    public delegate void SpanAction(ReadOnlySpan<byte> span);

    private static readonly int[] PathToSpan = { 1, 2, 2 };

    /// <summary>Calls <paramref name="action"/> (if any) with each span; returns how many there are.</summary>
    public static int ForEachSpan(ReadOnlySpan<byte> request, SpanAction? action = null) => Walk(request, 0, action);

    /// <summary>
    /// The first length-delimited field <paramref name="field"/> of <paramref name="message"/> (empty if none).
    /// </summary>
    public static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> message, int field)
    {
        while (Next(ref message, out var number, out var value))
        {
            if (number == field)
            {
                return value;
            }
        }

        return default;
    }

    private static int Walk(ReadOnlySpan<byte> message, int depth, SpanAction? action)
    {
        var total = 0;
        while (Next(ref message, out var number, out var value))
        {
            if (number != PathToSpan[depth])
            {
                continue;
            }

            if (depth < PathToSpan.Length - 1)
            {
                total += Walk(value, depth + 1, action);
            }
            else
            {
                action?.Invoke(value);
                total++;
            }
        }

        return total;
    }

    // The next length-delimited field (number and bytes); fields of other wire types are skipped.
    private static bool Next(scoped ref ReadOnlySpan<byte> message, out int number, out ReadOnlySpan<byte> value)
    {
        while (!message.IsEmpty)
        {
            var key = ReadVarint(ref message);
            switch (key & 7)
            {
                case 0: ReadVarint(ref message); break;
                case 1: message = message[8..]; break;
                case 5: message = message[4..]; break;
                case 2:
                    var length = (int)ReadVarint(ref message);
                    number = (int)(key >> 3);
                    value = message[..length];
                    message = message[length..];
                    return true;
                default: throw new InvalidDataException($"wire type {key & 7} is not one OTLP uses");
            }
        }

        number = 0;
        value = default;
        return false;
    }

    private static ulong ReadVarint(ref ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[0];
            data = data[1..];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
