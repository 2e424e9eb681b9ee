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

    /// <summary>The activity source of every TracedLlm span.</summary>
    public static ActivitySource Source { get; } = new(SourceName, Version);

    /// <summary>The meter of every TracedLlm instrument.</summary>
    public static Meter Meter { get; } = new(SourceName, Version);
}
