namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2004's and TLLM2007's facts: catch clauses that swallow, and how callers use what a method
/// returns.</summary>
/// <remarks>
/// A catch hands the failure on when every path through it does (<see cref="FailureHandoff"/>). It is no swallow where
/// the code shows the failure is not the request's or the team declares it (<see cref="DeclaredIntent"/>). What other
/// methods decide is kept on the site and read at the end of the compilation.
/// </remarks>
internal sealed partial class SwallowCollector : IFactCollector
{
    private static readonly HashSet<string> ErrorResults = new(StringComparer.Ordinal)
    {
        "BadRequest", "Problem", "ValidationProblem", "StatusCode", "NotFound", "Conflict", "UnprocessableEntity",
        "Unauthorized", "Forbid", "InternalServerError",
    };

    public void Visit(IOperation operation, MethodScope scope)
    {
        RecordCreation(operation, scope);
        switch (operation)
        {
            case ICatchClauseOperation @catch
                when !scope.RunsAsLibraryCallback(@catch) && !InDetachedTask(@catch, scope.Types):
                VisitCatch(@catch, scope);
                break;
            case IInvocationOperation invocation
                when invocation.TargetMethod.Locations.Any(l => l.IsInSource) && !invocation.TargetMethod.ReturnsVoid:
                scope.Facts.ResultUses.Add(
                    new ResultUse(invocation.TargetMethod.OriginalDefinition, TurnsIntoFailure(invocation, scope),
                        IsDiscardedTask(invocation, scope.Types) || InDetachedTask(invocation, scope.Types)));
                break;
        }
    }

    private static void VisitCatch(ICatchClauseOperation @catch, MethodScope scope)
    {
        // What the team declares: a catch vouched for, one in a declared record, one of designed exception types.
        var intent = scope.Compilation.Intent;
        var tree = @catch.Syntax.SyntaxTree;
        if (intent.HandledByDesign(scope.Owner, ValueFlow.NestedFunctions(@catch))
            || (scope.Owner is IMethodSymbol method && intent.RecordsFailures(method, tree))
            || intent.DesignedException(@catch.ExceptionType, tree)
            || (CaughtTypes(@catch) is { Count: > 0 } taken && taken.All(type => intent.DesignedException(type, tree))))
        {
            return;
        }

        var handoff = scope.Compilation.Handoff;
        // A catch in a type's disposal is not read: the dispose pattern asks disposal not to throw (CA1065).
        if ((scope.Owner is IMethodSymbol owner && scope.Compilation.IsDisposal(owner))
            || handoff.Always(@catch.Handler) || (@catch.Filter is { } filter && handoff.Anywhere(filter)))
        {
            return;
        }

        var @try = @catch.Parent as ITryOperation;
        if (@try is not null && (DecodesInMemory(@catch, @try, scope) || HandedOnAfter(@catch, @try, handoff)
            || ThrownLater(@catch, @try, scope)))
        {
            return;
        }

        // A try that cannot throw, or only through interface or virtual calls of source, read at the end.
        var dispatched = new List<IMethodSymbol>();
        var quietIfHeld = @try is not null && scope.Compilation.CannotThrow(@try.Body, dispatched)
                ? dispatched.Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray() : default;
        // Work in memory, or the client's going away: only a programming error of the request's reaches the catch.
        if ((!quietIfHeld.IsDefault && quietIfHeld.IsEmpty) || ClientGoesAway(@catch, scope)
            || (@try is not null && AnyException(@catch.ExceptionType, scope.Types)
                && scope.Compilation.OnlyInMemory(@try.Body))
            || IsVersionFallback(@catch, scope))
        {
            return;
        }

        // A cancellation caught while a first failure is handled is a second exception: the request is being torn down,
        // and the first failure is its outer catch's.
        var handling = IsCancellation(@catch.ExceptionType, scope.Types) ? scope.HandlingOf(@catch) : Handling.Anytime;
        if (handling == Handling.InCatch)
        {
            return;
        }

        var location = @catch.Syntax is CatchClauseSyntax syntax ? syntax.CatchKeyword.GetLocation()
            : @catch.Syntax.GetLocation();
        // A bare catch (typed as object) swallows any exception.
        var caught = @catch.ExceptionType.SpecialType == SpecialType.System_Object ? "System.Exception"
                : @catch.ExceptionType.ToDisplayString();
        // The request's own failure by what the method shows: an error answered, or a model call given up; a send
        // whose client only the compilation can tell is read at its end.
        var answersError = scope.Compilation.AnswersRequest(@catch.Handler,
            ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol, byDesign: true);
        var given = @try is null ? null : CompilationFacts.GivenUpScope(@catch, @try);
        var sends = given is null ? new List<ModelCallSite>()
            : given.DescendantsAndSelf().OfType<IInvocationOperation>()
                .Select(call => UpstreamCollector.ModelCall(call, scope)).OfType<ModelCallSite>().ToList();
        scope.Facts.Swallows.Add(new SwallowSite(location, caught, ReturnsAResult(@catch, @try, scope), answersError,
                sends.Any(send => send.Evident) && !scope.Types.Caches(scope.Owner),
                CompilationFacts.AnswerCalls(@catch.Handler),
                given is null ? ImmutableArray<IMethodSymbol>.Empty : CompilationFacts.GivenUpCalls(given),
                sends.Select(send => send.Client).OfType<string>().Distinct().ToImmutableArray(),
                handling == Handling.InBody, OnlyCreatedHere(@catch, scope), quietIfHeld,
                FailsOpen(@catch, scope) || Relays(@catch, @try, scope) || RethrowsSome(@catch, @try, scope),
                sends.Where(s => !s.Evident && !(s.Inputs.Parameters.IsEmpty && s.Inputs.Names.IsEmpty)).Select(s =>
                    (UpstreamCallSite?)new UpstreamCallSite(s.Name, location, false, s.Inputs)).FirstOrDefault()));
    }

