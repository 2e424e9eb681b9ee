using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

/// <summary>Whether code hands a failure on, on every path through it, read statement by statement.</summary>
/// <remarks>
/// A throw, <c>ExceptionDispatchInfo</c>, a faulted task, the failure path's API, a declared record, or a source method
/// that does one of these on every path. A catch that rethrows only some exceptions does not hand the rest on.
/// </remarks>
internal sealed class FailureHandoff
{
    private const int MaxWrapperDepth = 4;

    private readonly WellKnownTypes _types;
    private readonly Func<IMethodSymbol, IOperation?> _bodyOf;
    private readonly DeclaredIntent _intent;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, bool> _wrappers = new(SymbolEqualityComparer.Default);

    public FailureHandoff(WellKnownTypes types, Func<IMethodSymbol, IOperation?> bodyOf, DeclaredIntent intent)
    {
        _types = types;
        _bodyOf = bodyOf;
        _intent = intent;
    }

    /// <summary>Every path through <paramref name="operation"/> hands a failure on before it leaves it.</summary>
    public bool Always(IOperation operation) => Always(operation, 0);

    /// <summary>Some path through <paramref name="operation"/> hands a failure on.</summary>
    public bool Anywhere(IOperation operation) =>
        operation.DescendantsAndSelf().Any(o => o is IThrowOperation || (o is IInvocationOperation call && HandsOn(call, 0)));

    /// <summary>A source method whose every path throws or reports: calling it hands the failure on.</summary>
    public bool IsWrapper(IMethodSymbol method) => IsWrapper(method, 0);

    private bool IsWrapper(IMethodSymbol method, int depth)
    {
        method = method.OriginalDefinition;
        if (depth == 0 && _wrappers.TryGetValue(method, out var known))
        {
            return known;
        }

        var result = depth < MaxWrapperDepth && _bodyOf(method) is { } body && Always(body, depth + 1);

        // Only answers read from the top are kept: they do not depend on where the reading started.
        return depth == 0 ? _wrappers.GetOrAdd(method, result) : result;
    }

    private bool HandsOn(IInvocationOperation call, int depth)
    {
        var method = call.TargetMethod;
        return Collectors.ThrowCollector.Raised(call, _types) is not null
            || _types.IsHandledFailureRecord(method)
            || _types.IsAttemptFailure(method)
            || _types.IsFailureLoggerCall(method)
            || _intent.RecordsFailures(method, call.Syntax.SyntaxTree)
            || (method.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction && method.Locations.Any(l => l.IsInSource) && IsWrapper(method, depth));
    }

    private bool Always(IOperation operation, int depth)
    {
        switch (operation)
        {
            case IThrowOperation:
                return true;
            case IBlockOperation block:
                return Sequence(block.Operations, depth);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void:
                return Always(conditional.Condition, depth) || (Always(conditional.WhenTrue, depth) && Always(whenFalse, depth));
            case IConditionalOperation conditional when conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void:
                return Always(conditional.Condition, depth);
            case ISwitchOperation @switch:
                return Always(@switch.Value, depth)
                    || (@switch.Cases.Any(c => c.Clauses.Any(clause => clause is IDefaultCaseClauseOperation)) && @switch.Cases.All(c => Sequence(c.Body, depth)));
            case ITryOperation @try:
                return (@try.Finally is { } @finally && Always(@finally, depth))
                    || (Always(@try.Body, depth) && @try.Catches.All(c => Always(c.Handler, depth)));
            case IUsingOperation @using:
                return Always(@using.Body, depth);
            case ILockOperation @lock:
                return Always(@lock.Body, depth);
            case ILoopOperation or ILocalFunctionOperation or IBranchOperation or IReturnOperation { ReturnedValue: null }:
                return false;
            case IReturnOperation { ReturnedValue: { } value }:
                return Expression(value, depth);
            default:
                return Expression(operation, depth);
        }
    }

    private bool Sequence(IEnumerable<IOperation> statements, int depth)
    {
        foreach (var statement in statements)
        {
            if (Always(statement, depth))
            {
                return true;
            }

            // A path that leaves here without handing the failure on.
            if (Leaves(statement))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>An expression that, once evaluated, has handed the failure on (not inside a lambda, which may never run).</summary>
    private bool Expression(IOperation operation, int depth)
    {
        var stack = new Stack<IOperation>();
        stack.Push(operation);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (current is IThrowOperation || (current is IInvocationOperation call && HandsOn(call, depth)))
            {
                return !IsConditional(current, operation);
            }

            foreach (var child in current.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    stack.Push(child);
                }
            }
        }

        return false;
    }

    /// <summary><paramref name="found"/> runs only on some evaluations of <paramref name="root"/>: a branch of <c>?:</c> or <c>??</c>, the right side of <c>&amp;&amp;</c> or <c>||</c>, a switch arm.</summary>
    internal static bool IsConditional(IOperation found, IOperation root)
    {
        for (var current = found; current != root && current.Parent is { } parent; current = parent)
        {
            if (parent is ICoalesceOperation coalesce && coalesce.WhenNull == current
                || parent is IConditionalOperation conditional && conditional.Condition != current
                || parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical && logical.RightOperand == current
                || parent is ISwitchExpressionArmOperation)
            {
                return true;
            }

            // attempt?.Fail(e): taken as handed on when there is an attempt to fail.
        }

        return false;
    }

    /// <summary>What runs after <paramref name="statement"/> in order, up to the first loop, lambda or switch
    /// section.</summary>
    public static IEnumerable<IOperation> Following(IOperation statement)
    {
        for (var current = statement; current.Parent is { } parent; current = parent)
        {
            switch (parent)
            {
                case IBlockOperation block:
                    foreach (var next in block.Operations.SkipWhile(o => o != current).Skip(1))
                    {
                        yield return next;
                    }

                    break;
                case IConditionalOperation or ITryOperation or ICatchClauseOperation or IUsingOperation
                    or ILockOperation:
                    break;
                default:
                    yield break;
            }
        }
    }

    /// <summary>
    /// The statement may leave the handler (return, break, continue, yield break) on some path. A
    /// local function declared there is not run there: its returns leave it, not the handler.
    /// </summary>
    public static bool Leaves(IOperation statement)
    {
        if (statement is ILocalFunctionOperation)
        {
            return false;
        }

        var stack = new Stack<IOperation>();
        stack.Push(statement);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (current is IReturnOperation || (current is IBranchOperation branch && branch.BranchKind is BranchKind.Break or BranchKind.Continue or BranchKind.GoTo && !IsInnerLoopBranch(branch, statement)))
            {
                return true;
            }

            foreach (var child in current.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    stack.Push(child);
                }
            }
        }

        return false;
    }

    private static bool IsInnerLoopBranch(IBranchOperation branch, IOperation statement)
    {
        // A break or continue of a loop inside the statement stays inside it.
        for (var current = branch.Parent; current is not null && current != statement.Parent; current = current.Parent)
        {
            if (current is ILoopOperation loop && (SymbolEqualityComparer.Default.Equals(branch.Target, loop.ContinueLabel) || SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel)))
            {
                return true;
            }

            if (current is ISwitchOperation @switch && SymbolEqualityComparer.Default.Equals(branch.Target, @switch.ExitLabel))
            {
                return true;
            }
        }

        return false;
    }
}
