namespace TracedLlm.Analyzers.Facts;

/// <summary>Whether code hands a failure on, on every path through it, read statement by statement.</summary>
/// <remarks>
/// A throw, <c>ExceptionDispatchInfo</c>, a faulted task, the failure path's API, a declared record, or a source method
/// that does one of these on every path. A catch that rethrows only some exceptions does not hand the rest on.
/// </remarks>
internal sealed class FailureHandoff(WellKnownTypes types, Func<IMethodSymbol, IOperation?> bodyOf,
    DeclaredIntent intent)
{
    private const int MaxWrapperDepth = 4;

    private readonly WellKnownTypes _types = types;
    private readonly Func<IMethodSymbol, IOperation?> _bodyOf = bodyOf;
    private readonly DeclaredIntent _intent = intent;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, bool> _wrappers = new(
        SymbolEqualityComparer.Default);

    /// <summary>Every path through <paramref name="operation"/> hands a failure on before it leaves it.</summary>
    public bool Always(IOperation operation) => Always(operation, 0);

    /// <summary>Some path through <paramref name="operation"/> hands a failure on.</summary>
    public bool Anywhere(IOperation operation) => operation.DescendantsAndSelf()
            .Any(o => o is IThrowOperation || (o is IInvocationOperation call && HandsOn(call, 0)));

    /// <summary>A source method whose every path throws or reports: calling it hands the failure on.</summary>
    public bool IsWrapper(IMethodSymbol method) => IsWrapper(method, 0);

    // Only answers read from the top are kept: they do not depend on where the reading started.
    private bool IsWrapper(IMethodSymbol method, int depth) => depth == 0
        ? _wrappers.GetOrAdd(method.OriginalDefinition, m => Wraps(m, 0)) : Wraps(method.OriginalDefinition, depth);

    private bool Wraps(IMethodSymbol method, int depth) =>
        depth < MaxWrapperDepth && _bodyOf(method) is { } body && Always(body, depth + 1);

    private bool HandsOn(IInvocationOperation call, int depth)
    {
        var method = call.TargetMethod;
        return Collectors.ThrowCollector.Raised(call, _types) is not null
            || _types.IsHandledFailureRecord(method)
            || _types.IsAttemptFailure(method)
            || _types.IsFailureLoggerCall(method)
            || _intent.RecordsFailures(method, call.Syntax.SyntaxTree)
            || (method.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction
                && method.Locations.Any(l => l.IsInSource) && IsWrapper(method, depth));
    }

    private bool Always(IOperation operation, int depth)
    {
        return operation switch
        {
            IThrowOperation => true,
            IBlockOperation block => Sequence(block.Operations, depth),
            IConditionalOperation { WhenFalse: { } whenFalse } conditional
                when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void => Always(
                conditional.Condition,
                depth
            ) || (Always(conditional.WhenTrue, depth) && Always(whenFalse, depth)),
            IConditionalOperation conditional
                when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void => Always(
                conditional.Condition,
                depth),
            ISwitchOperation @switch => Always(@switch.Value, depth)
                || (@switch.Cases.Any(c => c.Clauses.Any(clause => clause is IDefaultCaseClauseOperation))
                    && @switch.Cases.All(c => Sequence(c.Body, depth))),
            ITryOperation @try => (@try.Finally is { } @finally && Always(@finally, depth))
                || (Always(@try.Body, depth) && @try.Catches.All(c => Always(c.Handler, depth))),
            IUsingOperation @using => Always(@using.Body, depth),
            ILockOperation @lock => Always(@lock.Body, depth),
            ILoopOperation
            or ILocalFunctionOperation or IBranchOperation
            or IReturnOperation { ReturnedValue: null } => false,
            IReturnOperation { ReturnedValue: { } value } => Expression(value, depth),
            _ => Expression(operation, depth),
        };
    }

    // The first statement that hands the failure on (true), or leaves here without handing it on (false), decides.
    private bool Sequence(IEnumerable<IOperation> statements, int depth) =>
        statements.Select(s => Always(s, depth) ? true : Leaves(s) ? false : (bool?)null)
            .FirstOrDefault(r => r is not null) ?? false;

    /// <summary>An expression that, once evaluated, has handed the failure on (not in a lambda, which may not
    /// run).</summary>
    private bool Expression(IOperation operation, int depth) =>
        ValueFlow.Own(operation).FirstOrDefault(current =>
            current is IThrowOperation || (current is IInvocationOperation call && HandsOn(call, depth))) is { } found
        && !IsConditional(found, operation);

    /// <summary><paramref name="found"/> runs only on some evaluations of <paramref name="root"/> (a branch, a switch
    /// arm, the right of <c>&amp;&amp;</c>).</summary>
    /// <remarks><c>attempt?.Fail(e)</c> is taken as handed on: there is an attempt to fail.</remarks>
    internal static bool IsConditional(IOperation found, IOperation root) => ValueFlow.Steps(found, root)
        .Any(step => step.Parent switch
        {
            ICoalesceOperation coalesce => coalesce.WhenNull == step.Child,
            IConditionalOperation conditional => conditional.Condition != step.Child,
            IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr }
                logical => logical.RightOperand == step.Child,
            ISwitchExpressionArmOperation => true,
            _ => false,
        });

    /// <summary>What runs after <paramref name="statement"/> in order, up to the first loop, lambda or switch
    /// section.</summary>
    public static IEnumerable<IOperation> Following(IOperation statement) => ValueFlow.Steps(statement)
        .TakeWhile(step => step.Parent is IBlockOperation or IConditionalOperation or ITryOperation
            or ICatchClauseOperation or IUsingOperation or ILockOperation)
        .SelectMany(step => step.Parent is IBlockOperation block
            ? block.Operations.SkipWhile(o => o != step.Child).Skip(1) : Enumerable.Empty<IOperation>());

    /// <summary>The statement may leave the handler (return, break, continue, yield break) on some path.</summary>
    /// <remarks>A local function declared there is not run there: its returns leave it, not the handler.</remarks>
    public static bool Leaves(IOperation statement) =>
        statement is not ILocalFunctionOperation && ValueFlow.Own(statement).Any(current => current is IReturnOperation
            || (current is IBranchOperation branch && branch.BranchKind is BranchKind.Break or BranchKind.Continue
                or BranchKind.GoTo && !IsInnerLoopBranch(branch, statement)));

    private static bool IsInnerLoopBranch(IBranchOperation branch, IOperation statement)
    {
        // A break or continue of a loop inside the statement stays inside it.
        return ValueFlow.Ancestors(branch).TakeWhile(current => current != statement.Parent)
            .Any(current => (current is ILoopOperation loop
                    && (Same(branch.Target, loop.ContinueLabel) || Same(branch.Target, loop.ExitLabel))
                ) || (current is ISwitchOperation @switch && Same(branch.Target, @switch.ExitLabel)));
    }
}
