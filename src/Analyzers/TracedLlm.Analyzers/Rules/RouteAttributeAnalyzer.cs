using TracedLlm.Generators;

namespace TracedLlm.Analyzers;

/// <summary>What TLLM2005 and TLLM2009 share: each reads one method's route attribute, never a body.</summary>
public abstract class RouteAttributeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (WellKnownTypes.Create(start.Compilation) is { } types)
            {
                start.RegisterSymbolAction(symbol => Analyze(symbol, types), SymbolKind.Method);
            }
        });
    }

    private void Analyze(SymbolAnalysisContext context, WellKnownTypes types)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (RouteAttribute(method, types) is { ApplicationSyntaxReference: { } syntax } attribute)
        {
            var location = syntax.GetSyntax(context.CancellationToken).GetLocation();
            Analyze(method, attribute, RouteAttributeData.Read(attribute, method), location, types,
                context.ReportDiagnostic);
        }
    }

    /// <summary>Reports what is wrong with one route, at its attribute.</summary>
    private protected abstract void Analyze(IMethodSymbol method, AttributeData attribute, RouteAttributeData route,
        Location location, WellKnownTypes types, Action<Diagnostic> report);

    private protected static AttributeData? RouteAttribute(IMethodSymbol method, WellKnownTypes types) =>
        method.GetAttributes().FirstOrDefault(a => Same(a.AttributeClass, types.RouteAttribute));

    private protected static string Name(RouteAttributeData route) =>
        $"{route.HttpMethod?.ToUpperInvariant()} {route.Pattern}";
}
