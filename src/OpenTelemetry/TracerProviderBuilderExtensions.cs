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
    public static TracerProviderBuilder AddLangfuseExporter(this TracerProviderBuilder builder, Action<LangfuseExporterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = LangfuseExporterOptions.FromEnvironment();
        configure?.Invoke(options);
        options.Validate();
        return builder.AddOtlpExporter(otlp =>
        {
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            otlp.Endpoint = options.Endpoint;
            otlp.Headers = options.OtlpHeaders();
        });
    }

    /// <summary>
    /// Exports over OTLP configured by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables (endpoint,
    /// headers, timeout, protocol), with HTTP/protobuf as the protocol unless one is set.
    /// </summary>
    public static TracerProviderBuilder AddTracedLlmOtlpExporter(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var protocolSet = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"));
        return builder.AddOtlpExporter(otlp =>
        {
            if (!protocolSet)
            {
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            }
        });
    }
}
