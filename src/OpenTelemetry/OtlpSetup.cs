using System;
using System.Diagnostics;
using System.Net.Http;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace TracedLlm;

/// <summary>
/// OpenTelemetry's OTLP exporter set up to serialize for a <see cref="BoundedExportProcessor"/>, its requests going to
/// an <see cref="OtlpCapture"/>.
/// </summary>
/// <remarks>
/// They go always as OTLP/HTTP protobuf without compression, and what the options asked for (the endpoint, gRPC, gzip,
/// the HTTP client their factory makes) is kept for the processor's own sends. The caller's options are read, never
/// changed.
/// </remarks>
internal sealed class OtlpSetup
{
    /// <summary>Why an exporter could not be set up: its headers.</summary>
    internal const string HeadersProblem =
        "The OTLP export headers (OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS, or "
        + "OtlpExporterOptions.Headers) "
        + "cannot be sent: give them as name=value pairs separated by commas (W3C Baggage's form; percent-encoded "
        + "characters are decoded), "
        + "each name a valid HTTP header name, given once, and none of the headers the exporter sets itself "
        + "(Content-Type, User-Agent).";

    /// <summary>The gRPC method OTLP trace exports call.</summary>
    internal const string GrpcMethod = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private OtlpSetup(
        BaseExporter<Activity> exporter,
        OtlpCapture capture,
        HttpClient client,
        Uri? grpcEndpoint,
        bool gzip,
        SharedSerializer? serializer = null,
        string? destination = null,
        (ExportBudget Queue, ExportBudget Buffer)? budgets = null)
    {
        QueueBudget = budgets?.Queue;
        BufferBudget = budgets?.Buffer;
        Exporter = exporter;
        Capture = capture;
        Client = client;
        GrpcEndpoint = grpcEndpoint;
        Gzip = gzip;
        Serializer = serializer;
        Destination = destination;
    }

    /// <summary>
    /// The router's serializer a destination's pieces go through instead of <see cref="Exporter"/>; null for an
    /// exporter of its own.
    /// </summary>
    public SharedSerializer? Serializer { get; }

    /// <summary>
    /// The destination's name, for the export metrics' <c>destination</c> dimension; null for an exporter no one named.
    /// </summary>
    public string? Destination { get; }

    /// <summary>The queued bytes all of a router's destinations share (null: the queue's own bound only).</summary>
    public ExportBudget? QueueBudget { get; }

    /// <summary>
    /// The buffered batches' bytes all of a router's destinations share (null: the buffer's own bound only).
    /// </summary>
    public ExportBudget? BufferBudget { get; }

    public BaseExporter<Activity> Exporter { get; }

    public OtlpCapture Capture { get; }

    /// <summary>
    /// The client the options' factory made: the sends go through it (its timeout, handler, certificates).
    /// </summary>
    public HttpClient Client { get; }

    /// <summary>The gRPC endpoint's method URL when the protocol is gRPC; null for OTLP/HTTP.</summary>
    public Uri? GrpcEndpoint { get; }

    public bool Gzip { get; }

    /// <summary>
    /// The set-up of one destination of a router: its pieces serialized by the router's
    /// <paramref name="serializer"/> into <paramref name="capture"/> (addressed, and translating for
    /// its backend), sent with <paramref name="client"/> over OTLP/HTTP protobuf.
    /// </summary>
    public static OtlpSetup ForDestination(
        SharedSerializer serializer,
        OtlpCapture capture,
        HttpClient client,
        string destination,
        (ExportBudget Queue, ExportBudget Buffer) budgets
    ) => new(new NoExporter(), capture, client, grpcEndpoint: null, gzip: false, serializer, destination, budgets);

