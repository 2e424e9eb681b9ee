using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a failed save answered after the store is read again.
internal sealed partial class SwallowCollector
{
    /// <summary>
    /// The client errors a re-read of the store can answer: the row is gone (404), the name or key is taken (409, or the 400
    /// and 422 an API may answer a taken name with).
    /// </summary>
    private static readonly HashSet<string> StateAnswers = new(System.StringComparer.Ordinal)
    {
        "NotFound", "Conflict", "BadRequest", "UnprocessableEntity", "ValidationProblem",
    };

    /// <summary>
    /// A failed save answered after the store is read again, the pattern ASP.NET Core's scaffolding writes for Entity
    /// Framework Core (<c>catch (DbUpdateConcurrencyException) { if (!ItemExists(id)) return NotFound(); else throw; }</c>):
    /// the catch takes EF Core's <c>DbUpdateException</c> (a <c>DbUpdateConcurrencyException</c> among them: a row changed
    /// or deleted since it was read), with no filter, around a <c>try</c> that, log calls aside, only saves
    /// (<c>SaveChanges</c> or <c>SaveChangesAsync</c>); its handler, log calls and locals set from a read aside, is one
    /// <c>if</c> whose condition reads the store again (<see cref="ReadsStore"/>: <c>ItemExists(id)</c>, <c>AnyAsync(...)</c>,
    /// directly or through a local set from one) and that hands the failure on on one side (a rethrow, a throw, a failure
    /// logger: <see cref="Facts.FailureHandoff.Always(IOperation)"/>) and, on the other, returns a client error
    /// naming the state the read finds there (<see cref="StateAnswers"/>: 404 where it finds nothing, <c>!ItemExists(id)</c>;
    /// 409, 400 or 422 where it finds the name taken). Neither exception says why the save failed; the
    /// fresh read does, the catch answers only the state the read shows, and every other failure goes on to the failure path.
    /// </summary>
    private static bool RechecksStore(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        if (@catch.Filter is not null || scope.Types.DbUpdateException is not { } saveFailure || !WellKnownTypes.DerivesFrom(@catch.ExceptionType, saveFailure)
            || Save(@try, scope) is not { TargetMethod.Name: "SaveChanges" or "SaveChangesAsync" })
        {
            return false;
        }

        var read = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        var statements = @catch.Handler.Operations.Where(statement => !IsLogStatement(statement, scope)).ToList();
        var i = 0;
        for (; i < statements.Count && statements[i] is IVariableDeclarationGroupOperation group; i++)
        {
            foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
            {
                if (declarator.GetVariableInitializer()?.Value is not { } value || !ReadsStore(value, scope.Types))
                {
                    return false;
                }

                read.Add(declarator.Symbol);
            }
        }

        if (i >= statements.Count || statements[i] is not IConditionalOperation { Condition: var condition } test
            || !(ReadsStore(condition, scope.Types) || condition.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Any(local => read.Contains(local.Local))))
        {
            return false;
        }

        // The two sides: the branches, or the branch and what follows the if when it has no else.
        var rest = statements.Skip(i + 1).ToList();
        var whenTrue = Flatten(test.WhenTrue, scope);
        var whenFalse = test.WhenFalse is { } otherwise ? Flatten(otherwise, scope) : rest;
        if (test.WhenFalse is not null && rest.Count > 0)
        {
            return false;
        }

        // The answer's side must be the state it names: "gone" (404) where the read finds nothing (`!ItemExists(id)`), "taken"
        // (409, 400, 422) where it finds something (`if (taken)`).
        var absent = TestsAbsence(condition);
        return (HandsOn(whenTrue, scope) && AnswersState(whenFalse) is { } onFalse && onFalse == !absent)
            || (AnswersState(whenTrue) is { } onTrue && onTrue == absent && HandsOn(whenFalse, scope));
    }

