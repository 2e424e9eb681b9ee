namespace TracedLlm.Analyzers.Rules;

/// <summary>TLLM2002: a type thrown in traced code that every failure filter certainly rejects.</summary>
internal static class FailurePathRule
{
    public static void Report(ThrowSite thrown, FailureFilters filters, DiagnosticDescriptor descriptor,
        Action<Diagnostic> report, FindingPath? path = null)
    {
        if (filters.Rejecting(thrown) is not { } filter)
        {
            return;
        }

        var position = filter.Location.GetLineSpan();
        var (line, column) = (position.StartLinePosition.Line + 1, position.StartLinePosition.Character + 1);
        var where = $"the failure filter at {System.IO.Path.GetFileName(position.Path)}({line},{column})";
        var accepted = filter.Accepts.AcceptedTypes().FirstOrDefault(t =>
            t is INamedTypeSymbol { TypeKind: TypeKind.Class, IsSealed: false, SpecialType: SpecialType.None });
        var properties = accepted is null ? null : ImmutableDictionary<string, string?>.Empty
            .Add(DiagnosticIds.AcceptedTypeProperty, accepted.ToDisplayString());

        report(Findings.Create(descriptor, thrown.Location, path, new[] { filter.Location }, properties,
                thrown.Type.ToDisplayString(), where, filter.Accepts.Describe()));
    }

    /// <summary>Whether the call at <paramref name="site"/> is made in a try whose unfiltered catch takes
    /// <paramref name="type"/> and does not throw it on.</summary>
    /// <remarks>A call in a lambda or local function runs where that is called, and is not read.</remarks>
    public static bool CaughtAt(ISymbol caller, SyntaxNode? site, ITypeSymbol type, CompilationFacts facts)
    {
        var call = site is InvocationExpressionSyntax && caller is IMethodSymbol method && facts.BodyOf(method) is
            { } body ? body.DescendantsAndSelf().FirstOrDefault(o => o is IInvocationOperation
                && o.Syntax.SyntaxTree == site.SyntaxTree && o.Syntax.Span == site.Span) : null;
        var around = call is null ? new List<IOperation>() : ValueFlow.AncestorsInFunction(call).ToList();
        return around.OfType<ITryOperation>().Any(@try => around.Contains(@try.Body)
            && @try.Catches.Any(c => c.Filter is null && DerivesFrom(type, c.ExceptionType) && !ThrowsOn(c)));
    }

    private static bool ThrowsOn(ICatchClauseOperation @catch) => @catch.Handler.DescendantsAndSelf()
            .Any(o => o switch
                {
                    IThrowOperation { Exception: null } => true,
                    IThrowOperation { Exception: { } thrown } => ValueFlow.Unwrap(thrown)
                        is ILocalReferenceOperation local
                        && @catch.Locals.Contains(local.Local, SymbolEqualityComparer.Default),
                    IInvocationOperation invocation => invocation.TargetMethod.ContainingType?.Name
                        == "ExceptionDispatchInfo",
                    _ => false,
                });
}
