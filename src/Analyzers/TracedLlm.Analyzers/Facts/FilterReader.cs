namespace TracedLlm.Analyzers.Facts;

/// <summary>What a filter's body does when it logs the failure it was given.</summary>
internal enum FilterGoal
{
    /// <summary>A bool filter: true means "log this failure".</summary>
    ReturnsTrue,

    /// <summary>The failure is logged when a failure logger is reached.</summary>
    ReachesLogger,

    /// <summary>A marked filter with no logger call: it logs when it runs on.</summary>
    RunsOn,
}

/// <summary>Reads the condition on the exception's type under which a body reaches its goal.</summary>
internal sealed class FilterReader(WellKnownTypes types, ISymbol? exception, FilterGoal goal)
{
    private readonly WellKnownTypes _types = types;
    private readonly ISymbol? _exception = exception;
    private readonly FilterGoal _goal = goal;

    public TypePredicate Read(IOperation body) =>
        Sequence(new[] { body }, 0, _goal == FilterGoal.RunsOn ? TypePredicate.True : TypePredicate.False, 0);

    private TypePredicate Sequence(IReadOnlyList<IOperation> statements, int index, TypePredicate after, int depth)
    {
        if (index >= statements.Count)
        {
            return after;
        }

        if (depth > 64)
        {
            return TypePredicate.Maybe;
        }

        var statement = statements[index];
        TypePredicate Rest() => Sequence(statements, index + 1, after, depth + 1);
        switch (statement)
        {
            case IBlockOperation block:
                return Sequence(block.Operations, 0, Rest(), depth + 1);
            case IConditionalOperation conditional
                when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void:
            {
                var condition = Condition(conditional.Condition);
                var rest = Rest();
                var whenTrue = Sequence(new[] { conditional.WhenTrue }, 0, rest, depth + 1);
                var whenFalse = conditional.WhenFalse is { } otherwise
                    ? Sequence(new[] { otherwise }, 0, rest, depth + 1) : rest;
                return TypePredicate.Or(TypePredicate.And(condition, whenTrue),
                    TypePredicate.And(TypePredicate.Not(condition), whenFalse));
            }

            case ISwitchOperation @switch:
                return Switch(@switch, Rest(), depth);
            case IReturnOperation @return:
                return _goal switch
                {
                    FilterGoal.ReturnsTrue => @return.ReturnedValue is { } value ? Condition(value)
                        : TypePredicate.False,
                    FilterGoal.ReachesLogger => @return.ReturnedValue is { } returned && Reaches(returned)
                        ? TypePredicate.True : TypePredicate.False,
                    _ => TypePredicate.False,
                };
            case IThrowOperation @throw:
                return _goal == FilterGoal.ReachesLogger && @throw.Exception is { } thrown && Reaches(thrown)
                    ? TypePredicate.True : TypePredicate.False;
            case IBranchOperation:
                return after;
            case ITryOperation @try:
                return @try.Finally is { } @finally && Reaches(@finally) ? TypePredicate.True
                    : Sequence(new[] { @try.Body }, 0, Rest(), depth + 1);
            case IUsingOperation @using:
                return Sequence(new[] { @using.Body }, 0, Rest(), depth + 1);
            case ILockOperation @lock:
                return Sequence(new[] { @lock.Body }, 0, Rest(), depth + 1);
            case ILoopOperation loop:
                return Reaches(loop) ? TypePredicate.Or(TypePredicate.Maybe, Rest()) : Rest();
            case ILocalFunctionOperation:
                return Rest();
            default:
                return StatementReaches(statement, Rest);
        }
    }

    private TypePredicate StatementReaches(IOperation statement, System.Func<TypePredicate> rest)
    {
        switch (_goal)
        {
            case FilterGoal.RunsOn:
                return statement.IsImplicit && statement is IReturnOperation ? rest() : TypePredicate.True;
            case FilterGoal.ReachesLogger:
                var calls = statement.DescendantsAndSelf().OfType<IInvocationOperation>()
                    .Where(i => _types.IsFailureLoggerCall(i.TargetMethod)).ToList();
                if (calls.Count == 0)
                {
                    return rest();
                }

                // A call of another filter with this exception decides as it does; a logger call decides "yes".
                var predicate = TypePredicate.False;
                foreach (var call in calls)
                {
                    predicate = TypePredicate.Or(predicate, _types.IsFailureFilterMethod(call.TargetMethod)
                            && call.Arguments.Any(a => RefersToException(a.Value))
                                ? TypePredicate.Call(call.TargetMethod)
                            : IsConditional(call, statement) ? TypePredicate.Maybe : TypePredicate.True);
                }

                return TypePredicate.Or(predicate, rest());
            default:
                return rest();
        }
    }

    private static bool IsConditional(IOperation call, IOperation statement) => ValueFlow.Ancestors(call)
            .TakeWhile(current => current != statement)
            .Any(current => current
                    is IConditionalOperation or ICoalesceOperation or IConditionalAccessOperation
                        or ISwitchExpressionOperation);

    private bool Reaches(IOperation operation) => _goal switch
        {
            FilterGoal.ReachesLogger => operation.DescendantsAndSelf().OfType<IInvocationOperation>()
                .Any(i => _types.IsFailureLoggerCall(i.TargetMethod)),
            FilterGoal.ReturnsTrue => operation.DescendantsAndSelf().OfType<IReturnOperation>().Any(),
            _ => true,
        };

