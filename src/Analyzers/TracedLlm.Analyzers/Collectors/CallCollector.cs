using Microsoft.CodeAnalysis.CSharp;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>The edges of the call graph, each marked inside an attempt scope or not, made by the request or
/// not.</summary>
/// <remarks>
/// Calls, accessors, constructors and the initializers a creation runs, method groups, delegates held in fields,
/// user-defined operators and conversions, and what <c>using</c>, <c>foreach</c> and deconstruction run.
/// </remarks>
internal sealed class CallCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke } invoke:
                // A delegate's call reaches what the field or property it is read from holds.
                Add(invoke.Instance is { } target && ValueFlow.Unwrap(target)
                    is IMemberReferenceOperation { Member: IFieldSymbol or IPropertySymbol } held ? held.Member : null,
                    invoke, scope);
                break;
            case IInvocationOperation invocation:
                Add(invocation.TargetMethod, invocation, scope);
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
                if (creation.Type is INamedTypeSymbol created)
                {
                    foreach (var initialized in scope.Compilation.InstanceInitializers(created))
                    {
                        Add(initialized, creation, scope);
                    }
                }

                break;
            case IMethodReferenceOperation reference:
                Add(reference.Method, reference, scope);
                break;
            case IUsingOperation @using:
                AddDisposals(@using.Resources, @using.IsAsynchronous, @using, scope);
                break;
            case IUsingDeclarationOperation declaration:
                AddDisposals(declaration.DeclarationGroup, declaration.IsAsynchronous, declaration, scope);
                break;
            case IBinaryOperation
            or IUnaryOperation or IConversionOperation or ICompoundAssignmentOperation
            or IIncrementOrDecrementOperation:
                Add(UserDefinedOperator(operation), operation, scope);
                break;
            case IForEachLoopOperation { Syntax: CommonForEachStatementSyntax loop, SemanticModel: { } model }:
                var each = model.GetForEachStatementInfo(loop);
                Add(each.GetEnumeratorMethod, operation, scope);
                Add(each.MoveNextMethod, operation, scope);
                Add(each.CurrentProperty?.GetMethod, operation, scope);
                // An enumerator known only by its interface names no Dispose of its own (as for a using).
                Add(scope.Compilation.DisposalOf(each.GetEnumeratorMethod?.ReturnType, each.IsAsynchronous), operation,
                    scope);
                if (loop is ForEachVariableStatementSyntax deconstructed)
                {
                    AddDeconstructions(model.GetDeconstructionInfo(deconstructed), operation, scope);
                }

                break;
            case IDeconstructionAssignmentOperation
            {
                Syntax: AssignmentExpressionSyntax deconstruction, SemanticModel: { } model
            }:
                AddDeconstructions(model.GetDeconstructionInfo(deconstruction), operation, scope);
                break;
        }
    }

    /// <summary>The <c>Deconstruct</c> methods a deconstruction runs, nested ones included.</summary>
    private static void AddDeconstructions(DeconstructionInfo info, IOperation site, MethodScope scope)
    {
        Add(info.Method, site, scope);
        foreach (var nested in info.Nested)
        {
            AddDeconstructions(nested, site, scope);
        }
    }

    /// <summary>The user-defined operator or conversion an operation applies (null for the language's own).</summary>
    private static IMethodSymbol? UserDefinedOperator(IOperation operation) => operation switch
    {
        IBinaryOperation binary => binary.OperatorMethod,
        IUnaryOperation unary => unary.OperatorMethod,
        IConversionOperation conversion => conversion.OperatorMethod,
        ICompoundAssignmentOperation compound => compound.OperatorMethod,
        IIncrementOrDecrementOperation step => step.OperatorMethod,
        _ => null,
    };

    /// <summary>The <c>Dispose</c> a <c>using</c> runs when it ends, for each resource whose type names it.</summary>
    private static void AddDisposals(IOperation resources, bool asynchronous, IOperation site, MethodScope scope)
    {
        var types = resources is IVariableDeclarationGroupOperation group
            ? group.Declarations.SelectMany(d => d.Declarators).Select(declarator => declarator.Symbol.Type)
            : Enumerable.Repeat(resources.Type, 1);
        foreach (var type in types)
        {
            Add(scope.Compilation.DisposalOf(type, asynchronous), site, scope);
        }
    }

    /// <summary>A field or property holding delegates: reading it may end in invoking what its initializer put
    /// there.</summary>
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
        || (depth < 2 && type is INamedTypeSymbol { IsGenericType: true } generic
            && generic.TypeArguments.Any(argument => HoldsDelegates(argument, depth + 1)));

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
                // A library's extension of M.E.AI's clients runs their model calls (GenerateVectorAsync runs
                // GenerateAsync).
                foreach (var core in method is { IsExtensionMethod: true, Parameters.Length: > 0 }
                    && ServiceClients.Service(method.Parameters[0].Type, scope.Types) is not null
                        ? method.Parameters[0].Type.OriginalDefinition.GetMembers().OfType<IMethodSymbol>()
                            .Where(m => scope.Types.UpstreamCall(m) is not null) : Enumerable.Empty<IMethodSymbol>())
                {
                    Add(core, site, scope);
                }

                return;
            }

            callee = method;
        }
        else
        {
            callee = callee.OriginalDefinition;
        }

        scope.Facts.Calls.Add(new CallEdge(callee, scope.InAttemptScope(site),
                site is IMethodReferenceOperation ? Handling.Anytime : scope.HandlingOf(site),
                scope.RunsAsLibraryCallback(site), site.Syntax));
    }
}
