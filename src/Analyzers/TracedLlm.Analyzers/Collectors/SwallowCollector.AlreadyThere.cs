using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of an idempotent write that finds its target state already there.
internal sealed partial class SwallowCollector
{
    /// <summary>HTTP's answer to a create whose target already exists (RFC 9110, 15.5.10: 409 Conflict).</summary>
    private const int Conflict = 409;

    /// <summary>HTTP's answer to a request whose target is not there (RFC 9110, 15.5.5: 404 Not Found).</summary>
    private const int NotFound = 404;

    /// <summary>
    /// The verbs .NET names a read with (<c>GetCustomerById</c>, <c>FindAsync</c>, <c>SearchAsync</c>): a read answered 404 found
    /// nothing at its target (RFC 9110, 15.5.5), and absence is what it answers, as a lookup's "none".
    /// </summary>
    private static readonly string[] ReadVerbs = { "Get", "Find", "Read", "Search", "Query", "Load", "Fetch", "Retrieve", "Lookup" };

    /// <summary>
    /// An idempotent write that finds its target state already there: the <c>try</c> makes no upstream call and, besides
    /// log calls, does one thing, a write named for what it does (<see cref="WriteStatus"/>: a create answered 409 finds
    /// the item with that id there, a delete answered 404 finds it gone); every path through the catch hands the failure
    /// on, except the one reached only through a test that the caught exception's HTTP status is exactly that code
    /// (<see cref="AlreadyThere.Tests"/>), which only logs and then returns nothing or an absent value, returns the item
    /// the create was given, or falls out of the catch where nothing runs after the <c>try</c>. The write's target state,
    /// the item there or gone, is what the request asked for: nothing failed (RFC 9110, 9.2.2: repeating an idempotent
    /// request has the effect of making it once).
    /// </summary>
    private static bool FindsStateThere(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        var types = scope.Types;
        if (@catch.ExceptionDeclarationOrExpression is not IVariableDeclaratorOperation { Symbol: { } exception }
            || Write(@try, scope) is not { } write || WriteStatus(write.TargetMethod) is not { } status
            || CallsUpstreamItself(@try, types)
            // A typed client of source named as a read or a write that calls a model is a model call: its 404 or 409 is a
            // failed generation (a model or deployment not there), not an item absent or present.
            || scope.Compilation.CallsUpstream(write.TargetMethod))
        {
            return false;
        }

        var reading = new AlreadyThere(exception, status, write, @try, scope);
        return reading.Covered(@catch.Handler.Operations, @catch.Filter is { } filter && reading.Tests(filter));
    }

