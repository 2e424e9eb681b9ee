using System;
using System.Buffers;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Reading;

namespace TracedLlm.Relay;

/// <summary>How an attempt's response body goes to the client.</summary>
internal enum BodyMode : byte
{
    /// <summary>As it comes.</summary>
    Pass,

    /// <summary>
    /// Event by event, the stream's terminal event (and any unfinished one) held back; checked as it grows when the
    /// guardrails ask.
    /// </summary>
    HoldBack,

    /// <summary>Held whole, for the post-call guardrails; sent by the relay's result.</summary>
    Buffer,
}

/// <summary>The upstream's response body as YARP's forwarder copies it to the client.</summary>
/// <remarks>
/// Each piece read (within the attempt timeout) is shown to the reader and counted before it is passed on. A failure is
/// never thrown into the forwarder once something was passed on (it would reset the client's connection): it is kept on
/// the attempt and the body ends there, so the relay can end the stream with an error event. Before anything was passed
/// on an upstream failure is thrown, the forwarder clears the response, and the attempt can be retried.
/// </remarks>
internal sealed class RelayBodyStream : ReadOnlyStream
{
    /// <summary>
    /// An event larger than this is passed on before it is whole: it is never the small terminal event.
    /// </summary>
    private const int MaxHeldBytes = 1024 * 1024;
    private const int ReadBytes = 16 * 1024;

    private readonly RelayAttempt _attempt;
    private readonly Stream _inner;
    private readonly BodyMode _mode;
    private readonly TimeSpan? _idleTimeout;
    private byte[] _held = Array.Empty<byte>();
    private int _heldStart;
    private int _heldEnd;
    private bool _innerEnded;
    private bool _ended;

    public RelayBodyStream(RelayAttempt attempt, Stream inner, BodyMode mode, TimeSpan? idleTimeout)
    {
        _attempt = attempt;
        _inner = inner;
        _mode = mode;
        _idleTimeout = idleTimeout;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return 0;
        }

        try
        {
            return _mode switch
            {
                BodyMode.Pass => await PassAsync(buffer, cancellationToken).ConfigureAwait(false),
                BodyMode.HoldBack => await HoldBackAsync(buffer, cancellationToken).ConfigureAwait(false),
                _ => await BufferAsync(buffer, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception exception) when (!_ended)
        {
            return Fail(_attempt.ClassifyBodyFailure(exception));
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            ReturnHeld();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        ReturnHeld();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask<int> PassAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await ReadInnerAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.IsEmpty)
        {
            // The forwarder's zero-byte read: it waits for data without holding a buffer.
            return 0;
        }

        if (read == 0)
        {
            return End();
        }

        if (_attempt.Observe(buffer.Span[..read]) is { } failure)
        {
            return Fail(failure);
        }

        _attempt.Released(read);
        return read;
    }

    private async ValueTask<int> HoldBackAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var releasable = Releasable();
            if (releasable > 0)
            {
                if (buffer.IsEmpty)
                {
                    return 0;
                }

                var count = Math.Min(releasable, buffer.Length);
                _held.AsSpan(_heldStart, count).CopyTo(buffer.Span);
                _heldStart += count;
                _attempt.Released(count);
                return count;
            }

            if (_innerEnded)
            {
                return End();
            }

            if (_held.Length - _heldEnd < ReadBytes)
            {
                Compact(ReadBytes);
            }

            var read = await ReadInnerAsync(_held.AsMemory(_heldEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _innerEnded = true;
                continue;
            }

            var piece = _held.AsSpan(_heldEnd, read);
            _heldEnd += read;
            if (_attempt.Observe(piece) is { } failure)
            {
                return Fail(failure);
            }

            if (await _attempt.CheckIncrementallyAsync().ConfigureAwait(false) is { } blocked)
            {
                return Fail(blocked);
            }
        }
    }

    private async ValueTask<int> BufferAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var body = _attempt.BufferedBody;
        while (true)
        {
            var memory = body.GetMemory(ReadBytes);
            var read = await ReadInnerAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return End();
            }

            var piece = memory.Span[..read];
            body.Advance(read);
            if (_attempt.Observe(piece) is { } failure)
            {
                return Fail(failure);
            }
        }
    }

    /// <summary>How many held bytes may go now: those before the last whole event, never the terminal event.</summary>
    private int Releasable()
    {
        var held = _heldEnd - _heldStart;
        if (held == 0)
        {
            return 0;
        }

        if (!_attempt.CanHoldBack)
        {
            return held;
        }

        var reader = _attempt.Reader!;
        var limit = reader.TerminalEventStart >= 0 ? reader.TerminalEventStart : reader.EventBoundary;
        var releasable = (int)Math.Max(0, limit - _attempt.BytesReleased);
        return held > MaxHeldBytes && reader.TerminalEventStart < 0 ? held : Math.Min(releasable, held);
    }

    private async ValueTask<int> ReadInnerAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var cancellation = _attempt.Cancellation;
        if (_idleTimeout is { } timeout)
        {
            cancellation.CancelAfter(timeout);
        }

        try
        {
            // Held or held back, many reads of the upstream make one read of the forwarder's, which never
            // sees them: its activity timeout would cut a long answer that never paused. The attempt's own
            // token (the deadline, the client, the idle timeout between these reads) times them instead.
            return await _inner
                .ReadAsync(buffer, _mode == BodyMode.Pass ? cancellationToken : cancellation.Token)
                .ConfigureAwait(false);
        }
        finally
        {
            if (_idleTimeout is not null && !cancellation.IsCancellationRequested)
            {
                // A slow client between reads is not a slow upstream.
                cancellation.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The upstream's body ended: the reader's verdict decides whether the response was whole.</summary>
    private int End()
    {
        _innerEnded = true;
        if (_attempt.EndBody() is { } failure)
        {
            return Fail(failure);
        }

        _ended = true;
        if (_mode == BodyMode.HoldBack && _heldEnd > _heldStart)
        {
            // The terminal event (and what followed it): the relay's result writes it once the guardrails are done.
            _attempt.HeldTail = _held.AsSpan(_heldStart, _heldEnd - _heldStart).ToArray();
        }

        return 0;
    }

    /// <summary>
    /// Ends the body with <paramref name="failure"/>: thrown to the forwarder when nothing was passed
    /// on yet and the upstream failed (the attempt can be retried), else kept for the relay.
    /// </summary>
    private int Fail(Exception failure)
    {
        _ended = true;
        _attempt.BodyFailure ??= failure;
        if (_attempt.BytesReleased == 0 && RelayAttempt.IsUpstreamFailure(_attempt.BodyFailure))
        {
            throw _attempt.BodyFailure;
        }

        return 0;
    }

    private void Compact(int room)
    {
        var held = _heldEnd - _heldStart;
        var size = Math.Max(_held.Length, held + room);
        if (size > _held.Length || _heldStart > 0)
        {
            var next = size > _held.Length ? ArrayPool<byte>.Shared.Rent(size) : _held;
            _held.AsSpan(_heldStart, held).CopyTo(next);
            if (!ReferenceEquals(next, _held))
            {
                ReturnHeld();
                _held = next;
            }

            _heldStart = 0;
            _heldEnd = held;
        }
    }

    private void ReturnHeld()
    {
        if (_held.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_held);
            _held = Array.Empty<byte>();
        }
    }
}
