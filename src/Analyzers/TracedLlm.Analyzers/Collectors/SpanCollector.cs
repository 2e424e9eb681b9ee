using TracedLlm.Analyzers.Facts.SpanFlow;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2003's facts: an Activity left open on some path, or started as an orphan.</summary>
/// <remarks>
/// Left open is decided by <see cref="SpanAnalysis"/> on Roslyn's dataflow framework once the block is read. An
/// Activity handed on (returned, passed to code that keeps it, stored, captured) belongs to whoever receives it.
/// </remarks>
internal sealed class SpanCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not IInvocationOperation invocation)
        {
            return;
        }

        // A source method that gives a span through a ref or out parameter: the span flow follows it.
        if (!invocation.TargetMethod.DeclaringSyntaxReferences.IsEmpty
            && invocation.TargetMethod.Parameters.Any(p =>
                p.RefKind is RefKind.Ref or RefKind.Out && SpanAnalysis.IsSpan(p.Type, scope.Types)))
        {
            scope.HandlesSpans = true;
        }

        if (!IsStart(invocation.TargetMethod, scope.Types) && !scope.Compilation.IsSpanFactory(invocation.TargetMethod))
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        var root = ValueFlow.Root(invocation);
        var parent = invocation.Arguments.FirstOrDefault(a => Same(a.Parameter?.Type, scope.Types.ActivityContext));
        if (parent is not null && !parent.IsImplicit && IsEmptyContext(parent.Value, scope.Types))
        {
            Add(scope, location,
                "This Activity is started with an empty parent context: it becomes the root of a new trace, an "
                + "orphan; pass the request span's context",
                DiagnosticIds.SpanOrphanKind);
        }
        else if (parent is null or { IsImplicit: true } && ClearsCurrentBefore(root, invocation, scope.Types))
        {
            Add(scope, location,
                "This Activity is started after Activity.Current was set to null and without an explicit parent: it "
                + "becomes an orphan; pass the request span's context",
                DiagnosticIds.SpanOrphanKind);
        }

        // Whether it is left open is decided when the block is complete, by the span flow. One started into a
        // 'using', or ended by the next statement's 'finally', needs no flow: it costs about 14 ms a method on the
        // 1,000-route build (bench/results/2026-11-24-analyzers-dataflow.md).
        var (consumer, value) = Consumer(invocation);
        if (!IsUsing(consumer) && !EndedByTheNextFinally(consumer, root))
        {
            scope.SpanStarts[invocation.Syntax] = Message(consumer, value) ?? Handed;
            scope.HandlesSpans = true;
        }
    }

    private static bool IsUsing(IOperation? consumer) => consumer is IUsingOperation
        || (consumer is IVariableInitializerOperation
            {
                Parent: IVariableDeclaratorOperation
                {
                    Parent: IVariableDeclarationOperation
                    {
                        Parent: IVariableDeclarationGroupOperation
                        {
                            Parent: IUsingDeclarationOperation or IUsingOperation
                        }
                    }
                }
            });

    /// <summary>The span's local is stopped or disposed by the next statement's <c>finally</c>, and never assigned
    /// again.</summary>
    /// <remarks>Nothing can leave between the start and the <c>try</c>, and every way out of it runs that
    /// <c>finally</c>.</remarks>
    private static bool EndedByTheNextFinally(IOperation? consumer, IOperation root)
    {
        if (consumer is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }
            || declarator.Parent is not IVariableDeclarationOperation { Declarators.Length: 1, Parent:
                IVariableDeclarationGroupOperation { Declarations.Length: 1, Parent: IBlockOperation block } group }
            || block.Operations.IndexOf(group) + 1 is var next && (next < 1 || next >= block.Operations.Length)
            || block.Operations[next] is not ITryOperation { Finally: { } @finally })
        {
            return false;
        }

        var local = declarator.Symbol;
        bool Is(IOperation? operation) =>
            operation is ILocalReferenceOperation reference && Same(reference.Local, local);
        bool Ends(IOperation statement) => statement is IExpressionStatementOperation { Operation: var call }
            && call switch
            {
                IInvocationOperation { TargetMethod.Name: "Stop" or "Dispose" } invocation => Is(invocation.Instance),
                IConditionalAccessOperation
                {
                    WhenNotNull: IInvocationOperation { TargetMethod.Name: "Stop" or "Dispose" }
                } access => Is(access.Operation),
                _ => false,
            };

        return @finally.Operations.Any(Ends)
            && !root.DescendantsAndSelf()
                .Any(o => o is ISimpleAssignmentOperation { Target: var target } && Is(target)
                    || o is IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument
                        && Is(argument.Value));
    }

    private const string Handed =
        "This Activity is not ended on every path: the code it is handed to does not end it everywhere; declare it "
        + "with 'using', or Stop or Dispose it in a finally block";

    /// <summary>The message for a start left open, by what receives the Activity; null when it is handed on.</summary>
    private static string? Message(IOperation? consumer, IOperation value) => consumer switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } =>
                $"The Activity in '{declarator.Symbol.Name}' is not ended on every path: declare it with 'using', "
                + $"or Stop or Dispose it in a finally block",
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment
                when assignment.Value == value =>
                $"The Activity in '{local.Local.Name}' is not ended on every path: Stop or Dispose it in a finally "
                + $"block",
            ISimpleAssignmentOperation { Target: IDiscardOperation } discard when discard.Value == value =>
                "This Activity is started and discarded, so it is never ended: keep it in a 'using' variable",
            IExpressionStatementOperation => "This Activity is started and never ended: keep it in a 'using' variable",
            _ => null,
        };

    /// <summary>The spans of the block left open on some path (<see cref="SpanAnalysis"/>), at their starts.</summary>
    public static void Complete(MethodScope scope)
    {
        foreach (var block in scope.HandlesSpans ? scope.Blocks : ImmutableArray<IOperation>.Empty)
        {
            if (block.Kind
                    is not (OperationKind.Block or OperationKind.MethodBody or OperationKind.ConstructorBody
                        or OperationKind.FieldInitializer or OperationKind.PropertyInitializer)
                || FlowGraphs.Of(scope, block) is not { } graph)
            {
                continue;
            }

            foreach (var start in SpanAnalysis.OpenSpans(graph, scope.Owner, scope.Options, scope.Types,
                    scope.CancellationToken))
            {
                Add(scope, start.GetLocation(), scope.SpanStarts.TryGetValue(start, out var message) ? message : Handed,
                    DiagnosticIds.SpanLifecycleKind);
            }
        }
    }

    public static bool IsStart(IMethodSymbol method, WellKnownTypes types) =>
        (method.Name == "StartActivity" && Same(method.ContainingType, types.ActivitySource))
        || (method.Name == "Start" && Same(method.ContainingType, types.Activity));

    private static void Add(MethodScope scope, Location location, string message, string kind) =>
        scope.Facts.SpanProblems.Add(new SpanProblem(location, message, kind));

    /// <summary>What receives the started Activity, past conversions, <c>?.</c> and fluent calls that return
    /// it.</summary>
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
                case IConditionalAccessOperation access when access.WhenNotNull == current:
                    // Activity.Current?.Source.StartActivity(...): the start is what the '?.' gives (or null).
                    current = access;
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

    private static bool IsEmptyContext(IOperation value, WellKnownTypes types) =>
        ValueFlow.Unwrap(value) is var unwrapped && (unwrapped is IDefaultValueOperation
            || (unwrapped is IObjectCreationOperation { Arguments.Length: 0 }
                && Same(unwrapped.Type, types.ActivityContext)));

    private static bool ClearsCurrentBefore(IOperation root, IOperation start, WellKnownTypes types) =>
        root.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(assignment =>
            assignment.Syntax.SpanStart < start.Syntax.SpanStart
            && assignment.Target is IPropertyReferenceOperation { Property.Name: "Current" } property
            && Same(property.Property.ContainingType, types.Activity)
            && ValueFlow.Unwrap(assignment.Value).ConstantValue is { HasValue: true, Value: null });
}
