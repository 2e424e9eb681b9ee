using System;
using System.Collections.Generic;
using System.Text;

namespace TracedLlm;

/// <summary>
/// One serialized span as a translation reads it: its name, kind, status and attributes, looked up
/// by key in the bytes OpenTelemetry's serializer wrote (nothing is decoded until asked for).
/// Reused span after span by one rewrite at a time.
/// </summary>
internal sealed class SpanReading
{
    private readonly List<(int KeyStart, int KeyLength, int ValueStart, int ValueLength)> _attributes = new();
    private byte[] _source = Array.Empty<byte>();
    private int _nameStart;
    private int _nameLength;

    /// <summary>The span kind as OTLP numbers it (1 internal, 2 server, 3 client).</summary>
    public int Kind { get; private set; }

    /// <summary>The status code as OTLP numbers it (0 unset, 1 ok, 2 error).</summary>
    public int StatusCode { get; private set; }

    public string Name => Encoding.UTF8.GetString(_source, _nameStart, _nameLength);

    public int Count => _attributes.Count;

    internal void Reset(byte[] source)
    {
        _source = source;
        _attributes.Clear();
        _nameStart = _nameLength = 0;
        Kind = StatusCode = 0;
    }

    internal void SetName(int start, int length) => (_nameStart, _nameLength) = (start, length);

    internal void SetKind(int kind) => Kind = kind;

    internal void SetStatus(int code) => StatusCode = code;

    internal void AddAttribute(int keyStart, int keyLength, int valueStart, int valueLength) =>
        _attributes.Add((keyStart, keyLength, valueStart, valueLength));

    /// <summary>The key of attribute <paramref name="index"/>, as UTF-8.</summary>
    public ReadOnlySpan<byte> Key(int index) =>
        _source.AsSpan(_attributes[index].KeyStart, _attributes[index].KeyLength);

    /// <summary>The encoded <c>AnyValue</c> of attribute <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Value(int index) =>
        _source.AsSpan(_attributes[index].ValueStart, _attributes[index].ValueLength);

    /// <summary>The index of the attribute named <paramref name="key"/> (UTF-8), or -1.</summary>
    public int Find(ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < _attributes.Count; i++)
        {
            var (start, length, _, _) = _attributes[i];
            if (length == key.Length && _source.AsSpan(start, length).SequenceEqual(key))
            {
                return i;
            }
        }

