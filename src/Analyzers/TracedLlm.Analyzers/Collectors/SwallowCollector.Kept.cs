namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a caught exception kept and thrown later.
internal sealed partial class SwallowCollector
{
    /// <summary>The caught exception kept in a local outside the try and thrown later on some path.</summary>
    private static bool ThrownLater(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (@catch.ExceptionDeclarationOrExpression is not IVariableDeclaratorOperation { Symbol: { } caught })
        {
            return false;
        }

        var kept = new List<ILocalSymbol>();
        foreach (var statement in @catch.Handler.Operations)
        {
            var keeper = statement is IExpressionStatementOperation { Operation: var expression }
                ? ValueFlow.Unwrap(expression) switch
                {
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } store
                        when IsCaught(store.Value, caught, types) => target.Local,
                    IInvocationOperation { TargetMethod.Name: "Add", Instance: { } collection, Arguments.Length: 1 } add
                        when ValueFlow.Unwrap(collection) is ILocalReferenceOperation list
                            && IsCaught(add.Arguments[0].Value, caught, types) => list.Local,
                    _ => null,
                } : null;
            if (keeper is not null
                && keeper.DeclaringSyntaxReferences.All(reference => !@try.Syntax.Span.Contains(reference.Span)))
            {
                kept.Add(keeper);
            }
            else if (statement is not IEmptyOperation && !IsLogStatement(statement, scope))
            {
                return false;
            }
        }

        // The function the try is in: a lambda, a local function, or the whole block.
        var body = ValueFlow.Ancestors(@try)
            .FirstOrDefault(o => o is IAnonymousFunctionOperation or ILocalFunctionOperation) ?? ValueFlow.Root(@try);

        if (kept.Count == 0)
        {
            return false;
        }

