using System;

namespace TracedLlm;

// OtlpResponses: gRPC's RetryInfo, read from an answer's grpc-status-details-bin trailer (protobuf, by hand).
internal static partial class OtlpResponses
{
    // google.rpc.Status (base64) → details (Any, field 3) whose type is google.rpc.RetryInfo →
    // retry_delay (google.protobuf.Duration, field 1: seconds 1, nanos 2). Anything malformed: none.
    internal static TimeSpan? RetryDelay(string base64)
    {
        try
        {
            var padded = base64.Trim();
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var status = Convert.FromBase64String(padded);
            foreach (var (field, any) in Fields(status))
            {
                if (field != 3 || any.IsEmpty)
                {
                    continue;
                }

                string? type = null;
                ReadOnlyMemory<byte> value = default;
                foreach (var (anyField, content) in Fields(any))
                {
                    if (anyField == 1)
                    {
                        type = System.Text.Encoding.UTF8.GetString(content.Span);
                    }
                    else if (anyField == 2)
                    {
                        value = content;
                    }
                }

                if (type != "type.googleapis.com/google.rpc.RetryInfo")
                {
                    continue;
                }

                foreach (var (retryField, duration) in Fields(value))
                {
                    if (retryField == 1)
                    {
                        return Duration(duration.Span);
                    }
                }
            }
        }
        catch (FormatException)
        {
        }

        return null;
    }

    private static TimeSpan Duration(ReadOnlySpan<byte> message)
    {
        long seconds = 0, nanos = 0;
        var at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            var value =
                (key & 7) == 0 ? Varint(message, ref at) : throw new FormatException("Duration fields are varints.");
            if (key >> 3 == 1)
            {
                seconds = (long)value;
            }
            else if (key >> 3 == 2)
            {
                nanos = (long)value;
            }
        }

        return TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(nanos / 100);
    }

    // The length-delimited fields of a message (the varints into varints, if given; other wire types are skipped).
    private static System.Collections.Generic.List<(int Field, ReadOnlyMemory<byte> Content)> Fields(
        ReadOnlyMemory<byte> message,
        System.Collections.Generic.List<(int Field, ulong Value)>? varints = null)
    {
        var fields = new System.Collections.Generic.List<(int, ReadOnlyMemory<byte>)>();
        var at = 0;
        var span = message.Span;
        while (at < span.Length)
        {
            var key = Varint(span, ref at);
            switch (key & 7)
            {
                case 0:
                    var value = Varint(span, ref at);
                    varints?.Add(((int)(key >> 3), value));
                    break;
                case 1:
                    at += 8;
                    break;
                case 5:
                    at += 4;
                    break;
                case 2:
                    var length = (int)Varint(span, ref at);
                    if (length < 0 || at + length > span.Length)
                    {
                        throw new FormatException("A field runs past its message.");
                    }

                    fields.Add(((int)(key >> 3), message.Slice(at, length)));
                    at += length;
                    break;
                default:
                    throw new FormatException("Unknown wire type.");
            }
        }

        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new FormatException("A varint runs past its message.");
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("A varint longer than ten bytes.");
    }
}
