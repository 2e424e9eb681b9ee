using System;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TracedLlm;

namespace OpenTelemetry.Trace;

// Team- and key-based destinations: each request's spans to the destinations of its authenticated caller.
public static partial class TracedLlmExporterTracerProviderBuilderExtensions
{
    /// <summary>
    /// The name of the destinations' <see cref="ExportQueueOptions"/> (their bounds together; each destination has its
    /// share).
    /// </summary>
    public const string DestinationsQueueName = "Destinations";

    /// <summary>
    /// Exports each request's spans to the destinations of its authenticated caller, each with its own queue, so one
    /// team's failing backend costs no other team a span.
    /// </summary>
    /// <remarks>
    /// A destination is a Langfuse project, Phoenix, LangSmith or any OTLP endpoint
    /// (<see cref="TraceRoutingOptions"/>), each with its own queue, delivery, retries, disk buffer and drop counts.
    /// The routing comes from the <c>TracedLlm:Routing</c> section (reloaded when the configuration changes: a reload
    /// that fails its checks keeps the routing as it was and says why), then <paramref name="configure"/>; the bounds
    /// all destinations share from <c>OTEL_BSP_*</c>, then <c>TracedLlm:Export</c>, then
    /// <paramref name="configureQueue"/>. With <c>TracedLlm:Export:TailSampling</c> enabled, requests are sampled once,
    /// before any destination.
    /// </remarks>
    public static TracerProviderBuilder AddTracedLlmDestinations(
        this TracerProviderBuilder builder,
        Action<TraceRoutingOptions>? configure = null,
        Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services =>
        {
            services.AddConfiguredOptions<TraceRoutingOptions, TraceRoutingOptionsValidator>(
                TraceRoutingOptions.SectionName,
                static (_, _) => { },
                // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe;
                // each destination's lists read by index (RoutingSection says why).
                static (options, section) => new RoutingSection(section).Bind(options),
                configure);

            // Reloaded with the configuration (appsettings.json's reloadOnChange, any provider that reloads).
            services.TryAddEnumerable(
                ServiceDescriptor.Singleton<IOptionsChangeTokenSource<TraceRoutingOptions>, RoutingChangeTokenSource>()
            );
            AddExportServices(services, DestinationsQueueName, configureQueue);
        });

        return builder.AddProcessor(provider =>
        {
            var monitor = provider.GetRequiredService<IOptionsMonitor<TraceRoutingOptions>>();
            var queue = QueueOptions(provider, DestinationsQueueName, out var warn);
            var router = new TraceRouter(monitor.CurrentValue, queue, warn, monitor);
            provider.GetService<ExportProcessors>()?.Add(router);
            return queue.TailSampling is { Enabled: true } sampling
                ? new TailSamplingProcessor(router, sampling)
                : router;
        });
    }
}

// One backend for every request, set up from its own SDKs' variables: Phoenix, LangSmith.
public static partial class TracedLlmExporterTracerProviderBuilderExtensions
{
    /// <summary>
    /// The name of the Phoenix exporter's <see cref="ExportQueueOptions"/> (and its destination, in the export
    /// metrics).
    /// </summary>
    public const string PhoenixQueueName = "Phoenix";

    /// <summary>
    /// The name of the LangSmith exporter's <see cref="ExportQueueOptions"/> (and its destination, in the export
    /// metrics).
    /// </summary>
    public const string LangSmithQueueName = "LangSmith";

    /// <summary>
    /// Exports every request to Arize Phoenix, with the OpenInference attributes Phoenix reads added at export.
    /// </summary>
    /// <remarks>
    /// The attributes are <c>openinference.span.kind</c>, <c>llm.*</c>, <c>input.value</c> / <c>output.value</c> and
    /// the project on the resource; spans are batched off the request path with their own queue, retries and drop
    /// counts. <see cref="PhoenixExporterOptions"/> come from <c>PHOENIX_COLLECTOR_ENDPOINT</c>,
    /// <c>PHOENIX_API_KEY</c>, <c>PHOENIX_PROJECT_NAME</c>, then <c>TracedLlm:Phoenix</c>, then
    /// <paramref name="configure"/>; the queue from <c>OTEL_BSP_*</c>, <c>TracedLlm:Export</c>,
    /// <paramref name="configureQueue"/>.
    /// </remarks>
    public static TracerProviderBuilder AddTracedLlmPhoenixExporter(
        this TracerProviderBuilder builder,
        Action<PhoenixExporterOptions>? configure = null,
        Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The section bound here, where the configuration binder's source generator sees the type.
        return AddBackendExporter(
            builder,
            PhoenixExporterOptions.SectionName,
            PhoenixQueueName,
            static (options, section) => section.Bind(options),
            configure,
            configureQueue);
    }

