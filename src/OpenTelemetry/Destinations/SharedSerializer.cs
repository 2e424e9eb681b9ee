using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace TracedLlm;

/// <summary>
/// One OpenTelemetry OTLP serializer, and one export thread (<see cref="Workers"/>), for every destination of a router.
/// </summary>
/// <remarks>
/// The thread hands it each destination's pieces of spans, in turn, and gets the bytes in its own batch (translated
/// there). One, because the serializer holds a 750 KB buffer and learns the provider's resource only as a processor of
/// the provider: a destination opened later is no processor of it, and a hundred destinations would hold a hundred
/// buffers.
/// </remarks>
internal sealed class SharedSerializer : IDisposable
{
    private readonly Lock _gate = new();
    private readonly OtlpCapture _scratch = new();

    public SharedSerializer()
    {
        // The endpoint and headers are never used (the capture takes every request); the variables'
        // headers are left out, so that a malformed OTEL_EXPORTER_OTLP_HEADERS cannot stop the destinations.
        var options = new OtlpExporterOptions
        {
            Protocol = OtlpExportProtocol.HttpProtobuf,
            Endpoint = new Uri("http://localhost/v1/traces"),
            HttpClientFactory = () =>
                new HttpClient(_scratch, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan },
        };
        options.Headers = null;
        Exporter = new OtlpTraceExporter(options);
    }

    /// <summary>The export thread the router's destinations share.</summary>
    public ExportWorkers Workers { get; } = new();

    /// <summary>The serializer, to be a processor's exporter so that the provider gives it its resource.</summary>
    public BaseExporter<Activity> Exporter { get; }

    /// <summary>
    /// The <c>User-Agent</c> OpenTelemetry's exporter sends, once it has serialized a piece (null before).
    /// </summary>
    public string[]? UserAgent =>
        _scratch.Headers
            .FirstOrDefault(h => string.Equals(h.Name, "User-Agent", StringComparison.OrdinalIgnoreCase))
            .Values;

    /// <summary>
    /// Serializes <paramref name="count"/> spans of <paramref name="piece"/> into <paramref name="batch"/>'s
    /// open batch, translated by <paramref name="rewriter"/> (null: the batch's own translation).
    /// </summary>
    public ExportResult Serialize(Activity[] piece, int count, OtlpCapture batch, OtlpRewriter? rewriter = null)
    {
        lock (_gate)
        {
            var result = Exporter.Export(new Batch<Activity>(piece, count));
            if (result == ExportResult.Success)
            {
                _scratch.MoveTo(batch, rewriter);
            }
            else
            {
                _scratch.Clear();
            }

            return result;
        }
    }

    /// <summary>
    /// Holds the serializer until disposed, so that no destination's turn can serialize meanwhile
    /// (tests: a backlog built at once, deterministically).
    /// </summary>
    internal IDisposable Hold()
    {
        _gate.Enter();
        return new Release(_gate);
    }

    /// <summary>Gives the capture's buffer back; the exporter is its processor's to dispose.</summary>
    public void Dispose()
    {
        Workers.Dispose();
        _scratch.Dispose();
    }

    private sealed class Release(Lock gate) : IDisposable
    {
        public void Dispose() => gate.Exit();
    }
}
