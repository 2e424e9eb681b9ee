using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

/// <summary>Every diagnostic the generator reports: only "cannot generate"; what a user should fix in working code is an analyzer's.</summary>
internal static class DiagnosticDescriptors
{
    public const string InvalidSignatureId = "TLLM1001";
    public const string UnsupportedReturnTypeId = "TLLM1002";
    public const string DuplicateRouteId = "TLLM1003";
    public const string InaccessibleHandlerId = "TLLM1004";
    public const string InvalidRouteId = "TLLM1005";
    public const string InvalidSlotId = "TLLM1006";

    private const string Category = "TracedLlm.Generator";

    public static readonly DiagnosticDescriptor InvalidSignature = Create(
        InvalidSignatureId,
        "Invalid traced route handler signature",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        UnsupportedReturnTypeId,
        "Unsupported traced route return type",
        "Cannot generate the traced route for '{0}': return type '{1}' is not supported; return T, Task<T>, ValueTask<T> or IResult");

    public static readonly DiagnosticDescriptor DuplicateRoute = Create(
        DuplicateRouteId,
        "Duplicate traced route method and path",
        "Cannot generate the traced route for '{0}': '{1} {2}' is already handled by '{3}'");

    public static readonly DiagnosticDescriptor InaccessibleHandler = Create(
        InaccessibleHandlerId,
        "Traced route handler not accessible",
        "Cannot generate the traced route for '{0}': the handler and its containing types must be public or internal, but {1} is {2}");

    public static readonly DiagnosticDescriptor InvalidRoute = Create(
        InvalidRouteId,
        "Invalid traced route method or template",
        "Cannot generate the traced route for '{0}': {1}");

    public static readonly DiagnosticDescriptor InvalidSlot = Create(
        InvalidSlotId,
        "Invalid metadata slot name",
        "Cannot generate the traced route for '{0}': metadata slot '{1}' is not a valid JSON property name for a slot; use letters, digits and '_' (e.g. \"metadata\" or \"litellm_metadata\")");

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        InvalidSignatureId => InvalidSignature,
        UnsupportedReturnTypeId => UnsupportedReturnType,
        DuplicateRouteId => DuplicateRoute,
        InaccessibleHandlerId => InaccessibleHandler,
        InvalidRouteId => InvalidRoute,
        _ => InvalidSlot,
    };

    private static DiagnosticDescriptor Create(string id, string title, string message) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: $"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md");
}
