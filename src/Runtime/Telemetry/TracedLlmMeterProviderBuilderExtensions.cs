using System;
using TracedLlm.Telemetry;

// Where OpenTelemetry users look for instrumentation: beside AddAspNetCoreInstrumentation().
namespace OpenTelemetry.Metrics;

/// <summary>Adds TracedLlm's instruments to an OpenTelemetry meter provider.</summary>
public static class TracedLlmMeterProviderBuilderExtensions
{
    /// <summary>
    /// Listens to the TracedLlm gateway's meter (<c>TracedLlm.Gateway</c>): GenAI token usage,
    /// request duration, time to first token and per output token, and the export queue's drops.
    /// </summary>
    public static MeterProviderBuilder AddTracedLlm(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(TracedLlmTelemetry.SourceName);
    }
}
