using System;
using System.IO;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using TracedLlm;

// Where OpenTelemetry users look for exporters: beside AddOtlpExporter(); every name starts with
// AddTracedLlm so that none can clash with another package's (Langfuse's own included).
namespace OpenTelemetry.Trace;

/// <summary>
/// TracedLlm's exporters for an OpenTelemetry tracer provider: Langfuse, Phoenix, LangSmith, OTLP, destinations by team
/// and key, the console trace tree.
/// </summary>
public static partial class TracedLlmExporterTracerProviderBuilderExtensions
{
    /// <summary>The name of the Langfuse exporter's <see cref="ExportQueueOptions"/>.</summary>
    public const string LangfuseQueueName = "Langfuse";

    /// <summary>The name of the OTLP exporter's <see cref="ExportQueueOptions"/>.</summary>
    public const string OtlpQueueName = "Otlp";

    /// <summary>Prints every finished TracedLlm trace to the console as a tree.</summary>
    public static TracerProviderBuilder AddTracedLlmConsoleTree(
        this TracerProviderBuilder builder,
        TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProcessor(new SimpleActivityExportProcessor(new ConsoleTreeExporter(output)));
    }

    /// <summary>
    /// Exports to Langfuse's OTLP endpoint over HTTP/protobuf, batched off the request path through a
    /// <see cref="BoundedExportProcessor"/>: <c>{host}/api/public/otel/v1/traces</c> with
    /// <c>Authorization: Basic base64(public:secret)</c> and <c>x-langfuse-ingestion-version: 4</c>.
    /// <see cref="LangfuseExporterOptions"/> come from <c>LANGFUSE_*</c>, then the
    /// <c>TracedLlm:Langfuse</c> section, then <paramref name="configure"/>; the queue from
    /// <c>OTEL_BSP_*</c>, then <c>TracedLlm:Export</c>, then <paramref name="configureQueue"/>. A missing
    /// key or malformed host fails when the host starts (or the provider is built), naming the setting.
    /// </summary>
    public static TracerProviderBuilder AddTracedLlmLangfuseExporter(
        this TracerProviderBuilder builder,
        Action<LangfuseExporterOptions>? configure = null,
        Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services =>
        {
            services.AddConfiguredOptions<LangfuseExporterOptions, LangfuseExporterOptionsValidator>(
                LangfuseExporterOptions.SectionName,
                static (options, variable) => options.ReadVariables(variable),
                static (options, section) => options.BindSection(section),
                configure);
            AddExportServices(services, LangfuseQueueName, configureQueue);
        });

        return builder.AddProcessor(provider =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<LangfuseExporterOptions>>().CurrentValue;
            var queue = QueueOptions(provider, LangfuseQueueName, out var warn);
            var otlp = new OtlpExporterOptions
            {
                Protocol = OtlpExportProtocol.HttpProtobuf,
                Endpoint = options.Endpoint,
                Headers = options.OtlpHeaders(),
                TimeoutMilliseconds = OtlpVariables.ReadTimeout(Environment.GetEnvironmentVariable, warn),
            };
            return CreateProcessor(provider, otlp, endpointAsIs: true, LangfuseQueueName, queue, warn);
        });
    }

    /// <summary>
    /// Exports over OTLP as OpenTelemetry's standard <c>OTEL_EXPORTER_OTLP_*</c> variables say, batched through a
    /// <see cref="BoundedExportProcessor"/>.
    /// </summary>
    /// <remarks>
    /// Each <c>OTEL_EXPORTER_OTLP_TRACES_*</c> variable is read over its shared one (endpoint, headers, timeout,
    /// protocol, compression; <c>/v1/traces</c> is added to a plain <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, as for a
    /// Collector, and a traces endpoint is used as is), with HTTP/protobuf unless <c>grpc</c> is asked for, then
    /// <paramref name="configure"/>. The queue comes from <c>OTEL_BSP_*</c>, then <c>TracedLlm:Export</c>, then
    /// <paramref name="configureQueue"/>.
    /// </remarks>
    public static TracerProviderBuilder AddTracedLlmOtlpExporter(
        this TracerProviderBuilder builder,
        Action<OtlpExporterOptions>? configure = null,
        Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services => AddExportServices(services, OtlpQueueName, configureQueue));
        return builder.AddProcessor(provider =>
        {
            // The options' constructor reads the variables shared by all signals (and adds the signal
            // path to a plain OTEL_EXPORTER_OTLP_ENDPOINT for HTTP); the traces-specific ones, which
            // override them, the protocol's default and the timeout's 0 are read as the specification
            // says (OtlpVariables). A traces endpoint, like a code-set one, is used as is.
            var queue = QueueOptions(provider, OtlpQueueName, out var warn);
            var otlp = new OtlpExporterOptions();
            var endpointAsIs = OtlpVariables.Apply(otlp, Environment.GetEnvironmentVariable, warn);
            configure?.Invoke(otlp);
            return CreateProcessor(provider, otlp, endpointAsIs, OtlpQueueName, queue, warn);
        });
    }

    private static void AddExportServices(
        IServiceCollection services,
        string queueName,
        Action<ExportQueueOptions>? configureQueue)
    {
        services.AddConfiguredOptions<ExportQueueOptions, ExportQueueOptionsValidator>(
            ExportQueueOptions.SectionName,
            static (options, variable) => options.ReadVariables(variable),
            // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
            static (options, section) => section.Bind(options),
            configureQueue,
            queueName);

        // With a host: its stop (SIGTERM, IHost.StopAsync) delivers the queues within their bound.
        services.TryAddSingleton<ExportProcessors>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ExportShutdownService>());
    }

    // The queue's options, and where its warnings go: the options' own channel, else the host's logger,
    // else standard error (as the processor says them).
    private static ExportQueueOptions QueueOptions(IServiceProvider provider, string queueName, out Action<string> warn)
    {
        var options = provider.GetRequiredService<IOptionsMonitor<ExportQueueOptions>>().Get(queueName);
        Action<string>? logged = null;
        if (provider.GetService<ILoggerFactory>() is { } loggers)
        {
            var logger = loggers.CreateLogger(ExportShutdownService.LoggerCategory);
            logged = message => ExportLog.Warning(logger, message);
        }

        warn = options.Warn ?? logged ?? (static message => Console.Error.WriteLine(message));
        return options;
    }

    private static BaseProcessor<System.Diagnostics.Activity> CreateProcessor(
        IServiceProvider provider,
        OtlpExporterOptions otlp,
        bool endpointAsIs,
        string queueName,
        ExportQueueOptions options,
        Action<string> warn)
    {
        // OpenTelemetry's exporter serializes; the processor sends, retries and buffers (its disk
        // buffer, if any, in a subdirectory named after the queue, so that two exporters never share one).
        var processor = new BoundedExportProcessor(
            OtlpSetup.Create(otlp, endpointAsIs),
            options,
            warn,
            diskSubdirectory: queueName);
        provider.GetService<ExportProcessors>()?.Add(processor);
        BaseProcessor<System.Diagnostics.Activity> scoped =
            options.Scope == ExportScope.GenerationsOnly ? new GenerationsOnlyProcessor(processor) : processor;

        // In front of a generations-only scope, the sampler holds only what the scope sends.
        return options.TailSampling is { Enabled: true } sampling
            ? new TailSamplingProcessor(scoped, sampling)
            : scoped;
    }
}
