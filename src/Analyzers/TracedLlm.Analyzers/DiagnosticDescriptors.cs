namespace TracedLlm.Analyzers;

/// <summary>Every analyzer diagnostic, one help page each under docs/diagnostics.</summary>
/// <remarks>A rule decided in a route's own code is reported while typing with its live descriptor; the same rule
/// through calls at the end of the compilation, with the one tagged <c>CompilationEnd</c>.</remarks>
internal static class DiagnosticDescriptors
{
    private const string Category = "TracedLlm.Tracing";

    public static readonly DiagnosticDescriptor SlotMismatch = Live(
        DiagnosticIds.SlotMismatch, "Metadata-slot mismatch",
        "Metadata slot mismatch: key '{0}' names a metadata slot, but this code is reached from {1}{2}",
        "A key naming a metadata slot is read or written in code reached from a route whose slot is another one; on "
        + "LiteLLM's /v1/messages this made the LLM span an orphan in a new trace.");

    public static readonly DiagnosticDescriptor SlotMismatchThroughCalls = AtEnd(SlotMismatch);

    public static readonly DiagnosticDescriptor FailurePathEscape = Live(
        DiagnosticIds.FailurePathEscape, "Exception type skips the failure-logging path",
        "Exception type '{0}' thrown in traced code is accepted by no failure filter ({1} accepts only {2}), so its "
        + "failures are never logged{3}",
        "A hand-written failure filter decides from the exception's type whether a failure is logged; a type it does "
        + "not accept skips failure logging, the way LiteLLM's guardrail blocks did.");

    public static readonly DiagnosticDescriptor FailurePathEscapeThroughCalls = AtEnd(FailurePathEscape);

    public static readonly DiagnosticDescriptor SpanLifecycle = Live(
        DiagnosticIds.SpanLifecycle, "Span not ended on every path, or started as an orphan",
        "{0}{1}",
        "An Activity started in traced code must be ended on every path (using, or Stop/Dispose in finally) and must "
        + "have the request's span as its parent.");

    public static readonly DiagnosticDescriptor SpanLifecycleThroughCalls = AtEnd(SpanLifecycle);

    /// <summary>TLLM2004, a suggestion as measured (above 10 %); its shapes a team must hear are warnings.</summary>
    public static readonly DiagnosticDescriptor SwallowedException = Live(
        DiagnosticIds.SwallowedException, "Exception swallowed in traced code",
        "This catch swallows '{0}' in traced code: rethrow it, throw, or hand it to the failure path "
        + "(LlmCall.RecordHandledFailure or a failure logger){1}",
        "A catch in traced code that answers the request with an error by hand, or gives up on an upstream call, and "
        + "neither throws nor reports the exception: the client or the attempt failed, and the spans and the failure "
        + "loggers never see it.", severity: DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor SwallowedExceptionThroughCalls = AtEnd(SwallowedException);

    public static readonly DiagnosticDescriptor UnscopedUpstreamCall = Live(
        DiagnosticIds.UnscopedUpstreamCall, "Upstream call outside an attempt scope",
        "{0} is called upstream outside an attempt scope, so its retries and fallbacks go unseen; make the call "
        + "inside LlmCall.ExecuteAsync / StreamAsync, or take an LlmAttempt{1}",
        "Every upstream call of traced code belongs to an attempt: one raw_gen_ai_request span per attempt, retry "
        + "and fallback.");

    public static readonly DiagnosticDescriptor UnscopedUpstreamCallThroughCalls = AtEnd(UnscopedUpstreamCall);

    public static readonly DiagnosticDescriptor UnthrownFailure = Live(
        DiagnosticIds.UnthrownFailure, "Upstream failure answered without the failure path",
        "{0}, and {1}: no exception carries the failure, so no span, failure logger or error format sees it; throw "
        + "(an UpstreamException) or record it (LlmCall.RecordHandledFailure){2}",
        "An upstream failure that never throws (YARP's ForwarderError, a model call's failing status, an OpenAI run "
        + "or response that ended failed, a stream cut short) answered by hand or as a success leaves a trace that "
        + "says the request succeeded.");

    public static readonly DiagnosticDescriptor UnthrownFailureThroughCalls = AtEnd(UnthrownFailure);

    /// <summary>TLLM2007, off by default, reported at the end of the compilation.</summary>
    public static readonly DiagnosticDescriptor HandledWithoutRecordThroughCalls = Live(
        DiagnosticIds.HandledWithoutRecord, "Exception handled without a record in traced code",
        "This catch goes on without '{0}' in traced code: the failure reaches no span or failure logger; record it "
        + "(LlmCall.RecordHandledFailure or a failure logger), rethrow, or declare it handled by design{1}",
        "Off by default. A catch in traced code that neither throws nor reports the exception and goes on without it "
        + "(logs and continues, returns a fallback value or a success answer, skips an item, cleans up) leaves no "
        + "trace of the failure in the spans. Whether that is a designed skip or fallback is intent code cannot show: "
        + "on unseen code most such catches were judged designed. TLLM2004 reports the catches that answer the request "
        + "with an error or give up on an upstream call.",
        enabledByDefault: false, compilationEnd: true);

    /// <summary>TLLM2005; its message names a typed body's own property, or what an untyped body's slot
    /// takes.</summary>
    public static readonly DiagnosticDescriptor SlotCollision = Live(
        DiagnosticIds.SlotCollision, "Request type has its own metadata property on a 'metadata' slot route", "{0}",
        "When the provider's own body has a 'metadata' field, gateway metadata in the same slot collides with it; "
        + "such routes use 'litellm_metadata', or share the slot (MetadataSlotMode.Shared).");

    /// <summary>TLLM2009 (<see cref="StreamRefusalAnalyzer"/>): a pipeline default that still changes an app's
    /// answer.</summary>
    public static readonly DiagnosticDescriptor StreamRefused = Live(
        DiagnosticIds.StreamRefused,
        "Traced route refuses \"stream\": true, which its app answered",
        "Route '{0}' answers a body that says \"stream\": true with 400, which the app did not before adoption: "
            + "its handler answers JSON only, and {1}; "
            + "set IgnoreStream = true to answer such a body with the handler's JSON",
        "A traced route whose handler answers JSON only refuses a body asking for a stream when its body is untyped "
            + "or its type reads 'stream': a change of answer clients see, named at the attribute with its opt-out.");

    private static DiagnosticDescriptor Live(string id, string title, string message, string description,
        bool enabledByDefault = true, bool compilationEnd = false,
        DiagnosticSeverity severity = DiagnosticSeverity.Warning) =>
        new(id, title, message, Category, severity, enabledByDefault, description,
            $"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md",
            compilationEnd ? new[] { WellKnownDiagnosticTags.CompilationEnd } : Array.Empty<string>());

    // The same rule reported at the end of the compilation, where it needs the call graph.
    private static DiagnosticDescriptor AtEnd(DiagnosticDescriptor live) =>
        new(live.Id, live.Title, live.MessageFormat, live.Category, live.DefaultSeverity, live.IsEnabledByDefault,
            live.Description, live.HelpLinkUri, WellKnownDiagnosticTags.CompilationEnd);
}
