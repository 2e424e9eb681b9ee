using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.OpenTelemetry;

/// <summary>
/// The transport of the OTLP exporter that serializes for a <see cref="BoundedExportProcessor"/>:
/// OpenTelemetry's own <c>OtlpTraceExporter</c> serializes each piece of spans exactly as it would
/// send it (resource, scopes, attributes, limits), and its request ends here instead of on the
/// network. The body is kept as one piece of the batch being built, and the exporter is told it
/// succeeded; <see cref="OtlpDelivery"/> then sends the batch, retries it and may write it to disk.
/// The request's address and headers (authorization, user agent) are kept for those sends. Only the
/// export thread sends through it, one request at a time.
/// </summary>
internal sealed class OtlpCapture : HttpMessageHandler
{
    private List<byte[]> _pieces = new();
    private bool _addressed;

    /// <summary>Where the exporter would have sent its requests (for OTLP/HTTP).</summary>
    public Uri Endpoint { get; private set; } = new("http://localhost:4318/v1/traces");

    /// <summary>The request headers the exporter adds, as it adds them.</summary>
    public IReadOnlyList<(string Name, string[] Values)> Headers { get; private set; } = Array.Empty<(string, string[])>();

    /// <summary>The pieces taken since the last <see cref="Take"/>.</summary>
    public int Pieces => _pieces.Count;

    /// <summary>The pieces of the batch being built; the next batch starts empty.</summary>
    public List<byte[]> Take()
    {
        var pieces = _pieces;
        _pieces = new List<byte[]>();
        return pieces;
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
            var piece = new byte[content.Headers.ContentLength ?? body.Length];
            body.ReadExactly(piece);
            _pieces.Add(piece);
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(Array.Empty<byte>()) };
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(Send(request, cancellationToken));
}