        var own = ValueFlow.Own(body).ToList();
        return own.Any(o => o.Syntax.SpanStart >= @try.Syntax.Span.End && ThrowsKept(o, kept, types)
            && Reachable(o, body) && !InLaterHandler(o, body) && !Rewritten(own, kept, @try, o)
            && !GuardedAgainst(o, body, kept, caught.Type));
    }

    /// <summary>A statement before the throw leaves its block first: dead code throws nothing.</summary>
    private static bool Reachable(IOperation thrown, IOperation body) => !ValueFlow.Steps(thrown, body)
        .Any(step => step.Parent is IBlockOperation block && block.Operations.TakeWhile(o => o != step.Child)
            .Any(statement => statement is IReturnOperation or IBranchOperation or IThrowOperation
                or IExpressionStatementOperation { Operation: IThrowOperation }));

    /// <summary>The throw is in a later catch clause: it runs when something else fails.</summary>
    private static bool InLaterHandler(IOperation thrown, IOperation body) => ValueFlow.Ancestors(thrown)
            .TakeWhile(current => current != body).Any(current => current is ICatchClauseOperation);

    /// <summary>A kept local written again between the <c>try</c> and the throw: what is thrown is no
    /// failure.</summary>
    private static bool Rewritten(List<IOperation> own, List<ILocalSymbol> kept, ITryOperation @try,
        IOperation thrown) =>
        own.Any(o => o is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }
            && kept.Contains(target.Local, SymbolEqualityComparer.Default)
            && o.Syntax.SpanStart >= @try.Syntax.Span.End && o.Syntax.SpanStart < thrown.Syntax.SpanStart);

    /// <summary>The throw runs only when a test says the kept local holds no failure the catch keeps.</summary>
    private static bool GuardedAgainst(IOperation thrown, IOperation body, List<ILocalSymbol> kept,
        ITypeSymbol? caughtType) => ValueFlow.Steps(thrown, body)
        .Any(step => step.Parent is IConditionalOperation { Condition: var condition } conditional
            && conditional.WhenTrue == step.Child
            && condition.DescendantsAndSelf().Any(test => Excludes(test, kept, caughtType)));

    private static bool Excludes(IOperation test, List<ILocalSymbol> kept, ITypeSymbol? caughtType)
    {
        return test switch
        {
            IIsPatternOperation { Value: var value, Pattern: var pattern }
                when Reads(value, kept) && test.Parent is not IUnaryOperation => pattern switch
                {
                IConstantPatternOperation { Value: var constant } => constant.ConstantValue
                    is { HasValue: true, Value: null },
                ITypePatternOperation { MatchedType: { } matched } => Unrelated(matched, caughtType),
                IDeclarationPatternOperation { MatchedType: { } matched } => Unrelated(matched, caughtType),
                _ => false,
                },
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals => (Reads(equals.LeftOperand, kept)
                    && equals.RightOperand.ConstantValue is { HasValue: true, Value: null })
                || (Reads(equals.RightOperand, kept)
                    && equals.LeftOperand.ConstantValue is { HasValue: true, Value: null }),
            _ => false,
        };
    }

    // Neither type derives from the other: no caught exception is of the tested type.
    private static bool Unrelated(ITypeSymbol matched, ITypeSymbol? caughtType) =>
        caughtType is not null && matched.TypeKind == TypeKind.Class && caughtType.TypeKind == TypeKind.Class
        && !DerivesFrom(matched, caughtType) && !DerivesFrom(caughtType, matched);

    /// <summary>The caught exception, or <c>ExceptionDispatchInfo.Capture</c> of it.</summary>
    private static bool IsCaught(IOperation value, ILocalSymbol caught, WellKnownTypes types) =>
        ValueFlow.Unwrap(value) switch
        {
            ILocalReferenceOperation local => Same(local.Local, caught),
            IInvocationOperation
            {
                TargetMethod: { Name: "Capture", IsStatic: true } capture, Arguments.Length: 1
            } call => Same(capture.ContainingType, types.ExceptionDispatchInfo)
                && IsCaught(call.Arguments[0].Value, caught, types),
            _ => false,
        };

    /// <summary>A throw of what a kept local holds, of an exception built from it, or its dispatch info's.</summary>
    private static bool ThrowsKept(IOperation operation, List<ILocalSymbol> kept, WellKnownTypes types) =>
        operation switch
        {
            IThrowOperation { Exception: { } thrown } => ValueFlow.Unwrap(thrown) switch
            {
                IObjectCreationOperation creation => types.Exception is { } exception
                    && DerivesFrom(creation.Type, exception)
                    && creation.Arguments.Any(argument => Reads(argument.Value, kept)),
                var value => Reads(value, kept),
            },
            IInvocationOperation { TargetMethod: { Name: "Throw" } rethrow } call
                when Same(rethrow.ContainingType, types.ExceptionDispatchInfo) =>
                (CalledOn(call) is { } instance && (Reads(instance, kept)
                    || (instance is IInvocationOperation { TargetMethod.Name: "Capture", Arguments.Length: 1 } capture
                        && Reads(capture.Arguments[0].Value, kept))))
                || (rethrow.IsStatic && call.Arguments.Length == 1 && Reads(call.Arguments[0].Value, kept)),
            _ => false,
        };

    /// <summary>What a call is made on (<see cref="MethodScope.Receiver"/>), through <c>?.</c> too.</summary>
    private static IOperation? CalledOn(IInvocationOperation call) => MethodScope.Receiver(call) is not { } instance
        ? null
        : ValueFlow.Unwrap(instance) is IConditionalAccessInstanceOperation
            && ValueFlow.Ancestors(call).OfType<IConditionalAccessOperation>().FirstOrDefault() is { } access
            ? ValueFlow.Unwrap(access.Operation)
            : ValueFlow.Unwrap(instance);

    /// <summary>A kept local itself, or a call on it (<c>errors.ToArray()</c>).</summary>
    private static bool Reads(IOperation value, List<ILocalSymbol> kept) => ValueFlow.Unwrap(value) switch
        {
            ILocalReferenceOperation local => kept.Contains(local.Local, SymbolEqualityComparer.Default),
            IInvocationOperation call => CalledOn(call) is ILocalReferenceOperation on
                && kept.Contains(on.Local, SymbolEqualityComparer.Default),
            _ => false,
        };
}
