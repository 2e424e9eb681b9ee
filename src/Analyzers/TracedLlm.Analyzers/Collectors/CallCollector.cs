using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// The edges of the call graph: calls (direct, extension, through interfaces and overrides),
/// property accessors, constructors, method groups, and delegates held in fields, each marked
/// with whether it is made inside an attempt scope.
/// </summary>
internal sealed class CallCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                if (invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke)
                {
                    if (invocation.Instance is { } target && ValueFlow.Unwrap(target) is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } member)
                    {
                        Add(member.Member, invocation, scope);
                    }
                }
                else
                {
                    Add(invocation.TargetMethod, invocation, scope);
                }

                break;
            case IPropertyReferenceOperation property:
                Add(property.Property.GetMethod, property, scope);
                Add(property.Property.SetMethod, property, scope);
                break;
            case IObjectCreationOperation creation:
                Add(creation.Constructor, creation, scope);
                break;
            case IMethodReferenceOperation reference:
                Add(reference.Method, reference, scope);
                break;
        }
    }

    private static void Add(ISymbol? callee, IOperation site, MethodScope scope)
    {
        if (callee is null)
        {
            return;
        }

        if (callee is IMethodSymbol method)
        {
            method = (method.ReducedFrom ?? method).OriginalDefinition;
            // Metadata methods have no facts; keep them only when they may dispatch to source.
            if (!method.Locations.Any(l => l.IsInSource) && !(method.IsAbstract || method.IsVirtual))
            {
                return;
            }

            callee = method;
        }
        else
        {
            callee = callee.OriginalDefinition;
        }

        scope.Facts.Calls.Add(new CallEdge(callee, scope.InAttemptScope(site)));
    }
}
