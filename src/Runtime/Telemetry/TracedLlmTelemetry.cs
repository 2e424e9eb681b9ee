using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TracedLlm.Telemetry;

/// <summary>The one <see cref="ActivitySource"/> and <see cref="Meter"/> every traced route records to.</summary>
public static class TracedLlmTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string SourceName = "TracedLlm.Gateway";

    /// <summary>The version recorded on the source and meter.</summary>
    public const string Version = "0.1.0";

    /// <summary>
    /// The activity source of every TracedLlm span. Its schema URL is the default convention mode's
    /// (<see cref="SemanticConventions.DefaultSchemaUrl"/>): the names every mode records; the served
    /// manifest names the mode in force and its release.
    /// </summary>
    public static ActivitySource Source { get; } = new(new ActivitySourceOptions(SourceName)
    {
        Version = Version,
        TelemetrySchemaUrl = SemanticConventions.DefaultSchemaUrl,
    });

    /// <summary>The meter of every TracedLlm instrument, with the same schema URL as <see cref="Source"/>.</summary>
    public static Meter Meter { get; } = new(new MeterOptions(SourceName)
    {
        Version = Version,
        TelemetrySchemaUrl = SemanticConventions.DefaultSchemaUrl,
    });
}