    /// <summary>
    /// The <c>try</c>'s one write: its statements, log calls aside, are one, whose value (a statement, a <c>return</c>, a local's
    /// initializer or assignment) is a call, awaited perhaps (<c>ConfigureAwait</c> too), with nothing awaited in its receiver
    /// or arguments and no task made there: what fails in the <c>try</c> is that call.
    /// </summary>
    private static IInvocationOperation? Write(ITryOperation @try, MethodScope scope)
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
        return value is IInvocationOperation write
            && write.ChildOperations.SelectMany(child => child.DescendantsAndSelf()).All(o => o is not IAwaitOperation
                && !(o is IInvocationOperation call && IsTask(call.TargetMethod.ReturnType, scope.Types)))
            ? write
            : null;
    }

    /// <summary>
    /// The status that finds a write's target state there, from the write's name as .NET names methods (a verb first):
    /// <c>Create*</c>, <c>Add*</c>, <c>Insert*</c> make an item, and 409 says one with that id is there; <c>Delete*</c>,
    /// <c>Remove*</c> take it away, and 404 says it is not there; a read (<see cref="ReadVerbs"/>) answered 404 found nothing,
    /// which it answers with absence only (<see cref="AlreadyThere.AnswersDone"/>). A name that joins another verb (<c>CreateOrUpdate</c>,
    /// <c>AddOrReplace</c>: an upsert, which a 409 does not find done) or that only starts with the letters
    /// (<c>Address</c>) is none.
    /// </summary>
    private static int? WriteStatus(IMethodSymbol method)
    {
        var name = (method.ReducedFrom ?? method).Name;
        if (JoinsAnother(name))
        {
            return null;
        }

        bool Starts(string verb) => name.StartsWith(verb, System.StringComparison.Ordinal) && (name.Length == verb.Length || char.IsUpper(name[verb.Length]));
        return Starts("Create") || Starts("Add") || Starts("Insert") ? Conflict
            : Starts("Delete") || Starts("Remove") || ReadVerbs.Any(Starts) ? NotFound
            : null;
    }

    /// <summary>A name that joins another condition or verb with <c>Or</c> (<c>CreateOrUpdate</c>, <c>IsNotFoundOrTransient</c>).</summary>
    private static bool JoinsAnother(string name)
    {
        for (var i = 1; i + 2 < name.Length; i++)
        {
            if (name[i] == 'O' && name[i + 1] == 'r' && char.IsLower(name[i - 1]) && char.IsUpper(name[i + 2]))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class AlreadyThere
    {
        private readonly ILocalSymbol _exception;
        private readonly int _status;
        private readonly IInvocationOperation _write;
        private readonly ITryOperation _try;
        private readonly MethodScope _scope;

        public AlreadyThere(ILocalSymbol exception, int status, IInvocationOperation write, ITryOperation @try, MethodScope scope)
        {
            _exception = exception;
            _status = status;
            _write = write;
            _try = @try;
            _scope = scope;
        }

        /// <summary>
        /// Every path through <paramref name="statements"/> hands the failure on, or, once <paramref name="there"/> (past a
        /// true test of the status), only logs and answers as the write done would (<see cref="AnswersDone"/>). An <c>if</c>
        /// splits the path: each branch goes on with the statements after it.
        /// </summary>
        public bool Covered(IEnumerable<IOperation> statements, bool there)
        {
            var rest = statements.ToList();
            for (var i = 0; i < rest.Count; i++)
            {
                var statement = rest[i];
                if (_scope.Compilation.Handoff.Always(statement))
                {
                    return true;
                }

                if (there)
                {
                    if (IsLogStatement(statement, _scope) || statement is IEmptyOperation)
                    {
                        continue;
                    }

                    return statement is IReturnOperation { Kind: OperationKind.Return or OperationKind.YieldBreak } leave && AnswersDone(leave.ReturnedValue);
                }

                if (statement is IConditionalOperation conditional && (conditional.Type is null || conditional.Type.SpecialType == SpecialType.System_Void))
                {
                    var after = rest.Skip(i + 1).ToList();
                    return Covered(Branch(conditional.WhenTrue).Concat(after), Tests(conditional.Condition))
                        && Covered(Branch(conditional.WhenFalse).Concat(after), TestsOther(conditional.Condition));
                }

                if (FailureHandoff.Leaves(statement))
                {
                    return false;
                }
            }

            // Out of the catch: the method must end there, as it ends for the write done.
            return there && NothingRunsAfter(_try, _scope.Types);
        }

        /// <summary>
        /// The condition is exactly a test that the caught exception's status is the code: <c>e.StatusCode == HttpStatusCode.Conflict</c>,
        /// <c>e.Status == 404</c>, <c>e.StatusCode is HttpStatusCode.NotFound</c>, <c>e is { StatusCode: HttpStatusCode.Conflict }</c>.
        /// </summary>
        public bool Tests(IOperation condition) => ValueFlow.Unwrap(condition) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals => Compares(equals),
            IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern => IsStatus(pattern.Value) && IsCode(constant.Value),
            IIsPatternOperation { Pattern: IRecursivePatternOperation { DeconstructionSubpatterns.Length: 0, PropertySubpatterns: { Length: 1 } properties } } pattern =>
                IsException(pattern.Value) && properties[0] is { Member: IPropertyReferenceOperation member, Pattern: IConstantPatternOperation constant }
                && IsStatusProperty(member.Property) && IsCode(constant.Value),
            _ => false,
        };

        /// <summary>The condition is exactly a test that the status is not the code (<c>!=</c>, <c>is not</c>, <c>!</c>): its <c>else</c> is reached through the status.</summary>
        private bool TestsOther(IOperation condition) => ValueFlow.Unwrap(condition) switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.NotEquals } notEquals => Compares(notEquals),
            IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation constant } } pattern => IsStatus(pattern.Value) && IsCode(constant.Value),
            IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not => Tests(not.Operand),
            _ => false,
        };

        private bool Compares(IBinaryOperation comparison) =>
            (IsStatus(comparison.LeftOperand) && IsCode(comparison.RightOperand)) || (IsStatus(comparison.RightOperand) && IsCode(comparison.LeftOperand));

        /// <summary>A status property of the caught exception itself.</summary>
        private bool IsStatus(IOperation operation) =>
            ValueFlow.Unwrap(operation) is IPropertyReferenceOperation { Instance: { } instance } status && IsException(instance) && IsStatusProperty(status.Property);

        private bool IsException(IOperation operation) => ValueFlow.Unwrap(operation) is ILocalReferenceOperation local && WellKnownTypes.Same(local.Local, _exception);

        /// <summary>
        /// An HTTP status: a property typed <c>System.Net.HttpStatusCode</c> (or its nullable), or an <c>int</c> named as HTTP names
        /// it (<c>Status</c>, <c>StatusCode</c>); no other number (an <c>HResult</c>, an error number) is read as one.
        /// </summary>
        private bool IsStatusProperty(IPropertySymbol property)
        {
            var type = property.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments: { Length: 1 } arguments } ? arguments[0] : property.Type;
            return (_scope.Types.HttpStatusCode is { } httpStatus && WellKnownTypes.Same(type, httpStatus))
                || (type.SpecialType == SpecialType.System_Int32 && property.Name is "Status" or "StatusCode");
        }

        private bool IsCode(IOperation operation) =>
            ValueFlow.Unwrap(operation).ConstantValue is { HasValue: true, Value: int code } && code == _status;

        /// <summary>
        /// What the write done would answer: nothing, an absent value (<see cref="IsAbsent"/>), or, for a create, the item it
        /// was given (a local or parameter passed to the write and not assigned in the <c>try</c> or the catch).
        /// </summary>
        private bool AnswersDone(IOperation? returned)
        {
            if (returned is null || IsAbsent(returned, _scope.Types))
            {
                return true;
            }

            var given = ValueFlow.Unwrap(returned) switch
            {
                IParameterReferenceOperation parameter => (ISymbol)parameter.Parameter,
                ILocalReferenceOperation local => local.Local,
                _ => null,
            };
            bool Names(IOperation operation) => ValueFlow.Unwrap(operation) switch
            {
                IParameterReferenceOperation parameter => WellKnownTypes.Same(parameter.Parameter, given),
                ILocalReferenceOperation local => WellKnownTypes.Same(local.Local, given),
                _ => false,
            };
            return _status == Conflict && given is not null
                && _write.Arguments.Any(argument => Names(argument.Value))
                && !_try.DescendantsAndSelf().Any(o => o is IAssignmentOperation assignment && Names(assignment.Target));
        }
    }
}
