using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2004's and TLLM2007's facts: catch clauses that swallow, and how callers use what a method returns.
/// A catch hands the failure on when every path through it does (see <see cref="FailureHandoff"/>;
/// a catch that rethrows only some exceptions swallows the rest), when its <c>when</c> filter
/// reports it, or when the statement right after its <c>try</c> fails with what the catch left
/// (a connection failure turned into an error value that the next line fails the attempt with). Nor is it a swallow when
/// the code shows the failure is no failure of the request: a decode probe (a value decoded in memory that is not in its
/// format: <see cref="DecodesInMemory"/>),
/// a caught exception kept and thrown later (<see cref="ThrownLater"/>), a protocol-version fallback
/// (<see cref="IsVersionFallback"/>), a catch no failure can reach (<see cref="CompilationFacts.CannotThrow(IOperation)"/>;
/// through an interface, when every implementation cannot throw, read at the end of the compilation), a catch in a type's
/// disposal; nor when the team declares it (<see cref="DeclaredIntent"/>): a catch the author vouches for, in a method
/// that keeps its failures as their own record, of an exception type the team declares a designed answer. A catch of
/// exception types only this compilation's code can create is kept with those types (<see cref="OnlyCreatedHere(ICatchClauseOperation, MethodScope)"/>):
/// at the end of the compilation it is reported only when code creates one of them. A catch that turns the exception
/// into the method's return value is kept with that mark: the rule decides at the end of the compilation whether every
/// caller turns the value into a failure (the Try-pattern). Nor is a catch in a method every caller starts and discards
/// (<c>_ = LogAsync(...)</c>), nor one in code a referenced library runs later, from its own thread (a handler of its
/// event, a timer's callback: <see cref="MethodScope.RunsAsLibraryCallback"/>): the request neither runs nor awaits it.
/// </summary>
internal sealed partial class SwallowCollector : IFactCollector
{
    private static readonly HashSet<string> ErrorResults = new(System.StringComparer.Ordinal)
    {
        "BadRequest", "Problem", "ValidationProblem", "StatusCode", "NotFound", "Conflict", "UnprocessableEntity", "Unauthorized", "Forbid", "InternalServerError",
    };

    public void Visit(IOperation operation, MethodScope scope)
    {
        RecordCreation(operation, scope);
        switch (operation)
        {
            case ICatchClauseOperation @catch when !scope.RunsAsLibraryCallback(@catch) && !InDetachedTask(@catch, scope.Types):
                VisitCatch(@catch, scope);
                break;
            case IInvocationOperation invocation when invocation.TargetMethod.Locations.Any(l => l.IsInSource) && !invocation.TargetMethod.ReturnsVoid:
                scope.Facts.ResultUses.Add(new ResultUse(invocation.TargetMethod.OriginalDefinition, TurnsIntoFailure(invocation, scope), IsDiscardedTask(invocation, scope.Types)));
                break;
        }
    }

