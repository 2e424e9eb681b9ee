using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2004's facts: catch clauses that swallow, and how callers use what a method returns.
/// A catch hands the failure on when every path through it does (see <see cref="FailureHandoff"/>;
/// a catch that rethrows only some exceptions swallows the rest), when its <c>when</c> filter
/// reports it, or when the statement right after its <c>try</c> fails with what the catch left
/// (a connection failure turned into an error value that the next line fails the attempt with).
/// A parse probe is no swallow: the TryParse idiom written with try/catch, a format exception of
/// data parsed in memory that the catch only logs or turns into a result; nor a lookup probe, the
/// TryGetValue idiom (a missing key of an in-memory lookup), read the same way, nor a decode probe (a value decoded in
/// memory that is not in its format: a client's protected payload that does not decrypt, a token or a URI that does not
/// parse; see <see cref="DecodesInMemory"/>); nor a not-found failure answered with absence (see
/// <see cref="AnswersAbsence"/>); nor a try that only writes log lines (see <see cref="OnlyWritesLog"/>); nor a
/// caught exception kept and thrown later (see <see cref="ThrownLater"/>); nor a catch of argument-validation exceptions
/// only, a value decided (see <see cref="ChecksArgument"/>); nor an idempotent write that finds its target state already
/// there, a create answered 409 or a delete answered 404 (see <see cref="FindsStateThere"/>); nor a failed save answered
/// after the store is read again, the rest rethrown (see <see cref="RechecksStore"/>); nor a protocol-version fallback (see
/// <see cref="IsVersionFallback"/>); nor a catch no failure can reach, its whole try made of code that cannot throw (see
/// <see cref="CompilationFacts.CannotThrow(IOperation)"/>: arithmetic, tests, a call of a method that catches everything
/// itself; through an interface, when every implementation does, read at the end of the compilation). A catch of exception types only this compilation's code can create is kept with
/// those types (see <see cref="OnlyCreatedHere(ICatchClauseOperation, MethodScope)"/>): at the end of the compilation it
/// is reported only when code creates one of them; no code can throw what nothing creates. A catch that turns the exception into the method's return value is
/// kept with that mark: the rule decides at the end of the compilation whether every caller turns the
/// value into a failure (the Try-pattern). Nor
/// is a catch in a method every caller starts and discards (<c>_ = LogAsync(...)</c>): the request
/// does not wait for it, and a failure there could not reach its failure path either way. Nor is a
/// catch in code a referenced library runs later, from its own thread (a handler of its event, a timer's
/// callback: <see cref="MethodScope.RunsAsLibraryCallback"/>): the request neither runs nor awaits it.
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
            case ICatchClauseOperation @catch when !scope.RunsAsLibraryCallback(@catch):
                VisitCatch(@catch, scope);
                break;
            case IInvocationOperation invocation when invocation.TargetMethod.Locations.Any(l => l.IsInSource) && !invocation.TargetMethod.ReturnsVoid:
                scope.Facts.ResultUses.Add(new ResultUse(invocation.TargetMethod.OriginalDefinition, TurnsIntoFailure(invocation, scope), IsDiscardedTask(invocation, scope.Types)));
                break;
        }
    }

    private static void VisitCatch(ICatchClauseOperation @catch, MethodScope scope)
    {
        var handoff = scope.Compilation.Handoff;
        // A catch in a type's disposal is not read: the dispose pattern asks disposal not to throw (CA1065), so a catch there keeps
        // a cleanup's failure from its caller by design, and the request's own failure, if any, is the one its code hands on.
        if ((scope.Owner is IMethodSymbol owner && scope.Compilation.IsDisposal(owner)) || handoff.Always(@catch.Handler) || (@catch.Filter is { } filter && handoff.Anywhere(filter)))
        {
            return;
        }

        var @try = @catch.Parent as ITryOperation;
        if (@try is not null && (IsProbe(@catch, @try, scope) || DecodesInMemory(@catch, @try, scope) || AnswersAbsence(@catch, @try, scope) || IsDisposalRace(@catch, @try, scope) || OnlyWritesLog(@catch, @try, scope)
            || ChecksArgument(@catch, @try, scope) || FindsStateThere(@catch, @try, scope) || RechecksStore(@catch, @try, scope) || FailsRightAfter(@catch, @try, handoff) || ThrownLater(@catch, @try, scope)))
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
        // The request's own failure by what the method shows: the catch answers the request, or it takes what HttpClient throws
        // for a request it could not complete (an upstream call given up on, whatever the try calls: a delegate, a library's client).
        var requestsOwn = scope.Compilation.AnswersRequest(@catch.Handler, ValueFlow.NestedFunction(@catch) ?? scope.Owner as IMethodSymbol)
            || TakesTransportFailure(@catch, scope.Types);
        var givenUp = @try is null ? ImmutableArray<IMethodSymbol>.Empty : CompilationFacts.GivenUpCalls(@try);
        scope.Facts.Swallows.Add(new SwallowSite(location, caught, ReturnsAResult(@catch, @try, scope), requestsOwn, CompilationFacts.AnswerCalls(@catch.Handler), givenUp, handling == Handling.InBody, OnlyCreatedHere(@catch, scope), quietIfHeld));
    }

    /// <summary>
    /// A catch of <c>HttpRequestException</c> (what <c>HttpClient</c> and its handlers throw for a request they could not
    /// complete) or <c>HttpIOException</c> (a body that broke on the way), by its type or by a type test in its filter
    /// (<c>when (e is HttpRequestException)</c>; not a negated one, which excludes it).
    /// </summary>
    private static bool TakesTransportFailure(ICatchClauseOperation @catch, WellKnownTypes types)
    {
        bool Transport(ITypeSymbol? type) =>
            (types.HttpRequestException is { } request && WellKnownTypes.DerivesFrom(type, request))
            || (types.HttpIOException is { } body && WellKnownTypes.DerivesFrom(type, body));

        // A type test in the filter, not under a negation (`e is not HttpRequestException`, `!(e is ...)` exclude it).
        bool Negated(IOperation operation)
        {
            for (var current = operation.Parent; current is not null && current != @catch; current = current.Parent)
            {
                if (current is INegatedPatternOperation or IUnaryOperation { OperatorKind: UnaryOperatorKind.Not })
                {
                    return true;
                }
            }

            return false;
        }

        return Transport(@catch.ExceptionType)
            || (@catch.Filter is { } filter && filter.DescendantsAndSelf().Any(o => !Negated(o) && o switch
            {
                IIsTypeOperation test => !test.IsNegated && Transport(test.TypeOperand),
                ITypePatternOperation pattern => Transport(pattern.MatchedType),
                IDeclarationPatternOperation declaration => Transport(declaration.MatchedType),
                _ => false,
            }));
    }

    /// <summary>
    /// The TryParse idiom, and the TryGetValue one: the <c>try</c> reads data already in memory (no
    /// await, no upstream call, nothing that returns a task), the catch takes what parsing throws (a
    /// format exception; any exception when the try parses JSON and does nothing else that can fail) or
    /// what a lookup throws for a missing key (<c>KeyNotFoundException</c>, no filter), and it only
    /// logs, sets its out parameters and returns. The general form, any documented decoder in memory (an unprotect
    /// probe among them), is <see cref="DecodesInMemory"/>.
    /// </summary>
    private static bool IsProbe(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        var operations = @try.Body.DescendantsAndSelf().ToList();
        if (operations.Any(o => o is IAwaitOperation
                || (o is IInvocationOperation call && (types.UpstreamCall(call.TargetMethod) is not null || IsTask(call.TargetMethod.ReturnType, types)))))
        {
            return false;
        }

        var caught = @catch.ExceptionType;
        var anyException = caught.SpecialType == SpecialType.System_Object || WellKnownTypes.Same(caught, types.Exception);
        var parsesJson = operations.OfType<IInvocationOperation>().Any(call => types.IsJsonParsing(call.TargetMethod));
        var missingKey = types.KeyNotFoundException is { } missing && WellKnownTypes.DerivesFrom(caught, missing) && @catch.Filter is null;
        if (!types.IsFormatException(caught) && !missingKey && !(anyException && parsesJson && @catch.Filter is null))
        {
            return false;
        }

        return @catch.Handler.Operations.All(statement => statement switch
        {
            IReturnOperation => true,
            IExpressionStatementOperation { Operation: IInvocationOperation call } => scope.Compilation.IsLogCall(call),
            IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IParameterReferenceOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } } } => true,
            _ => false,
        });
    }

    /// <summary>
    /// A race with disposal: an <see cref="System.ObjectDisposedException"/> (no filter) caught around
    /// statements that each only arm or stop a timer or signal a cancellation (<see cref="WellKnownTypes.IsSignal"/>,
    /// their arguments computed without any other call), and a handler that only logs. The object's owner
    /// disposed it meanwhile: the tick or cancellation the call asked for has no one left to reach, and no
    /// request's data was in the call. A body that does anything else (a write, a cache or channel call, an
    /// await) is judged as usual.
    /// </summary>
    private static bool IsDisposalRace(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (@catch.Filter is not null || types.ObjectDisposedException is not { } disposed || !WellKnownTypes.Same(@catch.ExceptionType, disposed))
        {
            return false;
        }

        // Each statement is a call on a signal type, and nothing else in the body runs code of its own.
        var signals = @try.Body.Operations.All(statement => statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && types.IsSignal(call.TargetMethod))
            && @try.Body.DescendantsAndSelf().All(o => o switch
            {
                IInvocationOperation call => types.IsSignal(call.TargetMethod),
                IPropertyReferenceOperation property => property.Property.GetMethod is { } getter && types.IsSignal(getter),
                IObjectCreationOperation creation => creation.Constructor is { } constructor && types.IsSignal(constructor),
                IAwaitOperation or IDynamicInvocationOperation or IDynamicMemberReferenceOperation => false,
                _ => true,
            });
        return signals && @try.Body.Operations.Length > 0 && @catch.Handler.Operations.All(statement =>
            statement is IExpressionStatementOperation { Operation: IInvocationOperation call } && scope.Compilation.IsLogCall(call));
    }

    /// <summary>The statement after the try tests what the catch assigned and fails on it (every path of that branch hands the failure on).</summary>
    private static bool FailsRightAfter(ICatchClauseOperation @catch, ITryOperation @try, FailureHandoff handoff)
    {
        var assigned = @catch.Handler.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>()
            .Select(a => a.Target switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            })
            .Where(s => s is not null)
            .ToList();
        if (assigned.Count == 0 || @catch.Handler.Operations.Any(FailureHandoff.Leaves) || Next(@try) is not IConditionalOperation next)
        {
            return false;
        }

        var tested = next.Condition.DescendantsAndSelf().Any(o => o switch
        {
            ILocalReferenceOperation local => assigned.Contains(local.Local, SymbolEqualityComparer.Default),
            IParameterReferenceOperation parameter => assigned.Contains(parameter.Parameter, SymbolEqualityComparer.Default),
            _ => false,
        });
        return tested && (handoff.Always(next.WhenTrue) || (next.WhenFalse is { } otherwise && handoff.Always(otherwise)));
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
        var failed = new FailureValue(value, stored, (stored?.Type ?? value.Type)?.SpecialType == SpecialType.System_Boolean);
        var failure = (failed.Holds(test.Condition) ?? Compared(ValueFlow.Unwrap(test.Condition), value, stored)) switch
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

    /// <summary>
    /// A condition read with three values when a call's result is its failure value (<c>false</c> for a <c>bool</c>, <c>null</c>
    /// otherwise): whether it certainly holds, certainly does not, or depends on more (<c>null</c>). <c>&amp;&amp;</c>,
    /// <c>||</c> and <c>!</c> combine as C# evaluates them; a null-conditional access on a null result is null, which a
    /// comparison with a constant other than <c>null</c> and a lifted relational operator read as false.
    /// </summary>
    private readonly struct FailureValue(IOperation value, ILocalSymbol? stored, bool isBool)
    {
        private readonly IOperation _value = value;
        private readonly ILocalSymbol? _stored = stored;
        private readonly bool _isBool = isBool;

        public bool? Holds(IOperation condition)
        {
            condition = ValueFlow.Unwrap(condition);
            switch (condition)
            {
                case var _ when Refers(condition, _value, _stored):
                    return _isBool ? false : null;
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return !Holds(not.Operand);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                    var (leftAnd, rightAnd) = (Holds(and.LeftOperand), Holds(and.RightOperand));
                    return leftAnd == false || rightAnd == false ? false : leftAnd == true && rightAnd == true ? true : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
                    var (leftOr, rightOr) = (Holds(or.LeftOperand), Holds(or.RightOperand));
                    return leftOr == true || rightOr == true ? true : leftOr == false && rightOr == false ? false : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } compare:
                    var equal = EqualOnFailure(compare.LeftOperand, compare.RightOperand) ?? EqualOnFailure(compare.RightOperand, compare.LeftOperand);
                    return compare.OperatorKind == BinaryOperatorKind.Equals ? equal : !equal;
                case IBinaryOperation { IsLifted: true, OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual } relational
                    when (IsNullOnFailure(relational.LeftOperand) && ValueFlow.Unwrap(relational.RightOperand).ConstantValue.HasValue)
                        || (IsNullOnFailure(relational.RightOperand) && ValueFlow.Unwrap(relational.LeftOperand).ConstantValue.HasValue):
                    return false;
                case IIsPatternOperation pattern when Refers(pattern.Value, _value, _stored) || IsNullOnFailure(pattern.Value):
                    return Matches(pattern.Pattern, _isBool && Refers(pattern.Value, _value, _stored) ? false : null);
                case IInvocationOperation { TargetMethod: { Name: "IsNullOrEmpty" or "IsNullOrWhiteSpace", ContainingType.SpecialType: SpecialType.System_String }, Arguments.Length: 1 } blank
                    when !_isBool && Refers(blank.Arguments[0].Value, _value, _stored):
                    return true;
                default:
                    return null;
            }
        }

        // Whether `side == other` holds on failure, when `side` is the result (or a null-conditional access on it) and `other` a constant.
        private bool? EqualOnFailure(IOperation side, IOperation other)
        {
            other = ValueFlow.Unwrap(other);
            if (!other.ConstantValue.HasValue)
            {
                return null;
            }

            var constant = other.ConstantValue.Value;
            if (Refers(side, _value, _stored))
            {
                return _isBool ? constant is bool flag ? !flag : null : constant is null ? true : null;
            }

            return IsNullOnFailure(side) ? constant is null : null;
        }

        // A null-conditional access on a result that is null (`x?.Count`, `x?.Any()`), which is null too.
        private bool IsNullOnFailure(IOperation operation) =>
            !_isBool && ValueFlow.Unwrap(operation) is IConditionalAccessOperation access && Refers(access.Operation, _value, _stored);

        // Whether the pattern matches the failure value (`false`, or null when `asBool` is null): three-valued as Holds.
        private static bool? Matches(IPatternOperation pattern, bool? asBool) => pattern switch
        {
            IConstantPatternOperation constant when constant.Value.ConstantValue.HasValue =>
                asBool is { } flag ? constant.Value.ConstantValue.Value is bool value ? value == flag : false : constant.Value.ConstantValue.Value is null,
            INegatedPatternOperation negated => !Matches(negated.Pattern, asBool),
            IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } both =>
                Matches(both.LeftPattern, asBool) is var left && Matches(both.RightPattern, asBool) is var right && (left == false || right == false) ? false : left == true && right == true ? true : null,
            IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } either =>
                Matches(either.LeftPattern, asBool) is var left && Matches(either.RightPattern, asBool) is var right && (left == true || right == true) ? true : left == false && right == false ? false : null,
            IDiscardPatternOperation => true,
            IDeclarationPatternOperation declaration when asBool is null => declaration.MatchesNull,
            ITypePatternOperation or IRecursivePatternOperation or IRelationalPatternOperation when asBool is null => false,
            _ => null,
        };
    }

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
}
