// A streamed answer as YARP's forwarder copies it: each piece read from the upstream is split into
// event-stream lines, each data line is read for the answer's facts, and the sample's post-call
// guardrail checks the text so far, all before the piece goes on (so the terminal event, [DONE] or
// message_stop, goes only after the whole text passed). A block, a cut-off stream or an unreadable
// event ends the stream with an error event in the route's format instead of resetting the client's
// connection, or, when nothing of the stream reached the client yet, fails the attempt (the
// gateway's own error).
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
    private byte[] _unfinished = ArrayPool<byte>.Shared.Rent(1024);
    private int _unfinishedLength;
    private bool _skippingLine;
    private bool _terminal;
    private long _bytes;
    private long _released;
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

        if (_ended || buffer.IsEmpty)
        {
            // At the end; or the forwarder's zero-byte read, which waits for data without holding a buffer.
            return _ended ? 0 : await inner.ReadAsync(buffer, cancellationToken);
        }

        while (true)
        {
            if (_unfinishedLength >= buffer.Length)
            {
                // A line longer than the forwarder's buffer goes on unread: it is not the small terminal event.
                _unfinished.AsSpan(0, buffer.Length).CopyTo(buffer.Span);
                _unfinished.AsSpan(buffer.Length, _unfinishedLength - buffer.Length).CopyTo(_unfinished);
                _unfinishedLength -= buffer.Length;
                _skippingLine = true;
                return Released(buffer.Length);
            }

            // The line left unfinished by the last piece goes first, then what the upstream sends now.
            var held = _unfinishedLength;
            _unfinished.AsSpan(0, held).CopyTo(buffer.Span);
            int read;
            try
            {
                read = await inner.ReadAsync(buffer[held..], cancellationToken);
            }
            catch (Exception failure) when (_released > 0)
            {
                return End(buffer, failure is OperationCanceledException ? "upstream_timeout" : "upstream_response_truncated", "The upstream provider's stream ended early.");
            }

            if (read == 0)
            {
                return _terminal && held == 0 ? 0 : End(buffer, "upstream_response_truncated", "The upstream provider's stream ended before its last event.");
            }

            if (_bytes == 0 && call.Llm is not null)
            {
                call.FirstChunk = DateTime.UtcNow;
            }

            _bytes += read;
            if (_bytes > RelaySettings.MaxResponseBytes)
            {
                return End(buffer, "upstream_response_too_large", "The upstream provider's answer is too large.");
            }

            // Whole lines go on; the unfinished one waits for the rest.
            var lines = buffer.Span[..(held + read)].LastIndexOf((byte)'\n') + 1;
            _unfinishedLength = held + read - lines;
            if (_unfinishedLength > _unfinished.Length)
            {
                ArrayPool<byte>.Shared.Return(_unfinished);
                _unfinished = ArrayPool<byte>.Shared.Rent(_unfinishedLength);
            }

            buffer.Span.Slice(lines, _unfinishedLength).CopyTo(_unfinished);
            if (lines == 0)
            {
                continue;
            }

            try
            {
                Feed(buffer.Span[..lines]);
            }
            catch (JsonException)
            {
                return End(buffer, "upstream_bad_response", "The upstream provider streamed an event that could not be read.");
            }

            if (call.Facts.TextCharacters > call.Settings.MaxAnswerCharacters)
            {
                // The post-call guardrail, checked on the text so far before each piece goes on (it is a
                // length: cheaper than the sample's check every 2 KB, and never later): the client keeps
                // what passed, this piece and the terminal event do not reach it.
                if (_released == 0)
                {
                    // Nothing reached the client yet: the gateway's own 400 instead of a stream.
                    throw call.Fail(new ClientError(400, call.AnswerTooLong, "guardrail_blocked"));
                }

                _ending = Errors.Event(call.Route, "invalid_request_error", call.AnswerTooLong);
                _ended = true;
                return Drain(buffer);
            }

            return Released(lines);
        }
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
            ArrayPool<byte>.Shared.Return(_unfinished);
            _unfinished = [];
        }

        base.Dispose(disposing);
    }

    private int Released(int count)
    {
        _released += count;
        return count;
    }

    // Ends the stream with an error event; before its first byte reached the client, fails the attempt instead.
    private int End(Memory<byte> buffer, string type, string message)
    {
        if (_released == 0)
        {
            throw call.Fail(new BadAnswer(type, message));
        }

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

    // Reads each data line of whole lines.
    private void Feed(ReadOnlySpan<byte> lines)
    {
        foreach (var range in lines[..^1].Split((byte)'\n'))
        {
            var line = lines[range];
            if (_skippingLine)
            {
                // The rest of a line that went on unread.
                _skippingLine = false;
                continue;
            }

            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.StartsWith("data:"u8))
            {
                var data = line[(line.Length > 5 && line[5] == (byte)' ' ? 6 : 5)..];
                _terminal |= data.SequenceEqual("[DONE]"u8) || call.Facts.Read(data);
            }
        }
    }
}
