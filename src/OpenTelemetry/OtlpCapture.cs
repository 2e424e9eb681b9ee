using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// The transport of the OTLP exporter that serializes for a <see cref="BoundedExportProcessor"/>: its requests end here
/// instead of on the network.
/// </summary>
/// <remarks>
/// OpenTelemetry's own <c>OtlpTraceExporter</c> serializes each piece of spans exactly as it would send it (resource,
/// scopes, attributes, limits). The body is kept as one piece of the batch being built, and the exporter is told it
/// succeeded; <see cref="OtlpDelivery"/> then sends the batch, retries it and may write it to disk. The request's
/// address and headers (authorization, user agent) are kept for those sends. Only the export thread sends through it,
/// one request at a time.
/// </remarks>
internal sealed class OtlpCapture : HttpMessageHandler
{
    // The batch being built, in a buffer rented from the shared pool (512 spans are about 200 KB).
    private byte[]? _buffer;
    private int _length;
    private int _pieces;
    private bool _addressed;

    // A destination's translation (its backend's names), applied to each piece as it is taken; null: as serialized.
    private readonly OtlpRewriter? _rewriter;

    // The first buffer a batch rents: a batch of 512 spans fills 256 KiB. A router's channel, one of
    // thousands with a few spans each, rents what its last batch took (at least _initialBytes), so an
    // open batch holds about its own bytes.
    private readonly int _initialBytes = FullBatchBytes;
    private int _nextBytes = FullBatchBytes;

    private const int FullBatchBytes = 256 * 1024;

    /// <summary>A capture whose pieces are taken as serialized.</summary>
    public OtlpCapture()
    {
    }

    /// <summary>A capture that applies <paramref name="translation"/> to each piece (when not null).</summary>
    public OtlpCapture(SpanTranslation? translation) =>
        _rewriter = translation is null ? null : new OtlpRewriter(translation);

    /// <summary>
    /// A capture whose sends go to <paramref name="endpoint"/> with <paramref name="headers"/>, never
    /// learnt from a request, its batches starting in buffers of <paramref name="initialBytes"/>.
    /// </summary>
    public OtlpCapture(
        SpanTranslation? translation,
        Uri endpoint,
        IReadOnlyList<(string Name, string[] Values)> headers,
        int initialBytes = FullBatchBytes)
        : this(translation)
    {
        Endpoint = endpoint;
        Headers = headers;
        _addressed = true;
        _initialBytes = _nextBytes = initialBytes;
    }

    /// <summary>Where the exporter would have sent its requests (for OTLP/HTTP).</summary>
    public Uri Endpoint { get; private set; } = new("http://localhost:4318/v1/traces");

    /// <summary>The request headers the exporter adds, as it adds them.</summary>
    public IReadOnlyList<(string Name, string[] Values)> Headers { get; private set; } =
        Array.Empty<(string, string[])>();

    /// <summary>The pieces taken since the last <see cref="Take"/>.</summary>
    public int Pieces => _pieces;

    /// <summary>The bytes of the batch built since the last <see cref="Take"/>.</summary>
    public int Length => _length;

    /// <summary>
    /// The batch built so far (a rented buffer and the length used, or null); the next batch starts empty.
    /// </summary>
    public (byte[]? Buffer, int Length) Take()
    {
        var (buffer, length) = (_buffer, _length);
        (_buffer, _length, _pieces) = (null, 0, 0);
        if (_initialBytes < FullBatchBytes)
        {
            _nextBytes = Math.Clamp(length + length / 4, _initialBytes, FullBatchBytes);
        }

        if (buffer is not null && buffer.Length > 2 * length)
        {
            // A short batch (a quiet gateway's, after the scheduled delay): in a buffer of its size,
            // so that a waiting batch holds at most twice its bytes.
            var fitted = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            buffer.AsSpan(0, length).CopyTo(fitted);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = fitted;
        }

        return (buffer, length);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!_addressed && request.RequestUri is { } uri)
        {
            _addressed = true;
            Endpoint = uri;
            Headers = request.Headers.Select(header => (header.Key, header.Value.ToArray())).ToArray();
        }

        if (request.Content is { } content)
        {
            using var body = content.ReadAsStream(cancellationToken);
            var length = (int)(content.Headers.ContentLength ?? body.Length);
            if (_rewriter is null)
            {
                body.ReadExactly(Room(length));
                _length += length;
                _pieces++;
            }
            else
            {
                var piece = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                try
                {
                    body.ReadExactly(piece.AsSpan(0, length));
                    Append(piece, 0, length, _rewriter);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(piece);
                }
            }
        }

        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            RequestMessage = request,
            Content = new ByteArrayContent(Array.Empty<byte>())
        };
    }

    /// <summary>
    /// Adds a piece serialized elsewhere (<see cref="SharedSerializer"/>) to the batch being built,
    /// translated by <paramref name="rewriter"/> (null: as it is). A piece the translation cannot read
    /// (never one OpenTelemetry wrote) is left out, so that its spans count as not delivered: sent as
    /// it was, it could carry the content the destination strips.
    /// </summary>
    public void Append(byte[] piece, int offset, int length, OtlpRewriter? rewriter)
    {
        if (rewriter is not null)
        {
            var translated = new ProtoWriter(length + length / 2 + 256);
            try
            {
                rewriter.Rewrite(piece, offset, length, ref translated);
                translated.Written.CopyTo(Room(translated.Length));
                _length += translated.Length;
                _pieces++;
                return;
            }
            catch (System.IO.InvalidDataException)
            {
                return;
            }
            finally
            {
                translated.Return();
            }
        }

        piece.AsSpan(offset, length).CopyTo(Room(length));
        _length += length;
        _pieces++;
    }

    /// <summary>
    /// Moves what was captured since the last call into <paramref name="target"/>'s batch, translated
    /// by <paramref name="rewriter"/> (else the target's own translation), keeping this capture's buffer.
    /// </summary>
    public void MoveTo(OtlpCapture target, OtlpRewriter? rewriter = null)
    {
        if (_buffer is not null && _length > 0)
        {
            target.Append(_buffer, 0, _length, rewriter ?? target._rewriter);
        }

        (_length, _pieces) = (0, 0);
    }

    /// <summary>Forgets what was captured since the last take (a serialization that failed half-way).</summary>
    public void Clear() => (_length, _pieces) = (0, 0);

    // Room for length more bytes in the batch's buffer, grown (from the pool) when needed.
    private Span<byte> Room(int length)
    {
        if (_buffer is null || _buffer.Length - _length < length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_nextBytes, 2 * (_length + length)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        return _buffer.AsSpan(_length, length);
    }

    protected override Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request,
        CancellationToken cancellationToken) => Task.FromResult(Send(request, cancellationToken));
}
