using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace TracedLlm;

/// <summary>
/// The protobuf wire format as an OTLP request needs it: read field by field, and written into a growing pooled buffer.
/// </summary>
/// <remarks>
/// Fields are varint, 64-bit, length-delimited or 32-bit; a nested message's length is written once its content is
/// (<see cref="ProtoWriter.Begin"/> / <see cref="ProtoWriter.End"/>). Hand-written because the exporter's own
/// serializer is internal to OpenTelemetry and no OTLP protobuf types are on the package feed; it rewrites what that
/// serializer wrote, field by field.
/// </remarks>
internal ref struct ProtoReader
{
    private ReadOnlySpan<byte> _data;

    public ProtoReader(ReadOnlySpan<byte> data) => _data = data;

    /// <summary>
    /// Reads the next field: its number, wire type, the whole field as written (tag included) and, when
    /// length-delimited, its content.
    /// </summary>
    public bool Next(
        out int field,
        out int wireType,
        out ReadOnlySpan<byte> whole,
        out ReadOnlySpan<byte> content,
        out ulong scalar)
    {
        content = default;
        scalar = 0;
        if (_data.IsEmpty)
        {
            field = wireType = 0;
            whole = default;
            return false;
        }

        var start = _data;
        var key = ReadVarint(ref _data);
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        switch (wireType)
        {
            case 0:
                scalar = ReadVarint(ref _data);
                break;
            case 1:
                scalar = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
                break;
            case 2:
                var length = ReadVarint(ref _data);
                if (length > (ulong)_data.Length)
                {
                    throw new InvalidDataException("A length-delimited field runs past its message.");
                }

                content = Take((int)length);
                break;
            case 5:
                scalar = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
                break;
            default:
                throw new InvalidDataException($"Wire type {wireType} is not one OTLP uses.");
        }

        whole = start[..(start.Length - _data.Length)];
        return true;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > _data.Length)
        {
            throw new InvalidDataException("A field runs past its message.");
        }

        var taken = _data[..length];
        _data = _data[length..];
        return taken;
    }

    private static ulong ReadVarint(ref ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (data.IsEmpty)
            {
                throw new InvalidDataException("A varint runs past its message.");
            }

            var b = data[0];
            data = data[1..];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("A varint is longer than ten bytes.");
    }
}

/// <summary>Writes protobuf into a buffer rented from the shared pool, growing it as needed.</summary>
internal struct ProtoWriter
{
    private const int LengthRoom = 5;

    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity) => (_buffer, _length) = (ArrayPool<byte>.Shared.Rent(capacity), 0);

    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>The buffer and its length, handed over (the writer is done with it).</summary>
    public (byte[] Buffer, int Length) Detach()
    {
        var result = (_buffer, _length);
        (_buffer, _length) = (Array.Empty<byte>(), 0);
        return result;
    }

    public void Return()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        (_buffer, _length) = (Array.Empty<byte>(), 0);
    }

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Room(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>Starts a length-delimited field whose content follows; returns where its length goes.</summary>
    public int Begin(int field)
    {
        Tag(field, 2);
        Room(LengthRoom);
        var mark = _length;
        _length += LengthRoom;
        return mark;
    }

    /// <summary>
    /// Ends the field <see cref="Begin"/> started: its length, in as few bytes as it takes, and the content moved up to
    /// it.
    /// </summary>
    public void End(int mark)
    {
        var contentStart = mark + LengthRoom;
        var length = _length - contentStart;
        Span<byte> varint = stackalloc byte[LengthRoom];
        var size = Varint(varint, (ulong)length);
        varint[..size].CopyTo(_buffer.AsSpan(mark));
        if (size < LengthRoom)
        {
            _buffer.AsSpan(contentStart, length).CopyTo(_buffer.AsSpan(mark + size));
            _length -= LengthRoom - size;
        }
    }

    public void String(int field, string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        Tag(field, 2);
        VarintValue((ulong)bytes);
        Encoding.UTF8.GetBytes(value, Room(bytes));
        _length += bytes;
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        VarintValue((ulong)value.Length);
        Raw(value);
    }

    public void VarintField(int field, ulong value)
    {
        Tag(field, 0);
        VarintValue(value);
    }

    public void Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(Room(8), value);
        _length += 8;
    }

    private void Tag(int field, int wireType) => VarintValue(((ulong)field << 3) | (uint)wireType);

    private void VarintValue(ulong value)
    {
        _length += Varint(Room(10), value);
    }

    private static int Varint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    private Span<byte> Room(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes + 256));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        return _buffer.AsSpan(_length);
    }
}
