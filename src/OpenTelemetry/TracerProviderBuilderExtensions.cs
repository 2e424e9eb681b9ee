using System;
using System.IO;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry;

/// <summary>OpenTelemetry SDK set-up helpers: Langfuse and OTLP export, the console trace tree.</summary>
public static class TracedLlmTracerProviderBuilderExtensions
{
    /// <summary>Prints every finished TracedLlm trace to the console as a tree.</summary>
    public static TracerProviderBuilder AddTracedLlmConsoleTree(this TracerProviderBuilder builder, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProcessor(new SimpleActivityExportProcessor(new ConsoleTreeExporter(output)));
    }

    /// <summary>
    /// Exports to Langfuse's OTLP endpoint over HTTP/protobuf, batched off the request path:
    /// <c>{host}/api/public/otel/v1/traces</c> with <c>Authorization: Basic base64(public:secret)</c>
    /// and <c>x-langfuse-ingestion-version: 4</c>. Options come from the environment
    /// (<see cref="LangfuseExporterOptions.FromEnvironment"/>), then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A key is missing; the message names both variables.</exception>
    public static TracerProviderBuilder AddLangfuseExporter(this TracerProviderBuilder builder, Action<LangfuseExporterOptions>? configure = null, ExportQueueOptions? queue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = LangfuseExporterOptions.FromEnvironment();
        configure?.Invoke(options);
        options.Validate();
        var otlp = new OtlpExporterOptions
        {
            Protocol = OtlpExportProtocol.HttpProtobuf,
            Endpoint = options.Endpoint,
            Headers = options.OtlpHeaders(),
        };
        return builder.AddProcessor(new BoundedExportProcessor(new OtlpTraceExporter(otlp), queue));
    }

    /// <summary>
    /// Exports over OTLP configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables (endpoint,
    /// headers, timeout, protocol), with HTTP/protobuf as the protocol unless one is set.
    /// </summary>
    public static TracerProviderBuilder AddTracedLlmOtlpExporter(this TracerProviderBuilder builder, ExportQueueOptions? queue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var protocolSet = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"));

        // The options read OTEL_EXPORTER_OTLP_* themselves; the endpoint gets /v1/traces for HTTP.
        var otlp = new OtlpExporterOptions();
        if (!protocolSet)
        {
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } endpoint)
            {
                otlp.Endpoint = new Uri(endpoint.TrimEnd('/') + "/v1/traces");
            }
        }

        return builder.AddProcessor(new BoundedExportProcessor(new OtlpTraceExporter(otlp), queue));
    }
}
