namespace TracedLlm.Analyzers.Collectors;

// A value read, not computed: what a probe's handler may keep.
internal sealed partial class SwallowCollector
{
    private static bool IsLogStatement(IOperation statement, MethodScope scope) =>
        statement is IExpressionStatementOperation { Operation: IInvocationOperation call }
        && scope.Compilation.IsLogCall(call);

    /// <summary>A value read, not computed: no call, creation, await, lambda or user-defined operator runs.</summary>
    private static bool ComputedWithoutCalls(IOperation value, WellKnownTypes types) => value.DescendantsAndSelf()
            .All(o => !Deferred(o) && o switch
                {
                    IPropertyReferenceOperation { Property: var property } => types.IsInMemory(property)
                        || (property.IsStatic && property.Parameters.IsEmpty
                            && !property.Locations.Any(l => l.IsInSource))
                        || CompilationFacts.IsAutoProperty(property),
                    IDelegateCreationOperation creation => creation.Target
                        is IMethodReferenceOperation { Method: var formatter } && ComputesWithoutCalls(formatter),
                    IBinaryOperation { OperatorMethod: not null } or IUnaryOperation { OperatorMethod: not null }
                    or IConversionOperation { OperatorMethod: not null } => false,
                    IInvocationOperation or IObjectCreationOperation or IAwaitOperation or IAnonymousFunctionOperation
                    or IInterpolatedStringHandlerCreationOperation or IDynamicInvocationOperation
                    or IDynamicMemberReferenceOperation or IDynamicObjectCreationOperation
                    or IDynamicIndexerAccessOperation or IEventReferenceOperation
                    or ITypeParameterObjectCreationOperation or IWithOperation => false,
                    _ => true,
                });

    /// <summary>A sequence the logger would enumerate while formatting, running the program's code.</summary>
    private static bool Deferred(IOperation operation) => operation
            is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
                or IPropertyReferenceOperation
        && operation.Type is { TypeKind: TypeKind.Interface, SpecialType: var special } type
        && (special
                is SpecialType.System_Collections_IEnumerable or SpecialType.System_Collections_Generic_IEnumerable_T
            || type.AllInterfaces.Any(i => i.SpecialType is SpecialType.System_Collections_IEnumerable));

    /// <summary>A formatter the logger runs: a library's, or one of source that calls and awaits nothing.</summary>
    private static bool ComputesWithoutCalls(IMethodSymbol formatter) =>
        formatter.OriginalDefinition.DeclaringSyntaxReferences.All(reference => !reference.GetSyntax()
                .DescendantNodes()
                .Any(node => node
                        is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax
                            or Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax
                            or Microsoft.CodeAnalysis.CSharp.Syntax.AwaitExpressionSyntax));
}
