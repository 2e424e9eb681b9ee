using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

// The few method bodies the rules read beyond the block being analysed: failure filters and
// wrappers (Body), small helpers (BodyOf), and the methods that return a span they start.
internal sealed partial class CompilationFacts
{
    /// <summary>
    /// The operations of a source method's or local function's body, bound from its own tree.
    /// Used for the few methods a rule must read beyond the block being analysed (failure filters,
    /// wrappers of the failure path), once each per compilation.
    /// </summary>
    public static IOperation? Body(Compilation compilation, IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            var body = syntax switch
            {
                BaseMethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };
            if (body is not null)
            {
#pragma warning disable RS1030 // A method's body, bound once per compilation (see the summary).
                var operation = compilation.GetSemanticModel(reference.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
                return operation switch
                {
                    IMethodBodyOperation methodBody => (IOperation?)methodBody.BlockBody ?? methodBody.ExpressionBody,
                    ILocalFunctionOperation localFunction => localFunction.Body,
                    _ => operation,
                };
            }
        }

        return null;
    }

    /// <summary>The operations of a small source method's body (at most a few statements), cached; null for a longer one.</summary>
    public IOperation? BodyOf(IMethodSymbol method) =>
        _smallBodies.GetOrAdd(method, m => m.DeclaringSyntaxReferences.Length == 1 && m.DeclaringSyntaxReferences[0].Span.Length <= 400 ? Body(_compilation, m) : null);

    /// <summary>
    /// A source method that starts an Activity and returns it to its caller (directly, through a
    /// local, or from another such method, a few calls deep): its caller owns the span and must end it.
    /// </summary>
    public bool IsSpanFactory(IMethodSymbol method) => IsSpanFactory(method.OriginalDefinition, 0);

    private bool IsSpanFactory(IMethodSymbol method, int depth)
    {
        if (!WellKnownTypes.Same(method.ReturnType, Types.Activity) || !method.Locations.Any(l => l.IsInSource) || method.IsAbstract)
        {
            return false;
        }

        if (depth == 0 && _spanFactories.TryGetValue(method, out var known))
        {
            return known;
        }

        var result = depth < 4 && Body(_compilation, method) is { } body && ValueFlow.OwnReturns(body).Any(r => r.ReturnedValue is { } value && StartsHere(value, body, depth));
        return depth == 0 ? _spanFactories.GetOrAdd(method, result) : result;
    }

    private bool StartsHere(IOperation value, IOperation body, int depth)
    {
        value = ValueFlow.Unwrap(value);
        if (value is ILocalReferenceOperation local)
        {
            // The local's initializer or assignments in the body.
            return body.DescendantsAndSelf().Any(o => o switch
            {
                IVariableDeclaratorOperation declarator when WellKnownTypes.Same(declarator.Symbol, local.Local) => declarator.GetVariableInitializer() is { } initializer && StartsHere(initializer.Value, body, depth),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when WellKnownTypes.Same(target.Local, local.Local) => StartsHere(assignment.Value, body, depth),
                _ => false,
            });
        }

        return value is IInvocationOperation call
            && (Collectors.SpanCollector.IsStart(call.TargetMethod, Types) || IsSpanFactory(call.TargetMethod.OriginalDefinition, depth + 1));
    }
}