    private TypePredicate Switch(ISwitchOperation @switch, TypePredicate rest, int depth)
    {
        var onException = RefersToException(@switch.Value);
        var earlier = TypePredicate.False;
        var result = TypePredicate.False;
        var hasDefault = false;
        foreach (var section in @switch.Cases)
        {
            var matches = TypePredicate.False;
            foreach (var clause in section.Clauses)
            {
                matches = TypePredicate.Or(matches, clause switch
                    {
                        IDefaultCaseClauseOperation => TypePredicate.True,
                        IPatternCaseClauseOperation pattern when onException => TypePredicate.And(
                            Pattern(pattern.Pattern),
                            pattern.Guard is { } guard ? Condition(guard) : TypePredicate.True),
                        _ => TypePredicate.Maybe,
                    });
                hasDefault |= clause is IDefaultCaseClauseOperation;
            }

            var taken = TypePredicate.And(matches, TypePredicate.Not(earlier));
            result = TypePredicate.Or(result, TypePredicate.And(taken, Sequence(section.Body, 0, rest, depth + 1)));
            earlier = TypePredicate.Or(earlier, matches);
        }

        return hasDefault ? result : TypePredicate.Or(result, TypePredicate.And(TypePredicate.Not(earlier), rest));
    }

    /// <summary>A boolean expression as a condition on the exception's type.</summary>
    public TypePredicate Condition(IOperation operation)
    {
        operation = ValueFlow.Unwrap(operation);
        if (operation.ConstantValue is { HasValue: true, Value: bool constant })
        {
            return constant ? TypePredicate.True : TypePredicate.False;
        }

        switch (operation)
        {
            case IIsTypeOperation isType when RefersToException(isType.ValueOperand):
                var test = TypePredicate.IsType(isType.TypeOperand);
                return isType.IsNegated ? TypePredicate.Not(test) : test;
            case IIsPatternOperation isPattern when RefersToException(isPattern.Value):
                return Pattern(isPattern.Pattern);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return TypePredicate.Not(Condition(not.Operand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And } and:
                return TypePredicate.And(Condition(and.LeftOperand), Condition(and.RightOperand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or } or:
                return TypePredicate.Or(Condition(or.LeftOperand), Condition(or.RightOperand));
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } equality
                when ExactTypeTest(equality) is { } exact:
                return equality.OperatorKind == BinaryOperatorKind.Equals ? exact : TypePredicate.Not(exact);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                var condition = Condition(conditional.Condition);
                return TypePredicate.Or(TypePredicate.And(condition, Condition(conditional.WhenTrue)),
                    TypePredicate.And(TypePredicate.Not(condition), Condition(whenFalse)));
            case ISwitchExpressionOperation @switch when RefersToException(@switch.Value):
                var earlier = TypePredicate.False;
                var result = TypePredicate.False;
                foreach (var arm in @switch.Arms)
                {
                    var matches = TypePredicate.And(Pattern(arm.Pattern),
                        arm.Guard is { } guard ? Condition(guard) : TypePredicate.True);
                    result = TypePredicate.Or(result,
                        TypePredicate.And(TypePredicate.And(matches, TypePredicate.Not(earlier)), Condition(arm.Value))
                    );
                    earlier = TypePredicate.Or(earlier, matches);
                }

                return result;
            case IInvocationOperation call
                when call.TargetMethod.ReturnType.SpecialType == SpecialType.System_Boolean
                    && call.TargetMethod.Locations.Any(l => l.IsInSource)
                    && call.Arguments.Any(a => RefersToException(a.Value)):
                return TypePredicate.Call(call.TargetMethod);
            default:
                return TypePredicate.Maybe;
        }
    }

    private static TypePredicate Pattern(IPatternOperation pattern) => pattern switch
        {
            ITypePatternOperation type => TypePredicate.IsType(type.MatchedType),
            IDeclarationPatternOperation { MatchedType: { } matched } declaration => declaration.MatchesNull
                ? TypePredicate.True : TypePredicate.IsType(matched),
            IDeclarationPatternOperation => TypePredicate.True,
            IRecursivePatternOperation recursive => TypePredicate.And(
                recursive.MatchedType is { } matched ? TypePredicate.IsType(matched) : TypePredicate.True,
                recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty
                    ? TypePredicate.True : TypePredicate.Maybe),
            INegatedPatternOperation negated => TypePredicate.Not(Pattern(negated.Pattern)),
            IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } and => TypePredicate.And(
                Pattern(and.LeftPattern), Pattern(and.RightPattern)),
            IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => TypePredicate.Or(
                Pattern(or.LeftPattern), Pattern(or.RightPattern)),
            IDiscardPatternOperation => TypePredicate.True,
            IConstantPatternOperation constant when constant.Value.ConstantValue is { HasValue: true, Value: null } =>
                TypePredicate.False,
            _ => TypePredicate.Maybe,
        };

    /// <summary><c>e.GetType() == typeof(T)</c>, either way round.</summary>
    private TypePredicate? ExactTypeTest(IBinaryOperation equality)
    {
        ITypeSymbol? Tested(IOperation side, IOperation other) =>
            ValueFlow.Unwrap(side) is IInvocationOperation { TargetMethod.Name: "GetType", Instance: { } instance }
            && RefersToException(instance)
            && ValueFlow.Unwrap(other) is ITypeOfOperation typeOf ? typeOf.TypeOperand : null;
        var type =
            Tested(equality.LeftOperand, equality.RightOperand) ?? Tested(equality.RightOperand, equality.LeftOperand);
        return type is null ? null : TypePredicate.IsType(type, exactly: true);
    }

    private bool RefersToException(IOperation operation) => ValueFlow.Unwrap(operation) switch
        {
            ILocalReferenceOperation local => Same(local.Local, _exception),
            IParameterReferenceOperation parameter => Same(parameter.Parameter.OriginalDefinition,
                _exception?.OriginalDefinition),
            _ => false,
        };
}
