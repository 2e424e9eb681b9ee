using System;

namespace TracedLlm;

/// <summary>
/// Which OpenTelemetry GenAI semantic conventions the spans follow
/// (<see cref="TracedLlmOptions.SemanticConventions"/>). Read once when the options are built; a request only compares
/// the enum.
/// </summary>
public enum SemanticConventionMode
{
    /// <summary>The span contract as it stands: GenAI conventions 1.37, LiteLLM's v1 span tree.</summary>
    Default = 0,

    /// <summary>
    /// <c>gen_ai_latest_experimental</c>: the contract plus the GenAI conventions 1.41 names (the LLM
    /// span named <c>{gen_ai.operation.name} {gen_ai.request.model}</c>, <c>gen_ai.request.stream</c>,
    /// <c>gen_ai.conversation.id</c>, <c>server.address</c> / <c>server.port</c> on the LLM span).
    /// </summary>
    GenAiLatestExperimental = 1,
}

/// <summary>The names, versions and schema URLs of the <see cref="SemanticConventionMode"/>s.</summary>
public static class SemanticConventions
{
    /// <summary>
    /// The <c>OTEL_SEMCONV_STABILITY_OPT_IN</c> value that selects
    /// <see cref="SemanticConventionMode.GenAiLatestExperimental"/>.
    /// </summary>
    public const string GenAiLatestExperimentalName = "gen_ai_latest_experimental";

    /// <summary>The name of <see cref="SemanticConventionMode.Default"/> (in the served manifest).</summary>
    public const string DefaultName = "default";

    /// <summary>The conventions release the default mode's keys follow.</summary>
    public const string DefaultVersion = "1.37.0";

    /// <summary>The conventions release <see cref="SemanticConventionMode.GenAiLatestExperimental"/> follows.</summary>
    public const string LatestExperimentalVersion = "1.41.0";

    /// <summary>The schema URL of the default mode's release.</summary>
    public const string DefaultSchemaUrl = "https://opentelemetry.io/schemas/" + DefaultVersion;

    /// <summary>The schema URL of <see cref="SemanticConventionMode.GenAiLatestExperimental"/>'s release.</summary>
    public const string LatestExperimentalSchemaUrl = "https://opentelemetry.io/schemas/" + LatestExperimentalVersion;

    /// <summary>The environment variable OpenTelemetry reads opt-ins from (a comma-separated list).</summary>
    public const string OptInVariable = "OTEL_SEMCONV_STABILITY_OPT_IN";

    /// <summary>The mode's name (<see cref="DefaultName"/> or <see cref="GenAiLatestExperimentalName"/>).</summary>
    public static string NameOf(SemanticConventionMode mode) =>
        mode == SemanticConventionMode.GenAiLatestExperimental ? GenAiLatestExperimentalName : DefaultName;

    /// <summary>The conventions release the mode follows.</summary>
    public static string VersionOf(SemanticConventionMode mode) =>
        mode == SemanticConventionMode.GenAiLatestExperimental ? LatestExperimentalVersion : DefaultVersion;

    /// <summary>The schema URL of the release the mode follows.</summary>
    public static string SchemaUrlOf(SemanticConventionMode mode) =>
        mode == SemanticConventionMode.GenAiLatestExperimental ? LatestExperimentalSchemaUrl : DefaultSchemaUrl;

    /// <summary>
    /// The mode an <c>OTEL_SEMCONV_STABILITY_OPT_IN</c> value selects: its comma-separated entries,
    /// trimmed and compared without case, name <see cref="GenAiLatestExperimentalName"/> or not.
    /// </summary>
    public static SemanticConventionMode FromOptIn(string? optIn)
    {
        if (string.IsNullOrWhiteSpace(optIn))
        {
            return SemanticConventionMode.Default;
        }

        foreach (var entry in optIn.Split(','))
        {
            if (string.Equals(entry.Trim(), GenAiLatestExperimentalName, StringComparison.OrdinalIgnoreCase))
            {
                return SemanticConventionMode.GenAiLatestExperimental;
            }
        }

        return SemanticConventionMode.Default;
    }
}
