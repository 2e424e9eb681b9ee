using System;
using TracedLlm.Telemetry;

// Where OpenTelemetry users look for instrumentation: beside AddAspNetCoreInstrumentation().
namespace OpenTelemetry.Trace;

/// <summary>Adds TracedLlm's spans to an OpenTelemetry tracer provider.</summary>
public static class TracedLlmTracerProviderBuilderExtensions
{
    /// <summary>Listens to the TracedLlm gateway's activity source (<c>TracedLlm.Gateway</c>).</summary>
    public static TracerProviderBuilder AddTracedLlm(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(TracedLlmTelemetry.SourceName);
    }
}
