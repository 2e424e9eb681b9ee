using System;
using System.Buffers;

namespace TracedLlm.Relay;

/// <summary>
/// A held response's bytes in an array from the shared pool, given back by <see cref="Release"/>
/// once they are written. <see cref="ArrayBufferWriter{T}"/> allocated 48 KB a request here (16 KB,
/// then 32 KB when the first read left less than a read's room), about three quarters of the relay's
/// allocation per request in bench/gateway/profile.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private byte[] _buffer = Array.Empty<byte>();
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Gives the array back to the pool; nothing may read <see cref="WrittenMemory"/> after it.</summary>
    public void Release()
    {
        var buffer = _buffer;
        _buffer = Array.Empty<byte>();
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = (long)_written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var next = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, _buffer.Length * 2L)));
        _buffer.AsSpan(0, _written).CopyTo(next);
        var written = _written;
        Release();
        _buffer = next;
        _written = written;
    }
}
