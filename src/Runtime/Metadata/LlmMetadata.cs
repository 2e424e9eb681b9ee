using System;
using System.Collections.Generic;
using System.Text.Encodings.Web;

namespace TracedLlm;

/// <summary>
/// The gateway metadata a client sent in the route's metadata slot, typed. Read once by the
/// route's generated reader; recognized keys become properties, every other key is kept in
/// <see cref="ObservationMetadata"/> as JSON text. It is what traces will see: the value of a
/// secret-like key (<see cref="SecretRedaction.KeyFragments"/>), at any depth, is kept as
/// <see cref="SecretRedaction.Marker"/>, and each client-chosen collection holds at most
/// <see cref="TelemetryLimits.MaxMetadataKeys"/> entries.
/// </summary>
public sealed partial class LlmMetadata
{
    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>(0);

    /// <summary>The keys the gateway reads from its slot (a shared slot takes only these).</summary>
    internal static readonly string[] RecognizedKeys =
    {
        "generation_name",
        "trace_name",
        "existing_trace_id",
        "trace_id",
        "parent_observation_id",
        "session_id",
        "trace_user_id",
        "user_id",
        "tags",
        "trace_metadata",
        "prompt",
        "prompt_name",
        "prompt_version",
        "version",
        "release",
        "environment",
        "mask_input",
        "mask_output",
    };

    /// <summary>Metadata of a request whose slot was absent or null.</summary>
    public static LlmMetadata Empty { get; } = new();

    /// <summary>True when the request carried the slot with at least one key.</summary>
    public bool IsPresent { get; private set; }

    /// <summary><c>generation_name</c>: renames the <c>litellm_request</c> span.</summary>
    public string? GenerationName { get; private set; }

    /// <summary><c>trace_name</c></summary>
    public string? TraceName { get; private set; }

    /// <summary>
    /// <c>existing_trace_id</c>, else <c>trace_id</c>: the trace to join, as sent (validated when joining).
    /// </summary>
    public string? ExistingTraceId { get; private set; }

    /// <summary>
    /// True when <see cref="ExistingTraceId"/> came from <c>trace_id</c> (no <c>existing_trace_id</c> was sent).
    /// </summary>
    internal bool TraceIdFromAlias { get; private set; }

    /// <summary><c>parent_observation_id</c>: the span to parent the server span to, as sent.</summary>
    public string? ParentObservationId { get; private set; }

    /// <summary><c>session_id</c></summary>
    public string? SessionId { get; private set; }

    /// <summary><c>trace_user_id</c>, else <c>user_id</c></summary>
    public string? UserId { get; private set; }

    /// <summary><c>tags</c></summary>
    public IReadOnlyList<string> Tags { get; private set; } = Array.Empty<string>();

    /// <summary><c>trace_metadata</c>: values as JSON text (strings unquoted).</summary>
    public IReadOnlyDictionary<string, string> TraceMetadata { get; private set; } = NoEntries;

    /// <summary><c>prompt.name</c> or <c>prompt_name</c></summary>
    public string? PromptName { get; private set; }

    /// <summary><c>prompt.version</c> or <c>prompt_version</c></summary>
    public int? PromptVersion { get; private set; }

    /// <summary><c>version</c></summary>
    public string? Version { get; private set; }

    /// <summary><c>release</c></summary>
    public string? Release { get; private set; }

    /// <summary><c>environment</c></summary>
    public string? Environment { get; private set; }

    /// <summary><c>mask_input</c>: suppress input content capture for this request.</summary>
    public bool MaskInput { get; private set; }

    /// <summary><c>mask_output</c>: suppress output content capture for this request.</summary>
    public bool MaskOutput { get; private set; }

    /// <summary>
    /// Keys the gateway does not recognize, kept as observation metadata (values as JSON text, strings unquoted).
    /// </summary>
    public IReadOnlyDictionary<string, string> ObservationMetadata { get; private set; } = NoEntries;

    /// <summary>
    /// <c>tags</c> items and <c>trace_metadata</c> keys past <see cref="TelemetryLimits.MaxMetadataKeys"/>, left out.
    /// </summary>
    internal int DroppedTraceEntries { get; private set; }

    /// <summary>Unrecognized keys past <see cref="TelemetryLimits.MaxMetadataKeys"/>, left out.</summary>
    internal int DroppedObservationEntries { get; private set; }
}
