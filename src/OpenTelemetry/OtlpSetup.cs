using System;
using System.Diagnostics;
using System.Net.Http;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace TracedLlm;

/// <summary>
/// OpenTelemetry's OTLP exporter set up to serialize for a <see cref="BoundedExportProcessor"/>: its
/// requests go to an <see cref="OtlpCapture"/>, always as OTLP/HTTP protobuf without compression, and
/// what the options asked for (the endpoint, gRPC, gzip, the HTTP client their factory makes) is kept
/// for the processor's own sends.
/// </summary>
internal sealed class OtlpSetup
{
    /// <summary>The gRPC method OTLP trace exports call.</summary>
    internal const string GrpcMethod = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private OtlpSetup(BaseExporter<Activity> exporter, OtlpCapture capture, HttpClient client, Uri? grpcEndpoint, bool gzip)
    {
        Exporter = exporter;
        Capture = capture;
        Client = client;
        GrpcEndpoint = grpcEndpoint;
        Gzip = gzip;
    }

    public BaseExporter<Activity> Exporter { get; }

    public OtlpCapture Capture { get; }

    /// <summary>The client the options' factory made: the sends go through it (its timeout, handler, certificates).</summary>
    public HttpClient Client { get; }

    /// <summary>The gRPC endpoint's method URL when the protocol is gRPC; null for OTLP/HTTP.</summary>
    public Uri? GrpcEndpoint { get; }

    public bool Gzip { get; }

    public static OtlpSetup Create(OtlpExporterOptions otlp)
    {
        ArgumentNullException.ThrowIfNull(otlp);

        // Read before the options change below: the default endpoint depends on the protocol.
        Uri? grpc = null;
        if (otlp.Protocol == OtlpExportProtocol.Grpc)
        {
            var endpoint = otlp.Endpoint.AbsoluteUri;
            grpc = new Uri(endpoint.EndsWith(GrpcMethod, StringComparison.Ordinal) ? endpoint : endpoint.TrimEnd('/') + "/" + GrpcMethod);
        }

        var gzip = otlp.Compression == OtlpExportCompression.GZip;
        var client = otlp.HttpClientFactory() ?? throw new InvalidOperationException("OtlpExporterOptions.HttpClientFactory returned null.");
        otlp.Compression = OtlpExportCompression.None;
        if (grpc is not null)
        {
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
        }

        // A first exporter sends an empty export, so that the capture knows where and with which
        // headers the exporter sends before any span (a batch a disk buffer kept from an earlier
        // process may go out first). Not the exporter that stays: it would keep the empty resource
        // it read before the provider was there.
        var capture = new OtlpCapture();
        // No timeout: the capture answers at once, and a timeout would arm a timer for every piece.
        otlp.HttpClientFactory = () => new HttpClient(capture, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using (var probe = new OtlpTraceExporter(otlp))
        {
            probe.Export(new Batch<Activity>(Array.Empty<Activity>(), 0));
        }

        if (capture.Take().Buffer is { } probed)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(probed);
        }

        var exporter = new OtlpTraceExporter(otlp);
        return new OtlpSetup(exporter, capture, client, grpc, gzip);
    }
}
