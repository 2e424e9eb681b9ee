using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a catch that takes only argument-validation exceptions.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// A catch that takes only argument-validation exceptions decides about a value, it does not drop a failure of the
    /// request: by .NET's design guidelines <c>ArgumentException</c> and the types derived from it report an argument
    /// that is not valid, thrown by a member's validation before it does its work, and every failure of I/O, a store,
    /// the network or a model is of another type and leaves the catch. What it catches (<see cref="CaughtTypes"/>) is
    /// <c>ArgumentException</c> or types derived from it, with perhaps a not-found type (<see cref="IsNotFoundType"/>)
    /// among them; the <c>try</c> makes no upstream call itself (an <c>await</c> and other calls are allowed); and the
    /// handler, statement by statement, only logs, sets locals or <c>out</c> parameters to a value read (no call, no
    /// object created: <see cref="ComputedWithoutCalls"/>), returns such a value or nothing, or leaves a loop
    /// (<c>continue</c>, <c>break</c>). A handler that builds an answer (<c>BadRequest(e.Message)</c>, a 500), writes a
    /// status or a field, or does anything else is judged as usual.
    /// </summary>
    private static bool ChecksArgument(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (types.ArgumentException is not { } argument || CaughtTypes(@catch) is not { Count: > 0 } caught
            || !caught.Any(type => WellKnownTypes.DerivesFrom(type, argument))
            || !caught.All(type => WellKnownTypes.DerivesFrom(type, argument) || IsNotFoundType(type, types))
            || CallsUpstreamItself(@try, types))
        {
            return false;
        }

        return IsProbeHandler(@catch, scope);
    }

    /// <summary>
    /// A probe's handler: statement by statement it only logs, sets locals or <c>out</c> parameters to a value read (no
    /// call, no object created: <see cref="ComputedWithoutCalls"/>), returns such a value or nothing, leaves a loop
    /// (<c>continue</c>, <c>break</c>), or does nothing.
    /// </summary>
    private static bool IsProbeHandler(ICatchClauseOperation @catch, MethodScope scope) =>
        @catch.Handler.Operations.All(statement => IsProbeStatement(statement, scope));

    /// <summary>One statement of a probe's handler (<see cref="IsProbeHandler"/>).</summary>
    private static bool IsProbeStatement(IOperation statement, MethodScope scope) => statement switch
    {
        IEmptyOperation => true,
        IBranchOperation { BranchKind: BranchKind.Continue or BranchKind.Break } => true,
        IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak } leave => leave.ReturnedValue is null || ComputedWithoutCalls(leave.ReturnedValue, scope.Types),
        IExpressionStatementOperation { Operation: IInvocationOperation call } => scope.Compilation.IsLogCall(call),
        IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation or IParameterReferenceOperation { Parameter.RefKind: RefKind.Out } } assignment } =>
            ComputedWithoutCalls(assignment.Value, scope.Types),
        _ => false,
    };

    /// <summary>
    /// The types a catch takes: its declared type when it has no filter; with a <c>when</c> filter, the types the filter
    /// tests the caught exception for, when it is exactly such tests (<c>e is T</c>, <c>e is T1 or T2</c>, <c>||</c> of
    /// these). <see langword="null"/> for a filter that tests anything else (a message, a status, a negation).
    /// </summary>
    private static List<ITypeSymbol>? CaughtTypes(ICatchClauseOperation @catch)
    {
        if (@catch.Filter is not { } filter)
        {
            return new List<ITypeSymbol> { @catch.ExceptionType };
        }

        var tested = new List<ITypeSymbol>();
        return @catch.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation { Symbol: { } exception } && TypeTests(filter, exception, tested) ? tested : null;
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
        ValueFlow.Unwrap(value) is ILocalReferenceOperation reference && WellKnownTypes.Same(reference.Local, exception);
}