    /// <summary>Sets up the serializing exporter as <paramref name="otlp"/> says, without changing it.</summary>
    /// <remarks>
    /// The exporters are built from a copy that differs in what the capture needs (OTLP/HTTP protobuf, no compression,
    /// the capture as HTTP client); what the copy leaves out (gRPC, gzip, the options' own HTTP client) is kept for the
    /// processor's sends.
    /// </remarks>
    /// <param name="otlp">The options, read and never changed.</param>
    /// <param name="endpointAsIs">
    /// True when <paramref name="otlp"/>'s endpoint is to be used as is (set in code, or from
    /// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>), even where it equals the one the environment's
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> gives, which gets <c>/v1/traces</c>.
    /// </param>
    public static OtlpSetup Create(OtlpExporterOptions otlp, bool endpointAsIs = false)
    {
        ArgumentNullException.ThrowIfNull(otlp);
        Uri? grpc = null;
        if (otlp.Protocol == OtlpExportProtocol.Grpc)
        {
            var endpoint = otlp.Endpoint.AbsoluteUri;
            grpc = new Uri(
                endpoint.EndsWith(GrpcMethod, StringComparison.Ordinal)
                    ? endpoint
                    : endpoint.TrimEnd('/') + "/" + GrpcMethod);
        }

        var gzip = otlp.Compression == OtlpExportCompression.GZip;
        var client =
            otlp.HttpClientFactory()
            ?? throw new InvalidOperationException("OtlpExporterOptions.HttpClientFactory returned null.");
        var capture = new OtlpCapture();
        var serializing = CaptureCopy(otlp, capture, endpointAsIs);

        // A first exporter sends an empty export, so that the capture knows where and with which
        // headers the exporter sends before any span (a batch a disk buffer kept from an earlier
        // process may go out first). Not the exporter that stays: it would keep the empty resource
        // it read before the provider was there.
        // A request it cannot make is one of the headers (the capture takes any other): said now, once,
        // naming the setting (never a value: it may be a credential), not as every batch dropped.
        ExportResult result;
        try
        {
            using var probe = new OtlpTraceExporter(serializing);
            result = probe.Export(new Batch<Activity>(Array.Empty<Activity>(), 0));
        }
        catch (ArgumentException) when (!string.IsNullOrWhiteSpace(serializing.Headers))
        {
            // OpenTelemetry's "Headers provided in an invalid format.", or a name given twice.
            result = ExportResult.Failure;
        }

        if (capture.Take().Buffer is { } probed)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(probed);
        }

        if (result != ExportResult.Success)
        {
            throw new InvalidOperationException(HeadersProblem);
        }

        var exporter = new OtlpTraceExporter(serializing);
        return new OtlpSetup(exporter, capture, client, grpc, gzip);
    }

    // The options the serializing exporters get: the caller's, as OTLP/HTTP protobuf without
    // compression into the capture. A new OtlpExporterOptions reads OTEL_EXPORTER_OTLP_* as the
    // caller's did (TracedLlm's own set-up makes them so), and with it whether a plain endpoint from
    // the environment gets /v1/traces (a flag the endpoint's setter clears and nothing can copy):
    // so the endpoint is set when the caller says it is used as is, or differs from the environment's.
    private static OtlpExporterOptions CaptureCopy(OtlpExporterOptions otlp, OtlpCapture capture, bool endpointAsIs)
    {
        var copy = new OtlpExporterOptions { Protocol = otlp.Protocol };
        if (endpointAsIs || copy.Endpoint != otlp.Endpoint)
        {
            copy.Endpoint = otlp.Endpoint;
        }

        copy.Protocol = OtlpExportProtocol.HttpProtobuf;
        copy.Compression = OtlpExportCompression.None;
        copy.Headers = otlp.Headers;
        copy.TimeoutMilliseconds = otlp.TimeoutMilliseconds;
        copy.MaxRequestSizeBytes = otlp.MaxRequestSizeBytes;
        copy.UserAgentProductIdentifier = otlp.UserAgentProductIdentifier;

        // No timeout: the capture answers at once, and a timeout would arm a timer for every piece.
        copy.HttpClientFactory = () =>
            new HttpClient(capture, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        return copy;
    }
}

/// <summary>The exporter of a destination whose pieces another serializer writes: it has nothing to do.</summary>
internal sealed class NoExporter : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
}
