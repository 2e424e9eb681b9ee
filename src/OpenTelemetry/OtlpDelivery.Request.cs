using System;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

// One batch as an HTTP request: OTLP/HTTP protobuf or OTLP/gRPC over HTTP/2, gzip when asked for,
// its body read from memory or from its disk-buffer file as it is sent.
internal sealed partial class OtlpDelivery
{
    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");
    private static readonly MediaTypeHeaderValue Grpc = new("application/grpc");

    private HttpRequestMessage Request(ExportPayload payload)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _grpcEndpoint ?? _capture.Endpoint);
        foreach (var (name, values) in _capture.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, values);
        }

        byte[]? compressed = null;
        if (_gzip)
        {
            using var buffer = new MemoryStream();
            using (var zip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                payload.WriteTo(zip);
            }

            compressed = buffer.ToArray();
        }

        if (_grpcEndpoint is null)
        {
            request.Content = compressed is null
                ? new BodyContent(payload, prefix: null)
                : new ByteArrayContent(compressed);
            request.Content.Headers.ContentType = Protobuf;
            if (compressed is not null)
            {
                request.Content.Headers.ContentEncoding.Add("gzip");
            }

            return request;
        }

        // gRPC over HTTP/2: one length-prefixed message, its trailers read for the status.
        request.Version = HttpVersion.Version20;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var length = compressed?.LongLength ?? payload.Bytes;
        var prefix = new byte[5];
        prefix[0] = compressed is null ? (byte)0 : (byte)1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), (uint)length);
        if (compressed is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        }

        request.Content = compressed is null ? new BodyContent(payload, prefix) : new BodyContent(compressed, prefix);
        request.Content.Headers.ContentType = Grpc;
        return request;
    }

    /// <summary>
    /// A body (after a gRPC frame's prefix, if any), with a known length: a batch's, read from memory or its file as it
    /// is sent, or compressed bytes.
    /// </summary>
    private sealed class BodyContent : HttpContent
    {
        private readonly ExportPayload? _payload;
        private readonly ReadOnlyMemory<byte> _bytes;
        private readonly byte[]? _prefix;

        public BodyContent(ExportPayload payload, byte[]? prefix)
        {
            _payload = payload;
            _prefix = prefix;
        }

        public BodyContent(ReadOnlyMemory<byte> bytes, byte[]? prefix)
        {
            _bytes = bytes;
            _prefix = prefix;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(
            Stream stream,
            TransportContext? context,
            CancellationToken cancellationToken)
        {
            if (_prefix is not null)
            {
                await stream.WriteAsync(_prefix, cancellationToken).ConfigureAwait(false);
            }

            if (_payload is null)
            {
                await stream.WriteAsync(_bytes, cancellationToken).ConfigureAwait(false);
                return;
            }

            var body = _payload.OpenRead();
            await using (body.ConfigureAwait(false))
            {
                await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = (_prefix?.Length ?? 0) + (_payload?.Bytes ?? _bytes.Length);
            return true;
        }
    }
}