    /// <summary>What follows the try hands the failure on before anything leaves.</summary>
    private static bool HandedOnAfter(ICatchClauseOperation @catch, ITryOperation @try, FailureHandoff handoff)
    {
        if (@catch.Handler.Operations.Any(FailureHandoff.Leaves))
        {
            return false;
        }

        var assigned = @catch.Handler.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>()
            .Select(a => Symbol(a.Target)).OfType<ISymbol>().ToList();
        foreach (var next in FailureHandoff.Following(@try))
        {
            // A rethrow after it throws the outer failure: the one caught here is still dropped.
            var rethrow = next is IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation };
            if ((handoff.Always(next) && !rethrow)
                || (next is IConditionalOperation test && test.Condition.DescendantsAndSelf()
                    .Any(o => Symbol(o) is { } read && assigned.Contains(read, SymbolEqualityComparer.Default))
                    && (handoff.Always(test.WhenTrue) || (test.WhenFalse is { } no && handoff.Always(no)))))
            {
                return true;
            }

            if (FailureHandoff.Leaves(next))
            {
                return false;
            }
        }

        return false;
    }

    private static ISymbol? Symbol(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    /// <summary>A guardrail that fails open: the check failed, the request goes on, the trace says it passed.</summary>
    private static bool FailsOpen(ICatchClauseOperation @catch, MethodScope scope)
    {
        var function = ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol;
        if (function?.ReturnType is not INamedTypeSymbol returned
            || (returned.IsGenericType ? returned.TypeArguments[0] : returned).Name != "GuardrailVerdict")
        {
            return false;
        }

        static bool Blocks(IReturnOperation leave) => leave.ReturnedValue is { } value
            && ValueFlow.Unwrap(value) is IInvocationOperation { TargetMethod.Name: "Block" };
        return !(@catch.Handler.Operations.LastOrDefault() is IReturnOperation
            && ValueFlow.Own(@catch.Handler).OfType<IReturnOperation>().All(Blocks));
    }

    /// <summary>A relay cut mid-body: the try reads an upstream's content and writes the answer.</summary>
    private static bool Relays(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope) =>
        @try is not null && !IsCancellation(@catch.ExceptionType, scope.Types) && scope.Types.HttpContent is { } content
        && ValueFlow.Own(@try.Body).OfType<IInvocationOperation>()
            .Any(call => call.Instance?.Type is { } type && DerivesFrom(type, content))
        && scope.Compilation.AnswersRequest(@try.Body, null)
        // A function that returns its answer (an IResult) has started the response only where it writes on it.
        && (!((ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol) is { } function
            && scope.Types.IsHttpAnswer(function.ReturnType)) || scope.Compilation.WritesOnResponse(@try.Body));

    /// <summary>A rethrow under a condition (not a cancellation, not a client's status), a success otherwise.</summary>
    private static bool RethrowsSome(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope) =>
        @try is not null && CompilationFacts.GivenUpScope(@catch, @try) is not ILoopOperation
        && !ValueFlow.Own(@catch.Handler).OfType<IReturnOperation>()
            .Any(r => r.ReturnedValue is { } value && !scope.Compilation.IsSuccess(value))
        && ValueFlow.Own(@catch.Handler).OfType<IThrowOperation>().Any(thrown => Guards(thrown, @catch.Handler)
            .Any(condition => !condition.DescendantsAndSelf().Any(test => test switch
            {
                IIsTypeOperation isType => IsCancellation(isType.TypeOperand, scope.Types),
                IIsPatternOperation { Pattern: ITypePatternOperation or IDeclarationPatternOperation } pattern =>
                    IsCancellation(pattern.Pattern.NarrowedType, scope.Types),
                IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } => true,
                _ => test.ConstantValue is { HasValue: true, Value: int code } && CompilationFacts.ClientMistake(code),
            })));

    /// <summary>The conditions of the <c>if</c>s around <paramref name="operation"/> inside
    /// <paramref name="root"/>.</summary>
    private static IEnumerable<IOperation> Guards(IOperation operation, IOperation root) =>
        ValueFlow.Steps(operation, root).Select(step => step.Parent is IConditionalOperation conditional
            && conditional.Condition != step.Child ? conditional.Condition : null).OfType<IOperation>();

    /// <summary>The client's going away: a cancellation filtered on the request's token, or unfiltered where only
    /// given tokens reach calls and nothing is exchanged over HTTP.</summary>
    private static bool ClientGoesAway(ICatchClauseOperation @catch, MethodScope scope) =>
        IsCancellation(@catch.ExceptionType, scope.Types) && (@catch.Filter is { } filter
            ? ValueFlow.Unwrap(filter) is IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } test
                && test.Instance is { } token && scope.Compilation.IsRequestToken(token, scope.CancellationToken)
            : @catch.Parent is ITryOperation @try && @try.Body.Descendants().OfType<IArgumentOperation>()
                .Where(a => a.ArgumentKind == ArgumentKind.Explicit && a.Parameter?.Type.Name == "CancellationToken")
                .ToList() is { Count: > 0 } tokens && tokens.All(a =>
                    scope.Compilation.IsRequestToken(a.Value, scope.CancellationToken, given: true))
                && !scope.Compilation.ExchangesOverHttp(@try.Body, scope.CancellationToken));

    private static bool IsCancellation(ITypeSymbol type, WellKnownTypes types) =>
        types.OperationCanceledException is { } cancelled && DerivesFrom(type, cancelled);

    /// <summary>In a lambda handed to <c>Task.Run</c> whose task is discarded or kept: the request never
    /// waits.</summary>
    /// <remarks>Unless the method awaits the kept task, or reads after the start an object the lambda was handed (a
    /// channel it fills; not a text): the request may wait on the work.</remarks>
    private static bool InDetachedTask(IOperation operation, WellKnownTypes types) => ValueFlow.Ancestors(operation)
        .Any(current => current is IAnonymousFunctionOperation lambda && Started(lambda) is { } start
            && DerivesFrom(start.Type, types.Task!)
            && ValueFlow.Outer(start).Parent is IExpressionStatementOperation or ISimpleAssignmentOperation
                { Target: IDiscardOperation or IFieldReferenceOperation or IPropertyReferenceOperation }
            && !ValueFlow.Ancestors(start).Last().Descendants().Any(o => o.Syntax.SpanStart > start.Syntax.Span.End
                && (o is IAwaitOperation { Operation: IMemberReferenceOperation awaited } && Same(awaited.Member,
                    (ValueFlow.Outer(start).Parent as ISimpleAssignmentOperation)?.Target is IMemberReferenceOperation
                        kept ? kept.Member : null) || (Handed(o) is { } symbol
                    && lambda.Descendants().Any(h => Same(Handed(h), symbol))))));

    /// <summary>A local or parameter holding an object work can fill (a channel; not a text).</summary>
    private static ISymbol? Handed(IOperation operation) => operation.Type is
        { IsReferenceType: true, SpecialType: not SpecialType.System_String } ? Symbol(operation) : null;

    private static IInvocationOperation? Started(IAnonymousFunctionOperation lambda) =>
        ValueFlow.Outer(lambda).Parent is IArgumentOperation
            { Parent: IInvocationOperation { TargetMethod.Name: "Run" or "StartNew" } run } ? run : null;

    /// <summary>Every path out of the catch returns a value from the method: the exception became its result.</summary>
    private static bool ReturnsAResult(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope) =>
        scope.Owner is IMethodSymbol { ReturnsVoid: false } method && !(IsTask(method.ReturnType, scope.Types)
            && method.ReturnType is INamedTypeSymbol { TypeArguments.Length: 0 })
        && @catch.Handler.Operations.LastOrDefault() is var last
        && (last is IReturnOperation { ReturnedValue: not null }
            || (last is not IBranchOperation && !@catch.Handler.Operations.Any(FailureHandoff.Leaves)
                && @try is not null && Next(@try) is IReturnOperation { ReturnedValue: not null }));

    /// <summary>The caller fails on the call's failure value (false, null): throws, reports or answers an error
    /// (true), or tries again (null).</summary>
    private static bool? TurnsIntoFailure(IInvocationOperation invocation, MethodScope scope)
    {
        var value = (IOperation)invocation;
        while (value.Parent is IAwaitOperation or IConversionOperation or IParenthesizedOperation)
        {
            value = value.Parent;
        }

        ILocalSymbol? stored = null;
        if (value.Parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
        {
            stored = declarator.Symbol;
        }
        else if (value.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Value == value)
        {
            // var (ok, text) = TryX(...): a Try-tuple's status is its bool element, when it has exactly one
            // (with two, which one says "failed" is not known: no status is assumed).
            var flags = DeconstructedLocals(deconstruction.Target)
                .Where(local => local.Type.SpecialType == SpecialType.System_Boolean).Take(2).ToList();
            stored = flags.Count == 1 ? flags[0] : null;
        }

        var statement = Statement(value);
        if ((stored is null ? statement : Next(statement)) is not IConditionalOperation test)
        {
            return false;
        }

        // The failure side is the branch taken when the result is its failure value (false for a bool, else null).
        object? failed = (stored?.Type ?? value.Type)?.SpecialType == SpecialType.System_Boolean ? false : null;
        var failure = (Conditions.Holds(test.Condition, o => Refers(o, value, stored) ? failed : Conditions.Unknown)
            ?? Compared(ValueFlow.Unwrap(test.Condition), value, stored)) switch
        {
            true => test.WhenTrue,
            false => test.WhenFalse,
            null => null,
        };
        return failure is null ? false : Fails(failure, scope);
    }

    // A comparison of the result with any value: `x == Status.Failed` tests for the failure, `!=` for its absence.
    private static bool? Compared(IOperation condition, IOperation value, ILocalSymbol? stored) => condition
            is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
        && (Refers(compare.LeftOperand, value, stored) || Refers(compare.RightOperand, value, stored))
            ? compare.OperatorKind == BinaryOperatorKind.Equals : null;

    private static IEnumerable<ILocalSymbol> DeconstructedLocals(IOperation target) =>
        (target is IDeclarationExpressionOperation declaration ? declaration.Expression : target)
            is ITupleOperation tuple
            ? tuple.Elements
                .Select(element => element is IDeclarationExpressionOperation declared ? declared.Expression : element)
                .OfType<ILocalReferenceOperation>().Select(reference => reference.Local)
            : Enumerable.Empty<ILocalSymbol>();

    private static bool IsDiscardedTask(IInvocationOperation invocation, WellKnownTypes types) =>
        IsTask(invocation.TargetMethod.ReturnType, types)
        && invocation.Parent
            is ISimpleAssignmentOperation { Target: IDiscardOperation }
                or IConversionOperation { Parent: ISimpleAssignmentOperation { Target: IDiscardOperation } };

    private static bool Refers(IOperation operation, IOperation value, ILocalSymbol? stored) =>
        ValueFlow.Unwrap(operation) is var unwrapped
        && (unwrapped == value
            || (stored is not null && unwrapped is ILocalReferenceOperation local && Same(local.Local, stored))
            || (unwrapped is IAwaitOperation awaited && ValueFlow.Unwrap(awaited.Operation) == ValueFlow.Unwrap(value))
        );

    private static bool? Fails(IOperation branch, MethodScope scope)
    {
        if (scope.Compilation.Handoff.Always(branch))
        {
            return true;
        }

        var last = branch is IBlockOperation block ? block.Operations.LastOrDefault() : branch;
        return last is IBranchOperation { BranchKind: BranchKind.Continue } ? null
            : (last is IReturnOperation { ReturnedValue: { } returned }
                && ValueFlow.Unwrap(returned) is IInvocationOperation result
                && result.TargetMethod.ContainingType?.Name is "Results" or "TypedResults"
                && ErrorResults.Contains(result.TargetMethod.Name));
    }

    private static IOperation Statement(IOperation operation) =>
        operation.Parent is null or IBlockOperation ? operation : Statement(operation.Parent);

    private static IOperation? Next(IOperation statement) => statement.Parent is IBlockOperation block
        && block.Operations.IndexOf(statement) + 1 is > 0 and var next && next < block.Operations.Length
            ? block.Operations[next] : null;

    private static bool IsTask(ITypeSymbol type, WellKnownTypes types) => DerivesFrom(type, types.Task!)
        || Same(type.OriginalDefinition, types.ValueTask)
        || type.OriginalDefinition.ToDisplayString() == "System.Threading.Tasks.ValueTask<TResult>";
}
