using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>
/// Every diagnostic the generator reports: "cannot generate" errors, and TLLM1011, the one warning.
/// </summary>
/// <remarks>
/// TLLM1011 is the generator's because only the generator holds the emitted telemetry contract (see
/// docs/diagnostics/TLLM1011.md); what a user should fix in working code is an analyzer's.
/// </remarks>
internal static class DiagnosticDescriptors
{
    private const string Category = "TracedLlm.Generator";

    private const string HelpLinks = "https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor InvalidSignature = Create(
        DiagnosticIds.InvalidSignature,
        "Invalid traced route handler signature",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        DiagnosticIds.UnsupportedReturnType,
        "Unsupported traced route return type",
        "Cannot generate the traced route for '{0}': return type '{1}' is not supported; return T, Task<T>, "
        + "ValueTask<T>, IResult, LlmResult<TResponse, TChunk> (both stream modes) or IAsyncEnumerable<T>");

    public static readonly DiagnosticDescriptor DuplicateRoute = Create(
        DiagnosticIds.DuplicateRoute,
        "Duplicate traced route method and path",
        "Cannot generate the traced route for '{0}': '{1} {2}' is also handled by {3}");

    public static readonly DiagnosticDescriptor InaccessibleHandler = Create(
        DiagnosticIds.InaccessibleHandler,
        "Traced route handler not accessible",
        "Cannot generate the traced route for '{0}': the handler and its containing types must be public or "
        + "internal, but {1} is {2}");

    public static readonly DiagnosticDescriptor InvalidRoute = Create(
        DiagnosticIds.InvalidRoute,
        "Invalid traced route method or template",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor InvalidSlot = Create(
        DiagnosticIds.InvalidSlot,
        "Invalid metadata slot name",
        "Cannot generate the traced route for '{0}': metadata slot '{1}' is not a valid JSON property name for a "
        + "slot; use letters, digits and '_' (e.g. \"metadata\" or \"litellm_metadata\")");

    public static readonly DiagnosticDescriptor UnboundParameter = Create(
        DiagnosticIds.UnboundParameter,
        "Handler parameter binds to nothing",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor UnbindableType = Create(
        DiagnosticIds.UnbindableType,
        "Handler parameter's type cannot be bound from its source",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor UnknownRouteValue = Create(
        DiagnosticIds.UnknownRouteValue,
        "[FromRoute] names no route value of the template",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor ConflictingBinding = Create(
        DiagnosticIds.ConflictingBinding,
        "Conflicting or unsupported parameter binding attributes",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor TelemetryContractDrift = new(
        DiagnosticIds.TelemetryContractDrift,
        "Traced route's telemetry differs from the tracked contract",
        "The telemetry of route '{0}' differs from {1}: {2}; review the change, then update the file (code fix)",
        Category,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: $"{HelpLinks}{DiagnosticIds.TelemetryContractDrift}.md");

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        DiagnosticIds.UnboundParameter => UnboundParameter,
        DiagnosticIds.UnbindableType => UnbindableType,
        DiagnosticIds.UnknownRouteValue => UnknownRouteValue,
        DiagnosticIds.ConflictingBinding => ConflictingBinding,
        DiagnosticIds.InvalidSignature => InvalidSignature,
        DiagnosticIds.UnsupportedReturnType => UnsupportedReturnType,
        DiagnosticIds.DuplicateRoute => DuplicateRoute,
        DiagnosticIds.InaccessibleHandler => InaccessibleHandler,
        DiagnosticIds.InvalidRoute => InvalidRoute,
        _ => InvalidSlot,
    };

    private static DiagnosticDescriptor Create(string id, string title, string message) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: $"{HelpLinks}{id}.md");
}
