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
    /// The activity source of every TracedLlm span in the default convention mode, with that mode's
    /// schema URL (<see cref="SemanticConventions.DefaultSchemaUrl"/>); the served manifest names the
    /// mode in force and its release.
    /// </summary>
    public static ActivitySource Source { get; } = new(new ActivitySourceOptions(SourceName)
    {
        Version = Version,
        TelemetrySchemaUrl = SemanticConventions.DefaultSchemaUrl,
    });

    /// <summary>
    /// The activity source of the spans of <see cref="SemanticConventionMode.GenAiLatestExperimental"/>.
    /// </summary>
    /// <remarks>
    /// The same name and version as <see cref="Source"/> (one <c>AddSource</c> listens to both), and the schema URL of
    /// the release that mode follows (<see cref="SemanticConventions.LatestExperimentalSchemaUrl"/>), which the OTLP
    /// exporter writes as the scope's <c>schema_url</c>.
    /// </remarks>
    public static ActivitySource LatestExperimentalSource { get; } = new(new ActivitySourceOptions(SourceName)
    {
        Version = Version,
        TelemetrySchemaUrl = SemanticConventions.LatestExperimentalSchemaUrl,
    });

    /// <summary>The activity source of a convention mode's spans.</summary>
    internal static ActivitySource SourceFor(SemanticConventionMode mode) =>
        mode == SemanticConventionMode.GenAiLatestExperimental ? LatestExperimentalSource : Source;

    /// <summary>The meter of every TracedLlm instrument, with the default mode's schema URL in every mode.</summary>
    /// <remarks>
    /// The instruments are shared by the modes (a second meter of the same name would register each twice).
    /// </remarks>
    public static Meter Meter { get; } = new(new MeterOptions(SourceName)
    {
        Version = Version,
        TelemetrySchemaUrl = SemanticConventions.DefaultSchemaUrl,
    });
}
