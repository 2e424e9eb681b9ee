using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Reading;

namespace TracedLlm;

/// <summary>
/// A successful response's content as the app gets it: the upstream's own headers and bytes, unchanged, read once, by
/// the app.
/// </summary>
/// <remarks>
/// Each piece it reads also goes to the attempt's <see cref="AttemptBody"/>. Whether the app buffers it (HttpClient's
/// default), reads it as a stream (<c>ResponseHeadersRead</c>, an SSE parser) or disposes it unread, the attempt ends
/// with it.
/// </remarks>
internal sealed class AttemptResponseContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly AttemptBody _body;

    public AttemptResponseContent(HttpContent inner, AttemptBody body)
    {
        _inner = inner;
        _body = body;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new BodyStream(await Open(_inner.ReadAsStreamAsync(cancellationToken)).ConfigureAwait(false), _body);

    protected override Task<Stream> CreateContentReadStreamAsync() =>
        CreateContentReadStreamAsync(CancellationToken.None);

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken)
    {
        try
        {
            return new BodyStream(_inner.ReadAsStream(cancellationToken), _body);
        }
        catch (Exception exception)
        {
            _body.Fail(exception, cancellationToken.IsCancellationRequested);
            throw;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(
        Stream stream,
        TransportContext? context,
        CancellationToken cancellationToken)
    {
        var body = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void SerializeToStream(
        Stream stream,
        TransportContext? context,
        CancellationToken cancellationToken)
    {
        using var body = CreateContentReadStream(cancellationToken);
        body.CopyTo(stream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _inner.Headers.ContentLength ?? 0;
        return _inner.Headers.ContentLength is not null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<Stream> Open(Task<Stream> opening)
    {
        try
        {
            return await opening.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _body.Fail(exception, readCancelled: exception is OperationCanceledException);
            throw;
        }
    }

    /// <summary>The upstream's body stream, handing each piece read to the attempt's body reader.</summary>
    private sealed class BodyStream(Stream inner, AttemptBody body) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (Exception exception)
            {
                body.Fail(exception, readCancelled: false);
                throw;
            }

            return Took(buffer[..read], asked: buffer.Length);
        }

        public override Task<int> ReadAsync(
            byte[] buffer,
            int offset,
            int count,
            CancellationToken cancellationToken
        ) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(
            Memory<byte> buffer,
            CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                body.Fail(exception, cancellationToken.IsCancellationRequested);
                throw;
            }

            return Took(buffer.Span[..read], asked: buffer.Length);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Before the end: the app stopped reading (the body reader says whether its last event had come).
                body.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Took(ReadOnlySpan<byte> data, int asked)
        {
            if (data.Length > 0)
            {
                body.Read(data);
            }
            else if (asked > 0)
            {
                // Zero bytes for a buffer with room: the end of the body (an empty buffer only waits for data).
                body.Complete();
            }

            return data.Length;
        }
    }
}
