// A streamed answer as YARP's forwarder copies it: each piece read from the upstream is split into
// event-stream lines and each data line read for the answer's facts before the piece goes on. At the
// terminal event ([DONE], message_stop) the sample's post-call guardrail checks the whole text before
// the piece that holds it is released; a block, a cut-off stream or an unreadable event ends the
// stream with an error event in the route's format instead of resetting the client's connection.
using System.Buffers;
using System.Net;
using System.Text.Json;

internal sealed class EventStreamContent(HttpContent inner, RelayCall call) : HttpContent
{
    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new EventStreamReader(await inner.ReadAsStreamAsync(cancellationToken), call);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var body = await CreateContentReadStreamAsync(cancellationToken);
        await body.CopyToAsync(stream, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

internal sealed class EventStreamReader(Stream inner, RelayCall call) : Stream
{
    // A longer line is passed on unread: it is never the small terminal event.
    private const int MaxLineBytes = 1024 * 1024;

    private byte[] _line = ArrayPool<byte>.Shared.Rent(1024);
    private int _lineLength;
    private bool _eventOpen;
    private bool _lineTooLong;
    private bool _terminal;
    private long _bytes;
    private byte[]? _ending;
    private int _endingSent;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ending is not null)
        {
            // The error event that ends the stream, then its end.
            return Drain(buffer);
        }

        if (_ended)
        {
            return 0;
        }

        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception failure) when (_bytes > 0)
        {
            return End(buffer, failure is OperationCanceledException ? "upstream_timeout" : "upstream_response_truncated", "The upstream provider's stream ended early.");
        }

        if (buffer.IsEmpty)
        {
            // The forwarder's zero-byte read: it waits for data without holding a buffer.
            return read;
        }

        if (read == 0)
        {
            return _terminal ? 0 : End(buffer, "upstream_response_truncated", "The upstream provider's stream ended before its last event.");
        }

        _bytes += read;
        if (_bytes > RelaySettings.MaxResponseBytes)
        {
            return End(buffer, "upstream_response_too_large", "The upstream provider's answer is too large.");
        }

        int terminalAt;
        try
        {
            terminalAt = Feed(buffer.Span[..read]);
        }
        catch (JsonException)
        {
            return End(buffer, "upstream_bad_response", "The upstream provider streamed an event that could not be read.");
        }

        if (terminalAt >= 0 && call.Facts.TextCharacters > call.Settings.MaxAnswerCharacters)
        {
            // The post-call guardrail blocks: what passed stays with the client, the terminal event does not.
            _ending = Errors.Event(call.Route, "invalid_request_error", call.AnswerTooLong);
            _ended = true;
            return terminalAt > 0 ? terminalAt : Drain(buffer);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            ArrayPool<byte>.Shared.Return(_line);
            _line = [];
        }

        base.Dispose(disposing);
    }

    private int End(Memory<byte> buffer, string type, string message)
    {
        _ending = Errors.Event(call.Route, type, message);
        _ended = true;
        return Drain(buffer);
    }

    private int Drain(Memory<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _ending!.Length - _endingSent);
        _ending.AsSpan(_endingSent, count).CopyTo(buffer.Span);
        _endingSent += count;
        if (_endingSent == _ending.Length)
        {
            _ending = null;
        }

        return count;
    }

    // Splits a piece into lines (an unfinished one waits in _line for the rest); returns where in the
    // piece the terminal event starts (0 when it started in an earlier piece), or -1.
    private int Feed(ReadOnlySpan<byte> piece)
    {
        var eventStart = _eventOpen ? 0 : -1;
        var terminalAt = -1;
        var position = 0;
        while (position < piece.Length)
        {
            var newline = piece[position..].IndexOf((byte)'\n');
            var part = newline < 0 ? piece[position..] : piece.Slice(position, newline);
            if (newline < 0 || _lineLength > 0 || _lineTooLong)
            {
                Carry(part);
            }

            if (newline < 0)
            {
                break;
            }

            var line = _lineLength > 0 || _lineTooLong ? _line.AsSpan(0, _lineLength) : part;
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.IsEmpty && !_lineTooLong)
            {
                _eventOpen = false;
            }
            else
            {
                if (!_eventOpen)
                {
                    _eventOpen = true;
                    eventStart = _lineLength > 0 ? 0 : position;
                }

                if (!_lineTooLong && line.StartsWith("data:"u8) && IsTerminal(line[(line.Length > 5 && line[5] == (byte)' ' ? 6 : 5)..]) && !_terminal)
                {
                    _terminal = true;
                    terminalAt = Math.Max(eventStart, 0);
                }
            }

            _lineLength = 0;
            _lineTooLong = false;
            position += newline + 1;
        }

        return terminalAt;
    }

    private bool IsTerminal(ReadOnlySpan<byte> data) => data.SequenceEqual("[DONE]"u8) || call.Facts.Read(data);

    private void Carry(ReadOnlySpan<byte> part)
    {
        if (_lineTooLong || _lineLength + part.Length > MaxLineBytes)
        {
            _lineTooLong = true;
            return;
        }

        if (_lineLength + part.Length > _line.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_lineLength + part.Length, _line.Length * 2));
            _line.AsSpan(0, _lineLength).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_line);
            _line = grown;
        }

        part.CopyTo(_line.AsSpan(_lineLength));
        _lineLength += part.Length;
    }
}
