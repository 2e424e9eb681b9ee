using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TracedLlm;

namespace OpenTelemetry.Trace;

// Team- and key-based destinations: each request's spans to the destinations of its authenticated caller.
public static partial class TracedLlmExporterTracerProviderBuilderExtensions
{
    /// <summary>The name of the destinations' <see cref="ExportQueueOptions"/> (their bounds together; each destination has its share).</summary>
    public const string DestinationsQueueName = "Destinations";

    /// <summary>
    /// Exports each request's spans to the destinations of its authenticated caller (a Langfuse
    /// project, Phoenix, LangSmith, any OTLP endpoint; <see cref="TraceRoutingOptions"/>), each with its
    /// own queue, delivery, retries, disk buffer and drop counts, so that one team's backend failing
    /// costs no other team a span. The routing comes from the <c>TracedLlm:Routing</c> section (reloaded
    /// when the configuration changes: a reload that fails its checks keeps the routing as it was and
    /// says why), then <paramref name="configure"/>; the bounds all destinations share from
    /// <c>OTEL_BSP_*</c>, then <c>TracedLlm:Export</c>, then <paramref name="configureQueue"/>. With
    /// <c>TracedLlm:Export:TailSampling</c> enabled, requests are sampled once, before any destination.
    /// </summary>
    public static TracerProviderBuilder AddTracedLlmDestinations(this TracerProviderBuilder builder, Action<TraceRoutingOptions>? configure = null, Action<ExportQueueOptions>? configureQueue = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services =>
        {
            services.AddConfiguredOptions<TraceRoutingOptions, TraceRoutingOptionsValidator>(
                TraceRoutingOptions.SectionName,
                static (_, _) => { },
                // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
                static (options, section) => section.Bind(options),
                configure);

            // Reloaded with the configuration (appsettings.json's reloadOnChange, any provider that reloads).
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<TraceRoutingOptions>, RoutingChangeTokenSource>());
            AddExportServices(services, DestinationsQueueName, configureQueue);
        });

        return builder.AddProcessor(provider =>
        {
            var monitor = provider.GetRequiredService<IOptionsMonitor<TraceRoutingOptions>>();
            var queue = QueueOptions(provider, DestinationsQueueName, out var warn);
            var router = new TraceRouter(monitor.CurrentValue, queue, warn, monitor);
            provider.GetService<ExportProcessors>()?.Add(router);
            return queue.TailSampling is { Enabled: true } sampling ? new TailSamplingProcessor(router, sampling) : router;
        });
    }
}

/// <summary>The host's configuration's reload token, for <see cref="TraceRoutingOptions"/> (none without a configuration).</summary>
internal sealed class RoutingChangeTokenSource(IServiceProvider provider)
    : ConfigurationChangeTokenSource<TraceRoutingOptions>(provider.GetService<IConfiguration>() ?? new ConfigurationBuilder().Build());
