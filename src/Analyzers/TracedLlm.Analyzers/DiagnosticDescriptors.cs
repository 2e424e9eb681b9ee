using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers;

/// <summary>
/// Every analyzer diagnostic, one help page each under docs/diagnostics. A rule that is decided
/// inside a route's own handler (or an authenticator or guardrail) is reported while typing with
/// its live descriptor; the same rule, when it needs the call graph (code a route reaches through
/// calls), is reported at the end of the compilation with the descriptor tagged
/// <see cref="WellKnownDiagnosticTags.CompilationEnd"/>. Both carry the same ID, title and message.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TracedLlm.Tracing";

    private const string SlotMismatchTitle = "Metadata-slot mismatch";
    private const string SlotMismatchMessage = "Metadata slot mismatch: key '{0}' names a metadata slot, but this code is reached from {1}{2}";
    private const string SlotMismatchDescription = "A key naming a metadata slot is read or written in code reached from a route whose slot is another one; on LiteLLM's /v1/messages this made the LLM span an orphan in a new trace.";

    private const string FailurePathTitle = "Exception type skips the failure-logging path";
    private const string FailurePathMessage = "Exception type '{0}' thrown in traced code is accepted by no failure filter ({1} accepts only {2}), so its failures are never logged{3}";
    private const string FailurePathDescription = "A hand-written failure filter decides from the exception's type whether a failure is logged; a type it does not accept skips failure logging, the way LiteLLM's guardrail blocks did.";

    private const string SpanTitle = "Span not ended on every path, or started as an orphan";
    private const string SpanDescription = "An Activity started in traced code must be ended on every path (using, or Stop/Dispose in finally) and must have the request's span as its parent.";

    private const string SwallowTitle = "Exception swallowed in traced code";
    private const string SwallowMessage = "This catch swallows '{0}' in traced code: rethrow it, throw, or hand it to the failure path (LlmCall.RecordHandledFailure or a failure logger){1}";
    private const string SwallowDescription = "A catch in traced code that answers the request with an error by hand, or gives up on an upstream call, and neither throws nor reports the exception: the client or the attempt failed, and the spans and the failure loggers never see it.";

    private const string HandledTitle = "Exception handled without a record in traced code";
    private const string HandledMessage = "This catch goes on without '{0}' in traced code: the failure reaches no span or failure logger; record it (LlmCall.RecordHandledFailure or a failure logger), rethrow, or declare it handled by design{1}";
    private const string HandledDescription = "Off by default. A catch in traced code that neither throws nor reports the exception and goes on without it (logs and continues, returns a fallback value or a success answer, skips an item, cleans up) leaves no trace of the failure in the spans. Whether that is a designed skip or fallback is intent code cannot show: on unseen code most such catches were judged designed. TLLM2004 reports the catches that answer the request with an error or give up on an upstream call.";

    private const string UnthrownTitle = "Upstream failure answered without the failure path";
    private const string UnthrownMessage = "{0}, and {1}: no exception carries the failure, so no span, failure logger "
        + "or error format sees it; throw (an UpstreamException) or record it (LlmCall.RecordHandledFailure){2}";
    private const string UnthrownDescription = "An upstream failure that never throws (YARP's ForwarderError, a "
        + "model call's failing status, an OpenAI run or response that ended failed, a stream cut short) answered by "
        + "hand or as a success leaves a trace that says the request succeeded.";

    private const string UpstreamTitle = "Upstream call outside an attempt scope";
    private const string UpstreamMessage = "{0} is called upstream outside an attempt scope, so its retries and fallbacks go unseen; make the call inside LlmCall.ExecuteAsync / StreamAsync, or take an LlmAttempt{1}";
    private const string UpstreamDescription = "Every upstream call of traced code belongs to an attempt: one raw_gen_ai_request span per attempt, retry and fallback.";

    public static readonly DiagnosticDescriptor SlotMismatch = Create(DiagnosticIds.SlotMismatch, SlotMismatchTitle, SlotMismatchMessage, SlotMismatchDescription, compilationEnd: false);
    public static readonly DiagnosticDescriptor SlotMismatchThroughCalls = Create(DiagnosticIds.SlotMismatch, SlotMismatchTitle, SlotMismatchMessage, SlotMismatchDescription, compilationEnd: true);

    public static readonly DiagnosticDescriptor FailurePathEscape = Create(DiagnosticIds.FailurePathEscape, FailurePathTitle, FailurePathMessage, FailurePathDescription, compilationEnd: false);
    public static readonly DiagnosticDescriptor FailurePathEscapeThroughCalls = Create(DiagnosticIds.FailurePathEscape, FailurePathTitle, FailurePathMessage, FailurePathDescription, compilationEnd: true);

    public static readonly DiagnosticDescriptor SpanLifecycle = Create(DiagnosticIds.SpanLifecycle, SpanTitle, "{0}{1}", SpanDescription, compilationEnd: false);
    public static readonly DiagnosticDescriptor SpanLifecycleThroughCalls = Create(DiagnosticIds.SpanLifecycle, SpanTitle, "{0}{1}", SpanDescription, compilationEnd: true);

    /// <summary>TLLM2004, a warning: its measured rate is on docs/diagnostics/TLLM2004.md.</summary>
    public static readonly DiagnosticDescriptor SwallowedException =
        Create(DiagnosticIds.SwallowedException, SwallowTitle, SwallowMessage, SwallowDescription, false);
    public static readonly DiagnosticDescriptor SwallowedExceptionThroughCalls =
        Create(DiagnosticIds.SwallowedException, SwallowTitle, SwallowMessage, SwallowDescription, true);

    /// <summary>TLLM2007, off by default: whether a catch is TLLM2004's may need other methods' bodies, so it is reported at the end of the compilation.</summary>
    public static readonly DiagnosticDescriptor HandledWithoutRecordThroughCalls = Create(DiagnosticIds.HandledWithoutRecord, HandledTitle, HandledMessage, HandledDescription, compilationEnd: true, enabledByDefault: false);

    public static readonly DiagnosticDescriptor UnscopedUpstreamCall = Create(DiagnosticIds.UnscopedUpstreamCall, UpstreamTitle, UpstreamMessage, UpstreamDescription, compilationEnd: false);
    public static readonly DiagnosticDescriptor UnscopedUpstreamCallThroughCalls = Create(DiagnosticIds.UnscopedUpstreamCall, UpstreamTitle, UpstreamMessage, UpstreamDescription, compilationEnd: true);

    public static readonly DiagnosticDescriptor UnthrownFailure =
        Create(DiagnosticIds.UnthrownFailure, UnthrownTitle, UnthrownMessage, UnthrownDescription, false);
    public static readonly DiagnosticDescriptor UnthrownFailureThroughCalls =
        Create(DiagnosticIds.UnthrownFailure, UnthrownTitle, UnthrownMessage, UnthrownDescription, true);

    /// <summary>TLLM2005; its message (<see cref="SlotCollisionAnalyzer"/>) names a typed body's own property, or says what an untyped body's slot takes.</summary>
    public static readonly DiagnosticDescriptor SlotCollision = Create(
        DiagnosticIds.SlotCollision,
        "Request type has its own metadata property on a 'metadata' slot route",
        "{0}",
        "When the provider's own body has a 'metadata' field, gateway metadata in the same slot collides with it; such routes use 'litellm_metadata', or share the slot (MetadataSlotMode.Shared).",
        compilationEnd: false);

    /// <summary>
    /// TLLM2009 (<see cref="StreamRefusalAnalyzer"/>): a pipeline default that still changes an app's answer.
    /// </summary>
    public static readonly DiagnosticDescriptor StreamRefused = Create(
        DiagnosticIds.StreamRefused,
        "Traced route refuses \"stream\": true, which its app answered",
        "Route '{0}' answers a body that says \"stream\": true with 400, which the app did not before adoption: "
            + "its handler answers JSON only, and {1}; "
            + "set IgnoreStream = true to answer such a body with the handler's JSON",
        "A traced route whose handler answers JSON only refuses a body asking for a stream when its body is untyped "
            + "or its type reads 'stream': a change of answer clients see, named at the attribute with its opt-out.",
        compilationEnd: false);

    private static DiagnosticDescriptor Create(string id, string title, string message, string description, bool compilationEnd, bool enabledByDefault = true, DiagnosticSeverity severity = DiagnosticSeverity.Warning) => new(
        id,
        title,
        message,
        Category,
        severity,
        isEnabledByDefault: enabledByDefault,
        description: description,
        helpLinkUri: $"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md",
        customTags: compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : System.Array.Empty<string>());
}