    /// <summary>
    /// A read of the store: a call of a method of source (<c>ItemExists(id)</c>), of an asynchronous one (<c>AnyAsync</c>,
    /// <c>FindAsync</c>) or of LINQ over a query (<c>Queryable.Any</c>); not a member of a string, a primitive or an exception.
    /// </summary>
    private static bool ReadsStore(IOperation operation, WellKnownTypes types) =>
        operation.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
            call.TargetMethod is var method && method.ContainingType is { } owner
            && owner.SpecialType == SpecialType.None && !(types.Exception is { } exception && WellKnownTypes.DerivesFrom(owner, exception))
            && (method.Locations.Any(location => location.IsInSource) || IsTask(method.ReturnType, types)
                || owner.ToDisplayString() == "System.Linq.Queryable"));

    // A condition that tests for absence: `!call`, `x == null`, `x is null`, `x == false`, `x is false`.
    private static bool TestsAbsence(IOperation condition) => ValueFlow.Unwrap(condition) switch
    {
        IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } => true,
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals => IsNullOrFalse(equals.RightOperand) || IsNullOrFalse(equals.LeftOperand),
        IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var value } } => IsNullOrFalse(value),
        _ => false,
    };

    private static bool IsNullOrFalse(IOperation operation) =>
        ValueFlow.Unwrap(operation).ConstantValue is { HasValue: true, Value: null or false };

    private static List<IOperation> Flatten(IOperation branch, MethodScope scope) =>
        (branch is IBlockOperation block ? block.Operations.AsEnumerable() : new[] { branch }).Where(statement => !IsLogStatement(statement, scope)).ToList();

    // The other side only hands the failure on, as the rule reads a handoff everywhere (`throw;`, a throw, a failure logger).
    private static bool HandsOn(List<IOperation> statements, MethodScope scope) =>
        statements.Count == 1 && scope.Compilation.Handoff.Always(statements[0]);

    /// <summary>
    /// Only a return of a client error naming the state: <c>NotFound()</c>, <c>Conflict(...)</c>, <c>Results.BadRequest(...)</c>,
    /// <c>StatusCode(404)</c>. True for "gone" (404), false for "taken" (409, 400, 422), null for anything else.
    /// </summary>
    private static bool? AnswersState(List<IOperation> statements)
    {
        if (statements.Count != 1 || statements[0] is not IReturnOperation { ReturnedValue: { } value }
            || ValueFlow.Unwrap(value) is not IInvocationOperation { TargetMethod: var method } answer)
        {
            return null;
        }

        if (method.Name == "StatusCode")
        {
            return answer.Arguments.FirstOrDefault()?.Value.ConstantValue is { HasValue: true, Value: int code } && code is 400 or 404 or 409 or 422
                ? code == 404 : null;
        }

        return StateAnswers.Contains(method.Name) ? method.Name == "NotFound" : null;
    }

    /// <summary>
    /// The <c>try</c>'s one call, log calls aside: its one statement's value (a statement, a <c>return</c>, a local's
    /// initializer or assignment) is a call, awaited perhaps (<c>ConfigureAwait</c> too), with nothing awaited in its receiver or
    /// arguments and no task made there: what fails in the <c>try</c> is that call.
    /// </summary>
    private static IInvocationOperation? Save(ITryOperation @try, MethodScope scope)
    {
        var done = @try.Body.Operations.Where(statement => !IsLogStatement(statement, scope)).ToList();
        var value = done.Count != 1 ? null : done[0] switch
        {
            IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation } assignment } => assignment.Value,
            IExpressionStatementOperation statement => statement.Operation,
            IReturnOperation { Kind: OperationKind.Return, ReturnedValue: { } returned } => returned,
            IVariableDeclarationGroupOperation group when group.Declarations.SelectMany(d => d.Declarators).ToList() is { Count: 1 } declarators
                && declarators[0].GetVariableInitializer() is { } initializer => initializer.Value,
            _ => null,
        };
        if (value is null)
        {
            return null;
        }

        value = ValueFlow.Unwrap(value);
        value = value is IAwaitOperation awaited ? ValueFlow.Unwrap(awaited.Operation) : value;
        value = value is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured } ? ValueFlow.Unwrap(configured) : value;
        return value is IInvocationOperation save
            && save.ChildOperations.SelectMany(child => child.DescendantsAndSelf()).All(o => o is not IAwaitOperation
                && !(o is IInvocationOperation call && IsTask(call.TargetMethod.ReturnType, scope.Types)))
            ? save
            : null;
    }
}