    /// <summary>
    /// Exports every request to LangSmith's OpenTelemetry ingestion, with the run attributes LangSmith reads added at
    /// export.
    /// </summary>
    /// <remarks>
    /// The attributes are <c>langsmith.span.kind</c>, <c>gen_ai.prompt</c> / <c>gen_ai.completion</c>,
    /// <c>langsmith.usage_metadata</c> and <c>langsmith.metadata.*</c>; spans are batched off the request path with
    /// their own queue, retries and drop counts. <see cref="LangSmithExporterOptions"/> come from
    /// <c>LANGSMITH_API_KEY</c>, <c>LANGSMITH_PROJECT</c>, <c>LANGSMITH_ENDPOINT</c>, <c>LANGSMITH_SAMPLING_RATE</c>,
    /// then <c>TracedLlm:LangSmith</c>, then <paramref name="configure"/>; the queue as for every exporter.
    /// </remarks>
    public static TracerProviderBuilder AddTracedLlmLangSmithExporter(
        this TracerProviderBuilder builder,
        Action<LangSmithExporterOptions>? configure = null,
        Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The section bound here, where the configuration binder's source generator sees the type.
        return AddBackendExporter(
            builder,
            LangSmithExporterOptions.SectionName,
            LangSmithQueueName,
            static (options, section) => section.Bind(options),
            configure,
            configureQueue);
    }

    // One backend's exporter: its options from its SDKs' variables, the section, then code (checked
    // at start), its own queue, and its destination for every request.
    private static TracerProviderBuilder AddBackendExporter<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions
    >(
        TracerProviderBuilder builder,
        string sectionName,
        string queueName,
        Action<TOptions, IConfigurationSection> bind,
        Action<TOptions>? configure,
        Action<ExportQueueOptions>? configureQueue)
        where TOptions : class, IBackendExporterOptions
    {
        builder.ConfigureServices(services =>
        {
            services.AddConfiguredOptions<TOptions, BackendExporterOptionsValidator<TOptions>>(
                sectionName,
                static (options, variable) => options.ReadVariables(variable),
                bind,
                configure);
            AddExportServices(services, queueName, configureQueue);
        });
        return builder.AddProcessor(provider =>
            OneDestination(
                provider,
                queueName,
                provider.GetRequiredService<IOptionsMonitor<TOptions>>().CurrentValue.Destination()));
    }

    // One backend as a router's only destination, for every request: the same translation,
    // ratio (lowered by a request's sample_rate), scope and delivery as a team's destination, all
    // the queue's bounds its own, never closed for idleness.
    private static BaseProcessor<System.Diagnostics.Activity> OneDestination(
        IServiceProvider provider,
        string name,
        TraceDestinationOptions destination)
    {
        var queue = QueueOptions(provider, name, out var warn);
        var routing = new TraceRoutingOptions
        {
            DestinationShare = 1,
            MaxLiveDestinations = 1,
            IdleTimeout = TimeSpan.FromDays(365)
        };
        routing.Destinations[name] = destination;
        var router = new TraceRouter(routing, queue, warn);
        provider.GetService<ExportProcessors>()?.Add(router);
        return queue.TailSampling is { Enabled: true } sampling ? new TailSamplingProcessor(router, sampling) : router;
    }
}

/// <summary>
/// The host's configuration's reload token, for <see cref="TraceRoutingOptions"/> (none without a configuration).
/// </summary>
internal sealed class RoutingChangeTokenSource(IServiceProvider provider)
    : ConfigurationChangeTokenSource<TraceRoutingOptions>(
        provider.GetService<IConfiguration>() ?? new ConfigurationBuilder().Build());