    private static void VisitCatch(ICatchClauseOperation @catch, MethodScope scope)
    {
        // What the team declares: a catch the author vouches for, one in a method that keeps the failure as its own record, one
        // of exception types that are designed answers (the caught type, whatever its filter narrows it to, or every type its
        // filter tests).
        var intent = scope.Compilation.Intent;
        var tree = @catch.Syntax.SyntaxTree;
        if (intent.HandledByDesign(scope.Owner, Functions(@catch))
            || (scope.Owner is IMethodSymbol method && intent.RecordsFailures(method, tree))
            || intent.DesignedException(@catch.ExceptionType, tree)
            || (CaughtTypes(@catch) is { Count: > 0 } taken && taken.All(type => intent.DesignedException(type, tree))))
        {
            return;
        }

        var handoff = scope.Compilation.Handoff;
        // A catch in a type's disposal is not read: the dispose pattern asks disposal not to throw (CA1065), so a catch there keeps
        // a cleanup's failure from its caller by design, and the request's own failure, if any, is the one its code hands on.
        if ((scope.Owner is IMethodSymbol owner && scope.Compilation.IsDisposal(owner)) || handoff.Always(@catch.Handler) || (@catch.Filter is { } filter && handoff.Anywhere(filter)))
        {
            return;
        }

        var @try = @catch.Parent as ITryOperation;
        if (@try is not null && (DecodesInMemory(@catch, @try, scope) || HandedOnAfter(@catch, @try, handoff) || ThrownLater(@catch, @try, scope)))
        {
            return;
        }

        // A try that cannot throw, or cannot but through calls of interface or virtual methods of source, whose implementations
        // are read at the end of the compilation.
        var dispatched = new List<IMethodSymbol>();
        var quietIfHeld = @try is not null && scope.Compilation.CannotThrow(@try.Body, dispatched) ? dispatched.Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray() : default;
        if (!quietIfHeld.IsDefault && quietIfHeld.IsEmpty)
        {
            return;
        }

        if (IsVersionFallback(@catch, scope))
        {
            return;
        }

        // A cancellation caught inside a catch clause's handler (or in a method run only from catch clauses)
        // is a second exception: the request is being torn down while its first failure is handled, and that
        // first failure is the one its outer catch hands on or is itself reported for. Any other exception
        // caught there is judged as usual: a fallback tried in a catch whose own failure is dropped still
        // answers the client as if nothing failed.
        var cancellation = scope.Types.OperationCanceledException is { } cancelled && WellKnownTypes.DerivesFrom(@catch.ExceptionType, cancelled);
        var handling = cancellation ? scope.HandlingOf(@catch) : Handling.Anytime;
        if (handling == Handling.InCatch)
        {
            return;
        }

        var location = @catch.Syntax is CatchClauseSyntax syntax ? syntax.CatchKeyword.GetLocation() : @catch.Syntax.GetLocation();
        // A bare catch (typed as object) swallows any exception.
        var caught = @catch.ExceptionType.SpecialType == SpecialType.System_Object ? "System.Exception" : @catch.ExceptionType.ToDisplayString();
        // The request's own failure by what the method shows: the catch answers the request with an error, or what it gives up
        // on makes a call the code shows is a model call; a send whose client only the compilation can tell is read at its end.
        var answersError = scope.Compilation.AnswersRequest(@catch.Handler, ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol);
        var given = @try is null ? null : CompilationFacts.GivenUpScope(@catch, @try);
        var sends = given is null ? new List<ModelCallSite>() : given.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Select(call => UpstreamCollector.ModelCall(call, scope)).OfType<ModelCallSite>().ToList();
        scope.Facts.Swallows.Add(new SwallowSite(location, caught, ReturnsAResult(@catch, @try, scope), answersError, sends.Any(send => send.Evident),
            CompilationFacts.AnswerCalls(@catch.Handler), given is null ? ImmutableArray<IMethodSymbol>.Empty : CompilationFacts.GivenUpCalls(given),
            sends.Select(send => send.Client).OfType<string>().Distinct().ToImmutableArray(), handling == Handling.InBody, OnlyCreatedHere(@catch, scope), quietIfHeld,
            FailsOpen(@catch, scope) || Relays(@catch, @try, scope) || RethrowsSome(@catch, @try, scope)));
    }