        return -1;
    }

    public bool Has(ReadOnlySpan<byte> key) => Find(key) >= 0;

    /// <summary>A string attribute's value (or a number's, written invariantly), or null.</summary>
    public string? String(ReadOnlySpan<byte> key)
    {
        var index = Find(key);
        return index < 0 ? null : AsString(Value(index));
    }

    /// <summary>An integer attribute's value (a double's, when whole), or null.</summary>
    public long? Long(ReadOnlySpan<byte> key)
    {
        var index = Find(key);
        if (index < 0)
        {
            return null;
        }

        return Scalar(Value(index)) switch
        {
            (3, var bits) => (long)bits,
            (4, var bits)
                when BitConverter.UInt64BitsToDouble(bits) is var number
                    && number == Math.Floor(number)
                    && Math.Abs(number) < 9e15 => (long)number,
            _ => null,
        };
    }

    /// <summary>A number attribute's value, or null.</summary>
    public double? Double(ReadOnlySpan<byte> key)
    {
        var index = Find(key);
        if (index < 0)
        {
            return null;
        }

        return Scalar(Value(index)) switch
        {
            (3, var bits) => (long)bits,
            (4, var bits) => BitConverter.UInt64BitsToDouble(bits),
            _ => null,
        };
    }

    /// <summary>A string array attribute's items (a single string as one item), or null.</summary>
    public List<string>? Strings(ReadOnlySpan<byte> key)
    {
        var index = Find(key);
        if (index < 0)
        {
            return null;
        }

        var items = new List<string>();
        var reader = new ProtoReader(Value(index));
        while (reader.Next(out var field, out _, out _, out var content, out _))
        {
            if (field == 1)
            {
                items.Add(Encoding.UTF8.GetString(content));
            }
            else if (field == 5)
            {
                var array = new ProtoReader(content);
                while (array.Next(out var item, out _, out _, out var value, out _))
                {
                    if (item == 1 && AsString(value) is { } text)
                    {
                        items.Add(text);
                    }
                }
            }
        }

        return items;
    }

    /// <summary>
    /// The attributes whose key starts with <paramref name="prefix"/>: the rest of the key, and the value as a string.
    /// </summary>
    public IEnumerable<(string Name, string Value)> WithPrefix(string prefix)
    {
        var utf8 = Encoding.UTF8.GetBytes(prefix);
        for (var i = 0; i < _attributes.Count; i++)
        {
            var key = Key(i);
            if (key.Length > utf8.Length && key.StartsWith(utf8) && AsString(Value(i)) is { } value)
            {
                yield return (Encoding.UTF8.GetString(key[utf8.Length..]), value);
            }
        }
    }

    /// <summary>
    /// An <c>AnyValue</c> as text: a string as is, a number or boolean written invariantly, an array as JSON; null for
    /// bytes or a map.
    /// </summary>
    internal static string? AsString(ReadOnlySpan<byte> anyValue)
    {
        var reader = new ProtoReader(anyValue);
        if (!reader.Next(out var field, out _, out _, out var content, out var scalar))
        {
            return null;
        }

        switch (field)
        {
            case 1:
                return Encoding.UTF8.GetString(content);
            case 2:
                return scalar != 0 ? "true" : "false";
            case 3:
                return ((long)scalar).ToString(System.Globalization.CultureInfo.InvariantCulture);
            case 4:
                return BitConverter
                    .UInt64BitsToDouble(scalar)
                    .ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            case 5:
                var items = new List<string?>();
                var array = new ProtoReader(content);
                while (array.Next(out var item, out _, out _, out var value, out _))
                {
                    if (item == 1)
                    {
                        items.Add(AsString(value));
                    }
                }

                return System.Text.Json.JsonSerializer.Serialize(items.ToArray()!, TranslationJson.Default.StringArray);
            default: return null;
        }
    }

    // The AnyValue's field and its scalar (bool, int, double bits).
    private static (int Field, ulong Bits) Scalar(ReadOnlySpan<byte> anyValue)
    {
        var reader = new ProtoReader(anyValue);
        return reader.Next(out var field, out _, out _, out _, out var scalar) ? (field, scalar) : (0, 0);
    }
}

/// <summary>
/// Writes the attributes a translation adds, as OTLP <c>KeyValue</c> fields of the message being written.
/// </summary>
internal ref struct AttributeWriter
{
    private readonly ref ProtoWriter _writer;
    private readonly int _field;

    public AttributeWriter(ref ProtoWriter writer, int field)
    {
        _writer = ref writer;
        _field = field;
    }

    public void String(string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        var mark = Begin(key);
        _writer.String(1, value);
        End(mark);
    }

    public void Long(string key, long? value)
    {
        if (value is not { } number)
        {
            return;
        }

        var mark = Begin(key);
        _writer.VarintField(3, (ulong)number);
        End(mark);
    }

    public void Double(string key, double? value)
    {
        if (value is not { } number)
        {
            return;
        }

        var mark = Begin(key);
        _writer.Fixed64(4, BitConverter.DoubleToUInt64Bits(number));
        End(mark);
    }

    public void Strings(string key, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        var mark = Begin(key);
        var array = _writer.Begin(5);
        foreach (var value in values)
        {
            var item = _writer.Begin(1);
            _writer.String(1, value);
            _writer.End(item);
        }

        _writer.End(array);
        End(mark);
    }

    // A KeyValue field: its key, then its AnyValue's field opened.
    private (int KeyValue, int Value) Begin(string key)
    {
        var keyValue = _writer.Begin(_field);
        _writer.String(1, key);
        return (keyValue, _writer.Begin(2));
    }

    private void End((int KeyValue, int Value) mark)
    {
        _writer.End(mark.Value);
        _writer.End(mark.KeyValue);
    }
}
