using Microsoft.CodeAnalysis.Diagnostics;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// Which value flow each rule runs: the project's own, or Roslyn's dataflow framework
/// (Microsoft.CodeAnalysis.AnalyzerUtilities). Read from the global analyzer options
/// <c>tracedllm_span_flow</c> (own | framework) and <c>tracedllm_key_flow</c> (own | framework | both),
/// so the yardstick, the corpus and the build bench can measure one against the other.
/// </summary>
internal sealed record DataflowMode(bool FrameworkSpans, KeyFlow Keys)
{
    public static readonly DataflowMode Default = new(true, KeyFlow.Own);

    public static DataflowMode Read(AnalyzerOptions options)
    {
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        var spans = global.TryGetValue("tracedllm_span_flow", out var span) ? span == "framework" : Default.FrameworkSpans;
        var keys = global.TryGetValue("tracedllm_key_flow", out var key)
            ? key switch { "framework" => KeyFlow.Framework, "both" => KeyFlow.Both, _ => KeyFlow.Own }
            : Default.Keys;
        return new DataflowMode(spans, keys);
    }
}

/// <summary>Where a key's possible values come from.</summary>
internal enum KeyFlow
{
    /// <summary>The project's own value flow (<see cref="ValueFlow"/>).</summary>
    Own,

    /// <summary>ValueContentAnalysis alone: its literal values, or unknown.</summary>
    Framework,

    /// <summary>ValueContentAnalysis where it knows the literal values, the own flow where it does not.</summary>
    Both,
}
