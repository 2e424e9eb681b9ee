using System;
using System.IO;
using System.Net.Http;
using System.Net.Http.Json;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Reading;

namespace TracedLlm;

/// <summary>
/// Reads the top-level <c>model</c> of a JSON request body about to be sent (OpenAI-compatible and Anthropic requests
/// name their model there), with the relay's <see cref="JsonScanner"/>.
/// </summary>
/// <remarks>
/// Fed the body as it is written, in fixed memory, whatever its size and wherever the model stands (OpenAI's SDK writes
/// it after the messages). Only a body that can be written twice is read: one already in memory
/// (<see cref="ByteArrayContent"/>, <see cref="StringContent"/>, <see cref="ReadOnlyMemoryContent"/>) in place;
/// <see cref="JsonContent"/>, or another content of a known length, buffered once first (HttpContent's own buffering:
/// the send then goes from that buffer, so the body is serialized once as before); never a <see cref="StreamContent"/>
/// or a multipart body.
/// </remarks>
internal static class RequestModel
{
    public static async ValueTask<string?> ReadAsync(
        HttpContent? content,
        int maxBufferedBytes,
        CancellationToken cancellationToken)
    {
        if (!IsJson(content))
        {
            return null;
        }

        if (!InMemory(content))
        {
            if (!Bufferable(content, maxBufferedBytes))
            {
                return null;
            }

            try
            {
                await content.LoadIntoBufferAsync(maxBufferedBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Larger than the limit, or it cannot be written: the send says so, if it fails too.
                return null;
            }
        }

        using var sniffer = new ModelSniffer();
        try
        {
            await content.CopyToAsync(sniffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return null;
        }

        return sniffer.Model;
    }

    /// <summary>As <see cref="ReadAsync"/>, synchronously: only a body already in memory.</summary>
    public static string? Read(HttpContent? content, CancellationToken cancellationToken)
    {
        if (!IsJson(content) || !InMemory(content))
        {
            return null;
        }

        using var sniffer = new ModelSniffer();
        content.CopyTo(sniffer, context: null, cancellationToken);
        return sniffer.Model;
    }

    private static bool IsJson([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] HttpContent? content) =>
        content is not (null or StreamContent or MultipartContent)
        && content.Headers.ContentType?.MediaType is var mediaType
        && (mediaType is null
            || string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static bool InMemory(HttpContent content) => content is ByteArrayContent or ReadOnlyMemoryContent;

    // JsonContent writes anew each time, so a failed buffering loses nothing; another content is
    // buffered only when it says its length, within the limit, before anything is written.
    private static bool Bufferable(HttpContent content, int maxBufferedBytes) =>
        maxBufferedBytes > 0
        && (content is JsonContent || content.Headers.ContentLength is { } length && length <= maxBufferedBytes);

    /// <summary>A write-only stream that scans what is written for the top-level <c>model</c>.</summary>
    private sealed class ModelSniffer : Stream
    {
        private DocumentReading? _reading = DocumentReading.Rent();

        public string? Model => _reading?.Document.TopLevelModel;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => _reading?.Scanner.Write(buffer);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && _reading is { } reading)
            {
                _reading = null;
                reading.Return();
            }

            base.Dispose(disposing);
        }
    }
}
