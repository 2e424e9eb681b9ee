namespace TracedLlm.Analyzers.Collectors;

// A probe's handler, and the types a catch takes.
internal sealed partial class SwallowCollector
{
    /// <summary>A probe's handler: it only logs, sets locals to values read, returns one, or leaves a loop.</summary>
    private static bool IsProbeHandler(ICatchClauseOperation @catch, MethodScope scope) =>
        @catch.Handler.Operations.All(statement => IsProbeStatement(statement, scope));

    /// <summary>One statement of a probe's handler (<see cref="IsProbeHandler"/>).</summary>
    private static bool IsProbeStatement(IOperation statement, MethodScope scope) => statement switch
        {
            IEmptyOperation => true,
            IBranchOperation { BranchKind: BranchKind.Continue or BranchKind.Break } => true,
            IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak } leave => leave.ReturnedValue
                is null || ComputedWithoutCalls(leave.ReturnedValue, scope.Types),
            IExpressionStatementOperation { Operation: IInvocationOperation call } => scope.Compilation.IsLogCall(call),
            IExpressionStatementOperation
            {
                Operation: ISimpleAssignmentOperation
                {
                    Target: ILocalReferenceOperation or IParameterReferenceOperation { Parameter.RefKind: RefKind.Out }
                } assignment
            } => ComputedWithoutCalls(assignment.Value, scope.Types),
            _ => false,
        };

    /// <summary>The types a catch takes: its own, or those its filter tests for when it tests only types.</summary>
    private static List<ITypeSymbol>? CaughtTypes(ICatchClauseOperation @catch)
    {
        if (@catch.Filter is not { } filter)
        {
            return new List<ITypeSymbol> { @catch.ExceptionType };
        }

        var tested = new List<ITypeSymbol>();
        return
            @catch.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation { Symbol: { } exception }
            && TypeTests(filter, exception, tested) ? tested : null;
    }

    private static bool TypeTests(IOperation test, ILocalSymbol exception, List<ITypeSymbol> tested)
    {
        switch (ValueFlow.Unwrap(test))
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
                return TypeTests(or.LeftOperand, exception, tested) && TypeTests(or.RightOperand, exception, tested);
            case IIsTypeOperation { IsNegated: false } isType when IsException(isType.ValueOperand, exception):
                tested.Add(isType.TypeOperand);
                return true;
            case IIsPatternOperation pattern when IsException(pattern.Value, exception):
                return PatternTypes(pattern.Pattern, tested);
            default:
                return false;
        }
    }

    private static bool PatternTypes(IPatternOperation pattern, List<ITypeSymbol> tested)
    {
        switch (pattern)
        {
            case ITypePatternOperation type:
                tested.Add(type.MatchedType);
                return true;
            case IDeclarationPatternOperation { MatchesNull: false, MatchedType: { } matched }:
                tested.Add(matched);
                return true;
            case IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or:
                return PatternTypes(or.LeftPattern, tested) && PatternTypes(or.RightPattern, tested);
            default:
                return false;
        }
    }

    private static bool IsException(IOperation value, ILocalSymbol exception) =>
        ValueFlow.Unwrap(value) is ILocalReferenceOperation reference && Same(reference.Local, exception);
}
