using System;
using System.Buffers;
using System.IO;

namespace TracedLlm.Reading;

/// <summary>
/// Decodes a compressed response body (<c>gzip</c>, <c>deflate</c>, <c>br</c>) on the side, as its
/// pieces pass, for the <see cref="ResponseReader"/>: the client gets the bytes as the upstream sent
/// them, compressed. .NET's decompression streams pull from an inner stream; this one's inner stream
/// holds the piece just relayed, and a read that finds it empty ends the pull until the next piece
/// (the streams keep their state across it). At most <see cref="MaxDecodedBytes"/> are decoded: past
/// that, or on data that does not decode, reading stops and the response's facts stay unknown.
/// </summary>
internal sealed class ContentDecoder : IDisposable
{
    private const int ScratchBytes = 16 * 1024;
    private readonly PieceStream _piece = new();
    private readonly Stream _decoder;
    private readonly ResponseReader _reader;
    private readonly long _maxDecodedBytes;
    private byte[]? _scratch = ArrayPool<byte>.Shared.Rent(ScratchBytes);
    private long _decoded;

    private ContentDecoder(ContentCoding coding, ResponseReader reader, long maxDecodedBytes)
    {
        _reader = reader;
        _maxDecodedBytes = maxDecodedBytes;
        _decoder = ContentCodings.Decoder(coding, _piece, leaveOpen: true);
    }

    public long MaxDecodedBytes => _maxDecodedBytes;

    /// <summary>True once reading stopped: the data did not decode, or decoded to more than the limit.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// A decoder for <paramref name="contentEncoding"/>, null for none; false for a coding this reader does not know.
    /// </summary>
    /// <remarks>
    /// The field is read as a request's is (<see cref="ContentCodings.Read"/>: <c>identity</c> passed over). An unknown
    /// coding, or several stacked, leaves the body unread.
    /// </remarks>
    public static bool TryCreate(
        string? contentEncoding,
        ResponseReader reader,
        long maxDecodedBytes,
        out ContentDecoder? decoder)
    {
        decoder = null;
        if (ContentCodings.Read(contentEncoding, out var coding, out _) != ContentCodingVerdict.Decodable)
        {
            return false;
        }

        if (coding != ContentCoding.Identity)
        {
            decoder = new ContentDecoder(coding, reader, maxDecodedBytes);
        }

        return true;
    }

    public void Write(ReadOnlySpan<byte> encoded)
    {
        if (Stopped || encoded.IsEmpty)
        {
            return;
        }

        _piece.Set(encoded);
        try
        {
            int read;
            while ((read = _decoder.Read(_scratch!, 0, _scratch!.Length)) > 0)
            {
                _decoded += read;
                if (_decoded > _maxDecodedBytes)
                {
                    Stopped = true;
                    return;
                }

                _reader.Write(_scratch.AsSpan(0, read));
            }
        }
        catch (InvalidDataException)
        {
            Stopped = true;
        }
    }

    public void Dispose()
    {
        _decoder.Dispose();
        if (_scratch is { } scratch)
        {
            _scratch = null;
            ArrayPool<byte>.Shared.Return(scratch);
        }

        _piece.Release();
    }

    /// <summary>The piece being decoded, as a stream that reads empty once it is used up.</summary>
    private sealed class PieceStream : ReadOnlyStream
    {
        private byte[] _buffer = Array.Empty<byte>();
        private int _start;
        private int _end;

        public void Set(ReadOnlySpan<byte> piece)
        {
            if (_buffer.Length < piece.Length)
            {
                Release();
                _buffer = ArrayPool<byte>.Shared.Rent(piece.Length);
            }

            piece.CopyTo(_buffer);
            _start = 0;
            _end = piece.Length;
        }

        public void Release()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = Array.Empty<byte>();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, _end - _start);
            _buffer.AsSpan(_start, count).CopyTo(buffer);
            _start += count;
            return count;
        }

    }
}