    /// <summary>The lambdas and local functions around an operation, innermost first.</summary>
    private static IEnumerable<IMethodSymbol> Functions(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILocalFunctionOperation local:
                    yield return local.Symbol;
                    break;
                case IAnonymousFunctionOperation lambda:
                    yield return lambda.Symbol;
                    break;
            }
        }
    }

    /// <summary>
    /// What runs after the try hands the failure on, before anything may leave: a statement that always does (a declared record
    /// the catch falls through to), or a test of what the catch assigned whose one branch always does (the next line fails the
    /// attempt with it). The catch itself leaves nothing out of that path.
    /// </summary>
    private static bool HandedOnAfter(ICatchClauseOperation @catch, ITryOperation @try, FailureHandoff handoff)
    {
        if (@catch.Handler.Operations.Any(FailureHandoff.Leaves))
        {
            return false;
        }

        var assigned = @catch.Handler.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>()
            .Select(a => a.Target switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            })
            .OfType<ISymbol>()
            .ToList();
        foreach (var next in FailureHandoff.Following(@try))
        {
            // A rethrow after it throws the outer failure: the one caught here is still dropped.
            if ((handoff.Always(next) && next is not (IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation }))
                || (next is IConditionalOperation test && TestsAssigned(test.Condition, assigned)
                && (handoff.Always(test.WhenTrue) || (test.WhenFalse is { } otherwise && handoff.Always(otherwise)))))
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

    private static bool TestsAssigned(IOperation condition, List<ISymbol> assigned) => condition.DescendantsAndSelf().Any(o => o switch
    {
        ILocalReferenceOperation local => assigned.Contains(local.Local, SymbolEqualityComparer.Default),
        IParameterReferenceOperation parameter => assigned.Contains(parameter.Parameter, SymbolEqualityComparer.Default),
        _ => false,
    });

    /// <summary>
    /// A guardrail that fails open: the catch is in a function that returns a guardrail's verdict, and does not block on
    /// every path (its last statement returns <c>GuardrailVerdict.Block(...)</c> and so does every return in it). The check
    /// failed and the request goes on, while the trace says the guardrail passed.
    /// </summary>
    private static bool FailsOpen(ICatchClauseOperation @catch, MethodScope scope)
    {
        if ((ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol)?.ReturnType is not INamedTypeSymbol returned
            || (returned.IsGenericType ? returned.TypeArguments[0] : returned).ToDisplayString() != "TracedLlm.GuardrailVerdict")
        {
            return false;
        }

        static bool Blocks(IReturnOperation leave) => leave.ReturnedValue is { } value && ValueFlow.Unwrap(value) is IInvocationOperation { TargetMethod.Name: "Block" };
        return !(@catch.Handler.Operations.LastOrDefault() is IReturnOperation && ValueFlow.Own(@catch.Handler).OfType<IReturnOperation>().All(Blocks));
    }

    /// <summary>
    /// A relay cut mid-body: the try reads an upstream response's content (<c>HttpContent</c>) and writes the request's answer,
    /// and the catch takes more than a cancellation. The client has part of a 200 and the trace a success.
    /// </summary>
    private static bool Relays(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope) =>
        @try is not null && !IsCancellation(@catch.ExceptionType, scope.Types) && scope.Types.HttpContent is { } content
        && ValueFlow.Own(@try.Body).OfType<IInvocationOperation>().Any(call => call.Instance?.Type is { } type && WellKnownTypes.DerivesFrom(type, content))
        && scope.Compilation.AnswersRequest(@try.Body, null);

    /// <summary>
    /// A conditional rethrow outside a retry loop: the catch rethrows under a condition that tests more than a cancellation or a
    /// client's status (a 404 kept by design), and goes on as a success otherwise (no error answer). The code says the
    /// exception can be the request's failure, and drops the rest.
    /// </summary>
    private static bool RethrowsSome(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope) =>
        @try is not null && CompilationFacts.GivenUpScope(@catch, @try) is not ILoopOperation
        && !ValueFlow.Own(@catch.Handler).OfType<IReturnOperation>().Any(r => r.ReturnedValue is { } value && !scope.Compilation.IsSuccess(value))
        && ValueFlow.Own(@catch.Handler).OfType<IThrowOperation>().Any(thrown => Guards(thrown, @catch.Handler)
            .Any(condition => !condition.DescendantsAndSelf().Any(test => test switch
            {
                IIsTypeOperation isType => IsCancellation(isType.TypeOperand, scope.Types),
                IIsPatternOperation { Pattern: ITypePatternOperation or IDeclarationPatternOperation } pattern => IsCancellation(pattern.Pattern.NarrowedType, scope.Types),
                IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } => true,
                _ => test.ConstantValue is { HasValue: true, Value: int code } && CompilationFacts.ClientMistake(code),
            })));

    /// <summary>The conditions of the <c>if</c>s around <paramref name="operation"/> inside <paramref name="root"/>.</summary>
    private static IEnumerable<IOperation> Guards(IOperation operation, IOperation root)
    {
        for (var current = operation; current != root && current.Parent is { } parent; current = parent)
        {
            if (parent is IConditionalOperation conditional && conditional.Condition != current)
            {
                yield return conditional.Condition;
            }
        }
    }

    private static bool IsCancellation(ITypeSymbol type, WellKnownTypes types) =>
        types.OperationCanceledException is { } cancelled && WellKnownTypes.DerivesFrom(type, cancelled);

    /// <summary>
    /// In a lambda handed to <c>Task.Run</c> or <c>TaskFactory.StartNew</c> whose task the code does not await or keep in a
    /// local (a discard, a statement, a field): the request does not wait for it, so nothing failing there is the request's.
    /// </summary>
    private static bool InDetachedTask(IOperation operation, WellKnownTypes types)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda && Started(lambda) is { } start && WellKnownTypes.DerivesFrom(start.Type, types.Task!))
            {
                IOperation task = start;
                while (task.Parent is IConversionOperation or IParenthesizedOperation)
                {
                    task = task.Parent;
                }

                if (task.Parent is IExpressionStatementOperation
                    || task.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation or IFieldReferenceOperation or IPropertyReferenceOperation })
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static IInvocationOperation? Started(IAnonymousFunctionOperation lambda)
    {
        IOperation value = lambda;
        while (value.Parent is IDelegateCreationOperation or IConversionOperation)
        {
            value = value.Parent;
        }

        return value.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Run" or "StartNew" } start } ? start : null;
    }

    /// <summary>Every path out of the catch returns a value from the method: the exception became its result.</summary>
    private static bool ReturnsAResult(ICatchClauseOperation @catch, ITryOperation? @try, MethodScope scope)
    {
        if (scope.Owner is not IMethodSymbol { ReturnsVoid: false } method || IsTask(method.ReturnType, scope.Types) && method.ReturnType is INamedTypeSymbol { TypeArguments.Length: 0 })
        {
            return false;
        }

        var last = @catch.Handler.Operations.LastOrDefault();
        return last is IReturnOperation { ReturnedValue: not null }
            || (last is not IBranchOperation && !@catch.Handler.Operations.Any(FailureHandoff.Leaves) && @try is not null && Next(@try) is IReturnOperation { ReturnedValue: not null });
    }

    /// <summary>
    /// What the caller does with a result when it signals a failure (false, null): fails on it
    /// (throws, reports, returns an error result) or moves on to the next try (<c>continue</c>).
    /// Read from an <c>if</c> on the call itself or on the local it is stored in by the statement before.
    /// </summary>
    private static bool TurnsIntoFailure(IInvocationOperation invocation, MethodScope scope)
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
            var flags = DeconstructedLocals(deconstruction.Target).Where(local => local.Type.SpecialType == SpecialType.System_Boolean).Take(2).ToList();
            stored = flags.Count == 1 ? flags[0] : null;
        }

        var statement = Statement(value);
        var test = stored is null ? statement as IConditionalOperation : Next(statement) as IConditionalOperation;
        if (test is null)
        {
            return false;
        }

        // The failure side is the branch the condition takes when the result is its failure value (false for a bool, null
        // otherwise): if (!Try(...)), if (x is null), if (x == null || x.Count == 0): WhenTrue; if (Try(...)) ... else,
        // if (x != null && x.Any()) ... else, if (x?.Any() == true) ... else: WhenFailed.
        object? failed = (stored?.Type ?? value.Type)?.SpecialType == SpecialType.System_Boolean ? false : null;
        var failure = (Conditions.Holds(test.Condition, o => Refers(o, value, stored) ? failed : Conditions.Unknown)
            ?? Compared(ValueFlow.Unwrap(test.Condition), value, stored)) switch
        {
            true => test.WhenTrue,
            false => test.WhenFalse,
            null => null,
        };
        return failure is not null && Fails(failure, scope);
    }

    // A comparison of the result with any value: `x == Status.Failed` tests for the failure, `x != Status.Failed` for its absence.
    private static bool? Compared(IOperation condition, IOperation value, ILocalSymbol? stored) =>
        condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare
            && (Refers(compare.LeftOperand, value, stored) || Refers(compare.RightOperand, value, stored))
            ? compare.OperatorKind == BinaryOperatorKind.Equals
            : null;

    private static IEnumerable<ILocalSymbol> DeconstructedLocals(IOperation target) =>
        (target is IDeclarationExpressionOperation declaration ? declaration.Expression : target) is ITupleOperation tuple
            ? tuple.Elements.Select(element => element is IDeclarationExpressionOperation declared ? declared.Expression : element).OfType<ILocalReferenceOperation>().Select(reference => reference.Local)
            : Enumerable.Empty<ILocalSymbol>();

    private static bool IsDiscardedTask(IInvocationOperation invocation, WellKnownTypes types) =>
        IsTask(invocation.TargetMethod.ReturnType, types)
        && invocation.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } or IConversionOperation { Parent: ISimpleAssignmentOperation { Target: IDiscardOperation } };

    private static bool Refers(IOperation operation, IOperation value, ILocalSymbol? stored) =>
        ValueFlow.Unwrap(operation) is var unwrapped
        && (unwrapped == value || (stored is not null && unwrapped is ILocalReferenceOperation local && WellKnownTypes.Same(local.Local, stored))
            || (unwrapped is IAwaitOperation awaited && ValueFlow.Unwrap(awaited.Operation) == ValueFlow.Unwrap(value)));

    private static bool Fails(IOperation branch, MethodScope scope)
    {
        if (scope.Compilation.Handoff.Always(branch))
        {
            return true;
        }

        var last = branch is IBlockOperation block ? block.Operations.LastOrDefault() : branch;
        return last is IBranchOperation { BranchKind: BranchKind.Continue }
            || (last is IReturnOperation { ReturnedValue: { } returned } && ValueFlow.Unwrap(returned) is IInvocationOperation result
                && result.TargetMethod.ContainingType?.Name is "Results" or "TypedResults" && ErrorResults.Contains(result.TargetMethod.Name));
    }

    private static IOperation Statement(IOperation operation)
    {
        while (operation.Parent is not null and not IBlockOperation)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    private static IOperation? Next(IOperation statement) => Sibling(statement, 1);

    private static IOperation? Previous(IOperation statement) => Sibling(statement, -1);

    private static IOperation? Sibling(IOperation statement, int offset)
    {
        if (statement.Parent is not IBlockOperation block)
        {
            return null;
        }

        var index = block.Operations.IndexOf(statement);
        return index >= 0 && index + offset >= 0 && index + offset < block.Operations.Length ? block.Operations[index + offset] : null;
    }

    private static bool IsTask(ITypeSymbol type, WellKnownTypes types) =>
        WellKnownTypes.DerivesFrom(type, types.Task!) || WellKnownTypes.Same(type.OriginalDefinition, types.ValueTask) || type.OriginalDefinition.ToDisplayString() == "System.Threading.Tasks.ValueTask<TResult>";

    // ----- A value read, not computed: what a probe's handler may keep.

    private static bool IsLogStatement(IOperation statement, MethodScope scope) =>
        statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && scope.Compilation.IsLogCall(call);

    /// <summary>
    /// A value read, not computed: locals, parameters, fields, literals, <c>default</c>, <c>nameof</c>, conversions,
    /// string interpolation and concatenation of these, arrays of them (a <c>params</c> argument), a method group (a
    /// formatter, run by the logger for the line), and property reads that run no code of the program: an
    /// auto-property of source, a static property of a referenced library (<c>Environment.NewLine</c>), a member of a
    /// type that computes in memory (<c>string.Length</c>). No call, no object creation, no await, no lambda, no
    /// user-defined operator or conversion, no interpolated string handler.
    /// </summary>
    private static bool ComputedWithoutCalls(IOperation value, WellKnownTypes types) => value.DescendantsAndSelf().All(o => !Deferred(o) && o switch
    {
        IPropertyReferenceOperation { Property: var property } => types.IsInMemory(property)
            || (property.IsStatic && property.Parameters.IsEmpty && !property.Locations.Any(l => l.IsInSource))
            || CompilationFacts.IsAutoProperty(property),
        IDelegateCreationOperation creation => creation.Target is IMethodReferenceOperation { Method: var formatter } && ComputesWithoutCalls(formatter),
        IBinaryOperation { OperatorMethod: not null } or IUnaryOperation { OperatorMethod: not null } or IConversionOperation { OperatorMethod: not null } => false,
        IInvocationOperation or IObjectCreationOperation or IAwaitOperation or IAnonymousFunctionOperation or IInterpolatedStringHandlerCreationOperation
            or IDynamicInvocationOperation or IDynamicMemberReferenceOperation or IDynamicObjectCreationOperation or IDynamicIndexerAccessOperation
            or IEventReferenceOperation or ITypeParameterObjectCreationOperation or IWithOperation => false,
        _ => true,
    });

    /// <summary>
    /// A value read as a sequence the logger would enumerate while it formats the line (a deferred query held in a local,
    /// an <c>IEnumerable&lt;T&gt;</c> parameter): enumerating it runs the program's code, inside the <c>try</c>.
    /// </summary>
    private static bool Deferred(IOperation operation) =>
        operation is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation
        && operation.Type is { TypeKind: TypeKind.Interface, SpecialType: var special } type
        && (special is SpecialType.System_Collections_IEnumerable or SpecialType.System_Collections_Generic_IEnumerable_T
            || type.AllInterfaces.Any(i => i.SpecialType is SpecialType.System_Collections_IEnumerable));

    /// <summary>
    /// A formatter the logger runs for the line: a library's, or one of source whose body makes no call, creates nothing
    /// and awaits nothing (<c>(state, e) =&gt; state</c>), read from its text.
    /// </summary>
    private static bool ComputesWithoutCalls(IMethodSymbol formatter) =>
        formatter.OriginalDefinition.DeclaringSyntaxReferences.All(reference => !reference.GetSyntax().DescendantNodes().Any(node =>
            node is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.BaseObjectCreationExpressionSyntax
                or Microsoft.CodeAnalysis.CSharp.Syntax.AwaitExpressionSyntax));

    // ----- A probe's handler, and the types a catch takes: what the decode probes and the catches of types only source creates read.

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

    // ----- TLLM2004's reading of a catch of an exception type that no code can throw.

    /// <summary>
    /// The types a catch takes (<see cref="CaughtTypes"/>: its declared type, or the types a <c>when</c> filter made only of
    /// type tests names) when every one of them is an exception type only this compilation's code can create
    /// (<see cref="CompilationFacts.OnlyCreatedHere"/>); default otherwise. Whether code creates one is known at the end
    /// of the compilation, from every block's <see cref="MethodFacts.Created"/>.
    /// </summary>
    private static ImmutableArray<ITypeSymbol> OnlyCreatedHere(ICatchClauseOperation @catch, MethodScope scope) =>
        CaughtTypes(@catch) is { Count: > 0 } caught && caught.All(scope.Compilation.OnlyCreatedHere)
            ? caught.Select(type => (ITypeSymbol)type.OriginalDefinition).ToImmutableArray()
            : default;

    /// <summary>
    /// Records the exception types of source this operation creates or names where a library could create one: an
    /// object created (<c>new T(...)</c>, target-typed <c>new(...)</c>, also with a <c>dynamic</c> argument), <c>typeof(T)</c>,
    /// a type argument of a method called or referenced (also one called with a <c>dynamic</c> argument) or of the type whose
    /// member is used (<c>Activator.CreateInstance&lt;T&gt;()</c>, a method with
    /// a <c>new()</c> constraint, <c>Factory&lt;T&gt;.Create()</c>). An exception created after a statement that records the
    /// failure (a declared record, a failure logger) is no failure left to record: a catch of it upstream has nothing to add.
    /// </summary>
    private static void RecordCreation(IOperation operation, MethodScope scope)
    {
        switch (operation)
        {
            case IObjectCreationOperation { Type: { } created }
                when !(created is INamedTypeSymbol named && scope.Compilation.IsSourceException(named) && RecordedBefore(operation, scope.Compilation.Handoff)):
                Record(created, scope);
                break;
            case IDynamicObjectCreationOperation { Type: { } created }:
                // new T(...) with a dynamic argument: bound at run time, the type is known here all the same.
                Record(created, scope);
                break;
            case IDynamicMemberReferenceOperation dynamic:
                // A generic method called with a dynamic argument (Make<T>(error.message)) names its type arguments here.
                foreach (var argument in dynamic.TypeArguments)
                {
                    Record(argument, scope);
                }

                RecordArguments(dynamic.ContainingType as INamedTypeSymbol, scope);
                break;
            case ITypeOfOperation typeOf:
                Record(typeOf.TypeOperand, scope);
                break;
            case IInvocationOperation invocation:
                RecordArguments(invocation.TargetMethod, scope);
                break;
            case IMemberReferenceOperation reference:
                if (reference.Member is IMethodSymbol method)
                {
                    RecordArguments(method, scope);
                }
                else
                {
                    RecordArguments(reference.Member.ContainingType, scope);
                }

                break;
        }
    }

    /// <summary>A statement before <paramref name="operation"/>, in its block or one around it, always hands the failure on.</summary>
    private static bool RecordedBefore(IOperation operation, FailureHandoff handoff)
    {
        for (var current = operation; current.Parent is { } parent; current = parent)
        {
            if (parent is IBlockOperation block && block.Operations.TakeWhile(o => o != current).Any(handoff.Always))
            {
                return true;
            }
        }

        return false;
    }

    private static void RecordArguments(IMethodSymbol method, MethodScope scope)
    {
        foreach (var argument in method.TypeArguments)
        {
            Record(argument, scope);
        }

        RecordArguments(method.ContainingType, scope);
    }

    private static void RecordArguments(INamedTypeSymbol? type, MethodScope scope)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            foreach (var argument in current.TypeArguments)
            {
                Record(argument, scope);
            }
        }
    }

    private static void Record(ITypeSymbol type, MethodScope scope)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                Record(array.ElementType, scope);
                return;
            case INamedTypeSymbol named:
                if (scope.Compilation.IsSourceException(named))
                {
                    scope.Facts.Created.Add(named.OriginalDefinition);
                }

                if (named.IsGenericType)
                {
                    RecordArguments(named, scope);
                }

                return;
        }
    }

    /// <summary>
    /// Every exception type of source that code of the compilation creates, with the types each derives from: a catch
    /// of one of these can be reached.
    /// </summary>
    internal static HashSet<ITypeSymbol> CreatedWithBases(IEnumerable<MethodFacts> methods)
    {
        var created = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var type in methods.SelectMany(facts => facts.Created))
        {
            for (var current = type; current is not null && created.Add(current.OriginalDefinition); current = current.BaseType)
            {
            }
        }

        return created;
    }
}
