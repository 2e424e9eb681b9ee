using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers;

/// <summary>Every analyzer diagnostic: IDs as constants, one help page each under docs/diagnostics.</summary>
internal static class DiagnosticDescriptors
{
    public const string SlotMismatchId = "TLLM2001";
    public const string FailurePathEscapeId = "TLLM2002";
    public const string SpanLifecycleId = "TLLM2003";
    public const string SwallowedExceptionId = "TLLM2004";
    public const string SlotCollisionId = "TLLM2005";
    public const string UnscopedUpstreamCallId = "TLLM2006";

    /// <summary>Diagnostic property: the expression that names the route's own slot (TLLM2001 fix).</summary>
    public const string SlotConstantProperty = "SlotConstant";

    /// <summary>Diagnostic property: the accepted exception type to derive from (TLLM2002 fix).</summary>
    public const string AcceptedTypeProperty = "AcceptedType";

    /// <summary>Diagnostic property: which TLLM2003 problem this is (<c>lifecycle</c> or <c>orphan</c>).</summary>
    public const string SpanProblemProperty = "SpanProblem";

    private const string Category = "TracedLlm.Tracing";

    public static readonly DiagnosticDescriptor SlotMismatch = Create(
        SlotMismatchId,
        "Metadata-slot mismatch",
        "Metadata slot mismatch: key '{0}' names a metadata slot, but this code is reached from {1}",
        "A key naming a metadata slot is read or written in code reached from a route whose slot is another one; on LiteLLM's /v1/messages this made the LLM span an orphan in a new trace.",
        compilationEnd: true);

    public static readonly DiagnosticDescriptor FailurePathEscape = Create(
        FailurePathEscapeId,
        "Exception type skips the failure-logging path",
        "Exception type '{0}' thrown in traced code is accepted by no failure filter ({1} accepts only {2}), so its failures are never logged",
        "A hand-written failure filter decides from the exception's type whether a failure is logged; a type it does not accept skips failure logging, the way LiteLLM's guardrail blocks did.",
        compilationEnd: true);

    public static readonly DiagnosticDescriptor SpanLifecycle = Create(
        SpanLifecycleId,
        "Span not ended on every path, or started as an orphan",
        "{0}",
        "An Activity started in traced code must be ended on every path (using, or Stop/Dispose in finally) and must have the request's span as its parent.",
        compilationEnd: true);

    public static readonly DiagnosticDescriptor SwallowedException = Create(
        SwallowedExceptionId,
        "Exception swallowed in traced code",
        "This catch swallows '{0}' in traced code: rethrow it, throw, or hand it to the failure path (LlmCall.RecordHandledFailure or a failure logger)",
        "A catch in traced code that neither throws nor reports the exception hides the failure from the spans and the failure loggers.",
        compilationEnd: true);

    public static readonly DiagnosticDescriptor SlotCollision = Create(
        SlotCollisionId,
        "Request type has its own metadata property on a 'metadata' slot route",
        "Route '{0}' keeps gateway metadata in 'metadata', but its request type '{1}' has its own property '{2}' serialized as 'metadata'; use MetadataSlot = \"litellm_metadata\"",
        "When the provider's own body has a 'metadata' field, gateway metadata in the same slot collides with it; such routes use 'litellm_metadata'.",
        compilationEnd: false);

    public static readonly DiagnosticDescriptor UnscopedUpstreamCall = Create(
        UnscopedUpstreamCallId,
        "Upstream call outside an attempt scope",
        "{0} is called upstream outside an attempt scope, so its retries and fallbacks go unseen; make the call inside LlmCall.ExecuteAsync / StreamAsync, or take an LlmAttempt",
        "Every upstream call of traced code belongs to an attempt: one raw_gen_ai_request span per attempt, retry and fallback.",
        compilationEnd: true);

    private static DiagnosticDescriptor Create(string id, string title, string message, string description, bool compilationEnd) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: description,
        helpLinkUri: $"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md",
        customTags: compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : System.Array.Empty<string>());
}
