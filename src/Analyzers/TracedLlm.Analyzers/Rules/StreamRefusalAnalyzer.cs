using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>TLLM2009: a traced route whose pipeline answers <c>"stream": true</c> with 400, which its app did
/// not.</summary>
/// <remarks>
/// Its handler answers JSON only and its body is untyped or binds <c>stream</c>: the build names the refusal and the
/// one-line opt-out, <c>IgnoreStream = true</c>. A typed body with no <c>stream</c> member is answered with JSON.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StreamRefusalAnalyzer : RouteAttributeAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.StreamRefused);

    private protected override void Analyze(IMethodSymbol method, AttributeData attribute, RouteAttributeData route,
        Location location, WellKnownTypes types, Action<Diagnostic> report)
    {
        if (route.IgnoreStream || !AnswersJsonOnly(method.ReturnType, types) || HasStreamPartner(method, route, types))
        {
            return;
        }

        var (body, untyped) = (BodyMembers.TypedBody(method), HandlerBinding.FindBody(method)?.Type);
        var reads = body is not null
            ? BodyMembers.Find(body, BodyMembers.StreamField, extensionData: true) is { } member
                ? $"its request type '{body.ToDisplayString()}' reads it ('{member.Name}')" : null
            : untyped is null ? "its handler takes no typed body, so the flag goes upstream as the client sent it"
            : $"its body is untyped ('{untyped.ToDisplayString()}'), so the flag goes upstream as the client sent it";
        if (reads is null)
        {
            return;
        }

        report(Diagnostic.Create(DiagnosticDescriptors.StreamRefused, location, Name(route), reads));
    }

    /// <summary>True when the handler's result is written as JSON only: not an <c>LlmResult</c>, a stream or
    /// nothing.</summary>
    private static bool AnswersJsonOnly(ITypeSymbol returnType, WellKnownTypes types) =>
        types.Awaited(returnType) is var inner && inner.SpecialType != SpecialType.System_Void
        && inner.ToDisplayString() is not ("System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask")
        && inner.OriginalDefinition.ToDisplayString() is var definition
        && !definition.StartsWith("TracedLlm.LlmResult<", StringComparison.Ordinal)
        && definition != "System.Collections.Generic.IAsyncEnumerable<T>"
        && !IsOrImplements(inner, "Microsoft.AspNetCore.Http.IResult")
        && !IsOrImplements(inner, "Microsoft.AspNetCore.Mvc.IActionResult");

    private static bool IsOrImplements(ITypeSymbol type, string name) =>
        type.ToDisplayString() == name || type.AllInterfaces.Any(i => i.ToDisplayString() == name);

    /// <summary>True when a streaming handler (<c>IAsyncEnumerable</c>) of the same method and path serves the
    /// streams.</summary>
    private static bool HasStreamPartner(IMethodSymbol method, RouteAttributeData route, WellKnownTypes types) =>
        route.Pattern is not null && method.ContainingType.GetMembers().OfType<IMethodSymbol>().Any(other =>
            !SymbolEqualityComparer.Default.Equals(other, method)
            && other.ReturnType.OriginalDefinition.ToDisplayString() == "System.Collections.Generic.IAsyncEnumerable<T>"
            && RouteAttribute(other, types) is { } partner
            && RouteAttributeData.Read(partner, other) is var data
            && data.Pattern == route.Pattern
            && string.Equals(data.HttpMethod, route.HttpMethod, StringComparison.OrdinalIgnoreCase));
}
