using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2003's facts: an Activity started (<c>ActivitySource.StartActivity</c>, <c>Activity.Start</c>)
/// and left open on some path (kept in a local that is not disposed by <c>using</c>, a
/// <c>finally</c>, or a catch-all that ends it beside the normal path; discarded with <c>_ =</c>;
/// started as a statement), or started as an orphan (an empty parent context, or after
/// <c>Activity.Current = null</c>). An Activity handed on (returned, passed, stored, captured by a
/// callback) belongs to whoever receives it.
/// </summary>
internal sealed class SpanCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not IInvocationOperation invocation
            || !(IsStart(invocation.TargetMethod, scope.Types) || scope.Compilation.IsSpanFactory(invocation.TargetMethod)))
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        var root = Root(invocation);
        var parent = invocation.Arguments.FirstOrDefault(a => WellKnownTypes.Same(a.Parameter?.Type, scope.Types.ActivityContext));
        if (parent is not null && !parent.IsImplicit && IsEmptyContext(parent.Value, scope.Types))
        {
            Add(scope, location, "This Activity is started with an empty parent context: it becomes the root of a new trace, an orphan; pass the request span's context", DiagnosticIds.SpanOrphanKind);
        }
        else if (parent is null or { IsImplicit: true } && ClearsCurrentBefore(root, invocation, scope.Types))
        {
            Add(scope, location, "This Activity is started after Activity.Current was set to null and without an explicit parent: it becomes an orphan; pass the request span's context", DiagnosticIds.SpanOrphanKind);
        }

        var (consumer, value) = Consumer(invocation);
        switch (consumer)
        {
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                if (!IsUsing(declarator) && !IsEndedOnEveryPath(root, declarator.Symbol, invocation) && !Escapes(root, declarator.Symbol))
                {
                    Add(scope, location, $"The Activity in '{declarator.Symbol.Name}' is not ended on every path: declare it with 'using', or Stop or Dispose it in a finally block", DiagnosticIds.SpanLifecycleKind);
                }

                break;
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == value:
                if (!IsEndedOnEveryPath(root, local.Local, invocation) && !Escapes(root, local.Local))
                {
                    Add(scope, location, $"The Activity in '{local.Local.Name}' is not ended on every path: Stop or Dispose it in a finally block", DiagnosticIds.SpanLifecycleKind);
                }

                break;
            case ISimpleAssignmentOperation { Target: IDiscardOperation } discard when discard.Value == value:
                Add(scope, location, "This Activity is started and discarded, so it is never ended: keep it in a 'using' variable", DiagnosticIds.SpanLifecycleKind);
                break;
            case IExpressionStatementOperation:
                Add(scope, location, "This Activity is started and never ended: keep it in a 'using' variable", DiagnosticIds.SpanLifecycleKind);
                break;

            // Returned, passed on, stored in a field or used in 'using (...)': ended by whoever owns it now.
        }
    }

    public static bool IsStart(IMethodSymbol method, WellKnownTypes types) =>
        (method.Name == "StartActivity" && WellKnownTypes.Same(method.ContainingType, types.ActivitySource))
        || (method.Name == "Start" && WellKnownTypes.Same(method.ContainingType, types.Activity));

    private static void Add(MethodScope scope, Location location, string message, string kind) =>
        scope.Facts.SpanProblems.Add(new SpanProblem(location, message, kind));

    private static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    /// <summary>What receives the started Activity, past conversions, '?.' and fluent calls that return it (SetTag, SetStatus...).</summary>
    private static (IOperation? Consumer, IOperation Value) Consumer(IOperation value)
    {
        var current = value;
        while (true)
        {
            switch (current.Parent)
            {
                case IConversionOperation or IParenthesizedOperation:
                    current = current.Parent;
                    continue;
                case IConditionalAccessOperation access when access.Operation == current:
                    // a?.SetTag(...) goes on with the Activity; a?.Stop() or a?.Id uses it in place.
                    if (access.WhenNotNull is IInvocationOperation { Type.Name: "Activity" })
                    {
                        current = access;
                        continue;
                    }

                    return (access, current);
                case IInvocationOperation fluent when fluent.Instance == current && fluent.Type is { Name: "Activity" }:
                    current = fluent;
                    continue;
            }

            return (current.Parent, current);
        }
    }

    private static bool IsEmptyContext(IOperation value, WellKnownTypes types)
    {
        value = ValueFlow.Unwrap(value);
        return value is IDefaultValueOperation
            || (value is IObjectCreationOperation creation && creation.Arguments.Length == 0 && WellKnownTypes.Same(creation.Type, types.ActivityContext));
    }

    private static bool ClearsCurrentBefore(IOperation root, IOperation start, WellKnownTypes types) =>
        root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(assignment =>
            assignment.Syntax.SpanStart < start.Syntax.SpanStart
            && assignment.Target is IPropertyReferenceOperation { Property.Name: "Current" } property
            && WellKnownTypes.Same(property.Property.ContainingType, types.Activity)
            && ValueFlow.Unwrap(assignment.Value).ConstantValue is { HasValue: true, Value: null });

    private static bool IsUsing(IVariableDeclaratorOperation declarator)
    {
        for (var parent = declarator.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IUsingDeclarationOperation or IUsingOperation)
            {
                return true;
            }

            if (parent is IBlockOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Ended in a finally, or in a catch-all handler of a try after the start whose body ends it
    /// too (the normal path and the failure path both end it).
    /// </summary>
    /// <remarks>
    /// The <c>try</c> (or the <c>using (span)</c> statement) must protect the span from its start:
    /// it encloses the start, or nothing between the start and it awaits or throws. A span started,
    /// then an awaited call that throws, then the <c>try</c> that would end it, is never ended.
    /// </remarks>
    private static bool IsEndedOnEveryPath(IOperation root, ILocalSymbol local, IOperation start)
    {
        bool Protects(IOperation guard) =>
            guard.Syntax.Span.Contains(start.Syntax.Span) || (guard.Syntax.SpanStart > start.Syntax.SpanStart && !MayFailBetween(root, start, guard));

        // Ended by a statement of the same block before anything could fail.
        var block = Statement(start).Parent;
        if (root.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
                call.TargetMethod.Name is "Stop" or "Dispose" && RefersTo(call.Instance, local)
                && call.Syntax.SpanStart > start.Syntax.SpanStart && Statement(call).Parent == block && !MayFailBetween(root, start, call)))
        {
            return true;
        }

        return root.DescendantsAndSelf().OfType<ITryOperation>().Any(@try =>
                Protects(@try)
                && ((@try.Finally is { } @finally && Ends(@finally, local))
                    || (Ends(@try.Body, local)
                        && @try.Catches.Any(c => c.Filter is null && (c.ExceptionType.SpecialType == SpecialType.System_Object || c.ExceptionType.Name == "Exception") && Ends(c.Handler, local)))))
            || root.DescendantsAndSelf().OfType<IUsingOperation>().Any(@using =>
                Protects(@using) && @using.Resources.DescendantsAndSelf().Any(r => r is ILocalReferenceOperation reference && WellKnownTypes.Same(reference.Local, local)));
    }

    private static IOperation Statement(IOperation operation)
    {
        while (operation.Parent is not null and not IBlockOperation)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    /// <summary>Something between the start and the guard awaits or throws (where an exception would leave the span open).</summary>
    private static bool MayFailBetween(IOperation root, IOperation start, IOperation guard) =>
        root.DescendantsAndSelf().Any(o => o is IAwaitOperation or IThrowOperation
            && o.Syntax.SpanStart > start.Syntax.Span.End
            && o.Syntax.SpanStart < guard.Syntax.SpanStart);

    private static bool Ends(IOperation operation, ILocalSymbol local) =>
        operation.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call => call.TargetMethod.Name is "Stop" or "Dispose" && RefersTo(call.Instance, local));

    private static bool RefersTo(IOperation? instance, ILocalSymbol local)
    {
        if (instance is IConditionalAccessInstanceOperation)
        {
            for (var parent = instance.Parent; parent is not null; parent = parent.Parent)
            {
                if (parent is IConditionalAccessOperation access)
                {
                    return ValueFlow.Unwrap(access.Operation) is ILocalReferenceOperation reference && WellKnownTypes.Same(reference.Local, local);
                }
            }
        }

        return instance is not null && ValueFlow.Unwrap(instance) is ILocalReferenceOperation direct && WellKnownTypes.Same(direct.Local, local);
    }

    /// <summary>The local is returned, passed on, stored elsewhere, or captured by a lambda: its new owner ends it.</summary>
    private static bool Escapes(IOperation root, ILocalSymbol local)
    {
        foreach (var reference in root.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
        {
            if (!WellKnownTypes.Same(reference.Local, local))
            {
                continue;
            }

            if (InsideLambda(reference, local))
            {
                return true;
            }

            var (consumer, value) = Consumer(reference);
            if (consumer is IReturnOperation or IArgumentOperation or ITupleOperation or IArrayInitializerOperation or IMemberInitializerOperation
                || (consumer is ISimpleAssignmentOperation assignment && assignment.Value == value && assignment.Target is not IDiscardOperation)
                || consumer is IVariableInitializerOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static bool InsideLambda(IOperation reference, ILocalSymbol local)
    {
        for (var parent = reference.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                // Captured from outside the lambda: the callback owns it now.
                return !parent.DescendantsAndSelf().OfType<IVariableDeclaratorOperation>().Any(d => WellKnownTypes.Same(d.Symbol, local));
            }
        }

        return false;
    }
}
