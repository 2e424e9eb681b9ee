namespace TracedLlm.Analyzers.Facts;

/// <summary>A condition read with three values, as C# evaluates it, when some values it reads are supposed.</summary>
/// <remarks>
/// TLLM2004's Try-pattern supposes a call's result is its failure value (<c>false</c>, <c>null</c>); TLLM2008 supposes
/// an upstream failed, then succeeded. Whatever the supposition does not give, and no constant says, is not known
/// (null).
/// </remarks>
internal static class Conditions
{
    /// <summary>What <c>valueOf</c> answers for an operation whose value the supposition does not give.</summary>
    public static readonly object Unknown = new();

    /// <summary>Whether <paramref name="condition"/> holds, does not, or depends on more (null).</summary>
    public static bool? Holds(IOperation condition, Func<IOperation, object?> valueOf)
    {
        switch (ValueFlow.Unwrap(condition))
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return !Holds(not.Operand, valueOf);
            case IBinaryOperation
                { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logic:
                var (left, right) = (Holds(logic.LeftOperand, valueOf), Holds(logic.RightOperand, valueOf));
                var and = logic.OperatorKind == BinaryOperatorKind.ConditionalAnd;
                return left == !and || right == !and ? !and : left is null || right is null ? null : and;
            case IBinaryOperation compare:
                var (first, second) = (Value(compare.LeftOperand, valueOf), Value(compare.RightOperand, valueOf));
                return Compare(compare.OperatorKind, first, second);
            case IIsPatternOperation pattern:
                return Matches(pattern.Pattern, Value(pattern.Value, valueOf), valueOf);
            case IInvocationOperation { TargetMethod: { Name: "IsNullOrEmpty" or "IsNullOrWhiteSpace" } blank } call
                when blank.ContainingType.SpecialType == SpecialType.System_String && call.Arguments.Length == 1:
                return Value(call.Arguments[0].Value, valueOf) switch
                {
                    null => true,
                    string text => text.Length == 0 || (blank.Name == "IsNullOrWhiteSpace" && text.Trim().Length == 0),
                    _ => null,
                };
            case var other:
                return Value(other, valueOf) as bool?;
        }
    }

    /// <summary>The value the supposition gives, a constant's, null for <c>?.</c> on a null, or
    /// <see cref="Unknown"/>.</summary>
    public static object? Value(IOperation operation, Func<IOperation, object?> valueOf)
    {
        operation = ValueFlow.Unwrap(operation);
        var supposed = valueOf(operation);
        return supposed != Unknown ? supposed
            : operation.ConstantValue.HasValue ? operation.ConstantValue.Value
            : operation is IConditionalAccessOperation access && Value(access.Operation, valueOf) is null ? null
            : Unknown;
    }

    private static bool? Compare(BinaryOperatorKind kind, object? left, object? right)
    {
        if (left == Unknown || right == Unknown)
        {
            return null;
        }

        var equal = Equals(left, right);
        if (kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
        {
            return kind == BinaryOperatorKind.Equals ? equal : !equal;
        }

        // A lifted comparison with null is false; two integers compare as numbers.
        return left is null || right is null ? false : left is int a && right is int b ? kind switch
        {
            BinaryOperatorKind.LessThan => a < b,
            BinaryOperatorKind.LessThanOrEqual => a <= b,
            BinaryOperatorKind.GreaterThan => a > b,
            BinaryOperatorKind.GreaterThanOrEqual => a >= b,
            _ => null,
        } : null;
    }

    // A type pattern is taken to match a value that is not null: what is supposed is of the type tested.
    private static bool? Matches(IPatternOperation pattern, object? value, Func<IOperation, object?> valueOf) =>
        pattern switch
    {
        _ when value == Unknown => null,
        IConstantPatternOperation constant => Compare(BinaryOperatorKind.Equals, value, Value(constant.Value, valueOf)),
        IRelationalPatternOperation relational =>
            Compare(relational.OperatorKind, value, Value(relational.Value, valueOf)),
        INegatedPatternOperation negated => !Matches(negated.Pattern, value, valueOf),
        IBinaryPatternOperation both =>
            (Matches(both.LeftPattern, value, valueOf), Matches(both.RightPattern, value, valueOf)) switch
        {
            var (l, r) when both.OperatorKind == BinaryOperatorKind.And =>
                l == false || r == false ? false : l is null || r is null ? null : true,
            var (l, r) => l == true || r == true ? true : l is null || r is null ? null : false,
        },
        IDiscardPatternOperation or IDeclarationPatternOperation { MatchesNull: true } => true,
        ITypePatternOperation or IDeclarationPatternOperation or IRecursivePatternOperation => value is null ? false
            : pattern is IRecursivePatternOperation { PropertySubpatterns.Length: 0 } recursive
                && recursive.DeconstructionSubpatterns.Length == 0 ? true : null,
        _ => null,
    };
}
