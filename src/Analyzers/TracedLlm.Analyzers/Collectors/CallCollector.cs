using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// The edges of the call graph: calls (direct, extension, through interfaces and overrides),
/// property accessors, constructors, method groups, and delegates held in fields, each marked
/// with whether it is made inside an attempt scope, and whether a referenced library makes it later rather than the
/// request (a method group or lambda subscribed to a library's event, a timer's callback).
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
                AddDelegateHolder(property.Property, property.Property.Type, property, scope);
                break;
            case IFieldReferenceOperation field:
                AddDelegateHolder(field.Field, field.Field.Type, field, scope);
                break;
            case IObjectCreationOperation creation:
                Add(creation.Constructor, creation, scope);
                break;
            case IMethodReferenceOperation reference:
                Add(reference.Method, reference, scope);
                break;
        }
    }

    /// <summary>
    /// A field or property holding delegates (one, or a collection of them): reading it may end in
    /// invoking what its initializer put there, later and through any local, so it is an edge.
    /// </summary>
    private static void AddDelegateHolder(ISymbol member, ITypeSymbol type, IOperation site, MethodScope scope)
    {
        if (member.Locations.Any(l => l.IsInSource) && HoldsDelegates(type, 0))
        {
            Add(member, site, scope);
        }
    }

    private static bool HoldsDelegates(ITypeSymbol type, int depth) =>
        type.TypeKind == TypeKind.Delegate
        || (depth < 2 && type is IArrayTypeSymbol array && HoldsDelegates(array.ElementType, depth + 1))
        || (depth < 2 && type is INamedTypeSymbol { IsGenericType: true } generic && generic.TypeArguments.Any(argument => HoldsDelegates(argument, depth + 1)));

    private static void Add(ISymbol? callee, IOperation site, MethodScope scope)
    {
        if (callee is null)
        {
            return;
        }

        if (callee is IMethodSymbol method)
        {
            // A partial method's facts are its implementing part's: the call binds to the defining part.
            method = (method.ReducedFrom ?? method).OriginalDefinition;
            method = method.PartialImplementationPart ?? method;
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

        scope.Facts.Calls.Add(new CallEdge(callee, scope.InAttemptScope(site), site is IMethodReferenceOperation ? Handling.Anytime : scope.HandlingOf(site), scope.RunsAsLibraryCallback(site)));
    }
}
