using System;
using OpenTelemetry.Trace;

namespace TracedLlm.Telemetry;

/// <summary>OpenTelemetry set-up for TracedLlm.</summary>
public static class TracerProviderBuilderExtensions
{
    /// <summary>Listens to the TracedLlm gateway's activity source.</summary>
    public static TracerProviderBuilder AddTracedLlm(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(TracedLlmTelemetry.SourceName);
    }
}
