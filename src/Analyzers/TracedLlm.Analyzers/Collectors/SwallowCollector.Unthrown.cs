namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a catch of an exception type that no code can throw.
internal sealed partial class SwallowCollector
{
    /// <summary>The types a catch takes when only this compilation's code can create each.</summary>
    private static ImmutableArray<ITypeSymbol> OnlyCreatedHere(ICatchClauseOperation @catch, MethodScope scope) =>
        CaughtTypes(@catch) is { Count: > 0 } caught && caught.All(scope.Compilation.OnlyCreatedHere)
            ? caught.Select(type => (ITypeSymbol)type.OriginalDefinition).ToImmutableArray()
            : default;
    /// <summary>Records the exception types of source this operation creates, or names where a library could create
    /// one.</summary>
    /// <remarks>One created after a statement that records the failure leaves nothing for a catch to record.</remarks>
    private static void RecordCreation(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IObjectCreationOperation { Type: { } created }
                when !(created is INamedTypeSymbol named && scope.Compilation.IsSourceException(named)
                    && RecordedBefore(operation, scope.Compilation.Handoff)):
                Record(created, scope);
                break;
            case IDynamicObjectCreationOperation { Type: { } created }:
                // new T(...) with a dynamic argument: bound at run time, the type is known here all the same.
                Record(created, scope);
                break;
            case IDynamicMemberReferenceOperation dynamic:
                // A generic method called with a dynamic argument names its type arguments here.
                foreach (var argument in dynamic.TypeArguments)
                {
                    Record(argument, scope);
                }

                RecordArguments(dynamic.ContainingType, scope);
                break;
            case ITypeOfOperation typeOf:
                Record(typeOf.TypeOperand, scope);
                break;
            case IInvocationOperation invocation:
                RecordArguments(invocation.TargetMethod, scope);
                break;
            case IMemberReferenceOperation reference:
                RecordArguments(reference.Member, scope);
                break;
        }
    }

    /// <summary>A statement before <paramref name="operation"/>, in its block or one around it, hands the failure
    /// on.</summary>
    private static bool RecordedBefore(IOperation operation, FailureHandoff handoff) => ValueFlow.Steps(operation)
        .Any(step => step.Parent is IBlockOperation block
            && block.Operations.TakeWhile(o => o != step.Child).Any(handoff.Always));

    /// <summary>Records the type arguments of a member (a method's own) and of the types around it.</summary>
    private static void RecordArguments(ISymbol? symbol, MethodScope scope)
    {
        for (var current = symbol; current is not null; current = current.ContainingType)
        {
            var arguments = current is IMethodSymbol method ? method.TypeArguments
                : (current as INamedTypeSymbol)?.TypeArguments ?? ImmutableArray<ITypeSymbol>.Empty;
            foreach (var argument in arguments)
            {
                Record(argument, scope);
            }
        }
    }

    private static void Record(ITypeSymbol type, MethodScope scope)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                Record(array.ElementType, scope);
                return;
            case INamedTypeSymbol named:
                if (scope.Compilation.IsSourceException(named))
                {
                    scope.Facts.Created.Add(named.OriginalDefinition);
                }

                if (named.IsGenericType)
                {
                    RecordArguments(named, scope);
                }

                return;
        }
    }

    /// <summary>Every exception type of source that code creates, with its bases: a catch of one can be
    /// reached.</summary>
    internal static HashSet<ITypeSymbol> CreatedWithBases(IEnumerable<MethodFacts> methods) => new(
        methods.SelectMany(facts => facts.Created).SelectMany(AndBases).Select(type => type.OriginalDefinition),
        SymbolEqualityComparer.Default);
}
