namespace TracedLlm;

/// <summary>
/// Every TracedLlm diagnostic ID and the diagnostic properties the code fixes read: one list,
/// compiled into the generator, the analyzers and the code fixes as a linked source file.
/// </summary>
internal static class DiagnosticIds
{
    // Generator: "cannot generate".
    public const string InvalidSignature = "TLLM1001";
    public const string UnsupportedReturnType = "TLLM1002";
    public const string DuplicateRoute = "TLLM1003";
    public const string InaccessibleHandler = "TLLM1004";
    public const string InvalidRoute = "TLLM1005";
    public const string InvalidSlot = "TLLM1006";
    public const string UnboundParameter = "TLLM1007";
    public const string UnbindableType = "TLLM1008";
    public const string UnknownRouteValue = "TLLM1009";
    public const string ConflictingBinding = "TLLM1010";

    // Generator: the route's telemetry differs from the tracked contract file (a warning, fixable).
    public const string TelemetryContractDrift = "TLLM1011";

    // Analyzers: code that generates but breaks traces.
    public const string SlotMismatch = "TLLM2001";
    public const string FailurePathEscape = "TLLM2002";
    public const string SpanLifecycle = "TLLM2003";
    public const string SwallowedException = "TLLM2004";
    public const string SlotCollision = "TLLM2005";
    public const string UnscopedUpstreamCall = "TLLM2006";
    public const string HandledWithoutRecord = "TLLM2007";
    public const string UnthrownFailure = "TLLM2008";
    public const string StreamRefused = "TLLM2009";

    /// <summary>
    /// TLLM2001: the expression that names the route's own slot, when every route reaching the key has one slot.
    /// </summary>
    public const string SlotConstantProperty = "SlotConstant";

    /// <summary>
    /// TLLM2008: the branch of the failure ("true" or "false"), where the throw goes in it, and what it throws.
    /// </summary>
    public const string FailureBranchProperty = "FailureBranch";
    public const string ThrowFromProperty = "ThrowFrom";
    public const string ThrownProperty = "Thrown";

    /// <summary>TLLM2002: the accepted exception type to derive the thrown type from.</summary>
    public const string AcceptedTypeProperty = "AcceptedType";

    /// <summary>
    /// TLLM2003: which problem this is, <see cref="SpanLifecycleKind"/> or <see cref="SpanOrphanKind"/>.
    /// </summary>
    public const string SpanProblemProperty = "SpanProblem";

    public const string SpanLifecycleKind = "lifecycle";
    public const string SpanOrphanKind = "orphan";

    /// <summary>
    /// TLLM2004: the name of an <c>LlmCall</c> in scope of the catch, for the "record the handled failure" fix.
    /// </summary>
    public const string LlmCallInScopeProperty = "LlmCall";

    /// <summary>TLLM2001–TLLM2007: where the finding was decided, the confidence tier it is measured in.</summary>
    /// <remarks>
    /// <see cref="TierHandler"/> (the route's own handler, authenticator or guardrail), <see cref="TierCalls"/>
    /// (reached through calls) or <see cref="TierDispatch"/> (through an interface or virtual call with several
    /// implementations).
    /// </remarks>
    public const string TierProperty = "Tier";

    /// <summary>
    /// TLLM2001–TLLM2007: how many of the additional locations, the last ones, are the calls of the finding's path.
    /// </summary>
    public const string PathCallsProperty = "PathCalls";

    public const string TierHandler = "handler";
    public const string TierCalls = "calls";
    public const string TierDispatch = "dispatch";

    /// <summary>TLLM1011: the path of the tracked contract file the fix rewrites.</summary>
    public const string ContractPathProperty = "ContractPath";

    /// <summary>TLLM1011: the file's header comment, written when the file has none.</summary>
    public const string ContractHeaderProperty = "ContractHeader";

    /// <summary>TLLM1011: the route (<c>METHOD path</c>) whose part of the file the fix rewrites.</summary>
    public const string ContractRouteProperty = "ContractRoute";

    /// <summary>TLLM1011: the route's part of the file as the build emits it, from its <c>route</c> line on.</summary>
    public const string ContractBlockProperty = "ContractBlock";

    /// <summary>
    /// TLLM1011: routes in the file no longer declared, one a line (on the first route's diagnostic only).
    /// </summary>
    public const string ContractStaleRoutesProperty = "ContractStaleRoutes";
}
