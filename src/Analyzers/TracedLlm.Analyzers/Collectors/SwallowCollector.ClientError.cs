using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

// TLLM2004's reading of a client's error answered as the state it names.
internal sealed partial class SwallowCollector
{
    private const int BadRequest = 400;
    private const int Unprocessable = 422;

    /// <summary>The client errors ASP.NET Core's result factories name (<c>NotFound()</c>, <c>Results.Conflict()</c>...), by status.</summary>
    private static readonly Dictionary<string, int> ClientErrorFactories = new(System.StringComparer.Ordinal)
    {
        ["BadRequest"] = BadRequest, ["ValidationProblem"] = BadRequest, ["NotFound"] = NotFound, ["Conflict"] = Conflict, ["UnprocessableEntity"] = Unprocessable,
    };

    /// <summary>The statuses that answer each kind of client state: a value not valid, a target not there, a target already there.</summary>
    private static readonly int[] ForArgument = { BadRequest, NotFound, Unprocessable };
    private static readonly int[] ForNotFound = { NotFound, BadRequest, Unprocessable };
    private static readonly int[] ForAlreadyThere = { Conflict, BadRequest, Unprocessable };

    /// <summary>
    /// A client's error answered as the state it names: the catch takes only exceptions named for a state of what the client
    /// asked for (<see cref="ClientStates"/>: a value not valid, a target not there, a target already there) and its handler,
    /// log calls aside, returns one client error of ASP.NET Core's whose status names that state (<see cref="ClientErrorStatus"/>),
    /// or sets the response's status to one and only writes the response's body (<see cref="WritesBody"/>) before it returns
    /// or the method ends: 400 or 422 for a value not valid (404 too: an argument naming nothing), 404 for a target not there
    /// (400 or 422 too: a body naming what is not there), 409 for one already there (400 or 422 too: a name taken). The
    /// request asked for what cannot be, and the answer says so: by HTTP's semantics (RFC 9110, 15.5) a 4xx is the client's
    /// error, and by OpenTelemetry's HTTP conventions a server's span does not take one for a failure. The <c>try</c> makes no
    /// upstream call, itself or through a method of source (a model that answers "not found" is a failed generation). A
    /// handler that answers anything else (a 500, a 409 for a value not valid, a result of its own) is judged as usual.
    /// </summary>
    private static bool AnswersClientError(ICatchClauseOperation @catch, ITryOperation @try, MethodScope scope)
    {
        // The try's upstream calls: its own, and those of the methods of source it calls, three calls deep, here; through an
        // interface's or a virtual method's implementations at the end of the compilation (SwallowSite.ClientError waits).
        if (ClientStates(@catch, scope.Types) is not { } statuses
            || CallsUpstreamItself(@try, scope.Types)
            || @try.Body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call => call.TargetMethod.Locations.Any(l => l.IsInSource) && scope.Compilation.CallsUpstream(call.TargetMethod)))
        {
            return false;
        }

        // Log calls, then one return of a client-error result; or the response's status set to one, its body written, and
        // nothing more: a return of nothing, or the end of the catch when nothing runs after the try.
        int? written = null;
        foreach (var statement in @catch.Handler.Operations)
        {
            switch (statement)
            {
                case IReturnOperation { Kind: OperationKind.Return, ReturnedValue: { } answer }:
                    return written is null && ClientErrorStatus(answer) is { } status && statuses.Contains(status);
                case IReturnOperation { Kind: OperationKind.Return, ReturnedValue: null }:
                    return written is { } set && statuses.Contains(set);
                case IEmptyOperation:
                    break;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "StatusCode" } target } assignment }
                    when written is null && scope.Compilation.OnResponse(target) && ClientError(assignment.Value) is { } code:
                    written = code;
                    break;
                case var _ when IsPlainLog(statement, scope) || (written is not null && WritesBody(statement, scope)):
                    break;
                default:
                    return false;
            }
        }

        return written is { } last && statuses.Contains(last) && NothingRunsAfter(@try, scope.Types);
    }

    /// <summary>
    /// A statement that only writes the response's body or headers: a call of a library's (not of source) on the response,
    /// its headers or given the response first, whose name says it writes (<c>await response.WriteAsJsonAsync(...)</c>,
    /// <c>WriteAsync</c>) or adds a header (<c>Headers.Append(...)</c>), with no lambda, method group or call of source in its
    /// arguments; or a constant set on the response other than its status (<c>response.ContentType = "..."</c>).
    /// </summary>
    private static bool WritesBody(IOperation statement, MethodScope scope)
    {
        var operation = statement is IExpressionStatementOperation { Operation: var expression } ? ValueFlow.Unwrap(expression) : null;
        operation = operation is IAwaitOperation awaited ? ValueFlow.Unwrap(awaited.Operation) : operation;
        switch (operation)
        {
            case IInvocationOperation { TargetMethod: var method } call when !method.Locations.Any(l => l.IsInSource):
                var onResponse = call.Instance is { } instance ? scope.Compilation.OnResponse(instance) : call.Arguments.FirstOrDefault() is { } first && scope.Compilation.OnResponse(first.Value);
                return onResponse
                    && (method.Name.StartsWith("Write", System.StringComparison.Ordinal) || method.Name is "Append" or "Add" or "TryAdd")
                    && !call.Arguments.Any(argument => argument.Value.DescendantsAndSelf().Any(o => o is IAnonymousFunctionOperation or IMethodReferenceOperation
                        || (o is IInvocationOperation { TargetMethod: var called } && called.Locations.Any(l => l.IsInSource))));
            case ISimpleAssignmentOperation assignment:
                return scope.Compilation.OnResponse(assignment.Target) && assignment.Target is not IPropertyReferenceOperation { Property.Name: "StatusCode" }
                    && assignment.Value.ConstantValue.HasValue;
            default:
                return false;
        }
    }

    /// <summary>A log statement (<see cref="IsLogStatement"/>) whose arguments call no method of source and write nothing.</summary>
    private static bool IsPlainLog(IOperation statement, MethodScope scope) =>
        IsLogStatement(statement, scope)
        && !statement.DescendantsAndSelf().Skip(1).Any(o => o is IAssignmentOperation or IIncrementOrDecrementOperation
            || (o is IInvocationOperation { TargetMethod: var method } && method.Locations.Any(l => l.IsInSource) && !scope.Compilation.IsLogCall((IInvocationOperation)o)));

    /// <summary>A constant 4xx status, or null.</summary>
    private static int? ClientError(IOperation? code) =>
        code is not null && ValueFlow.Unwrap(code).ConstantValue is { HasValue: true, Value: int status } && status is >= 400 and < 500 ? status : null;

    /// <summary>
    /// The statuses that answer what the catch takes, when every type it takes (<see cref="CaughtTypes"/>) names a state of what
    /// the client asked for: argument validation (<c>ArgumentException</c> and the types derived from it, by .NET's design
    /// guidelines a value that is not valid), a target not there (<see cref="IsNotFoundType"/>), a target already there (a type
    /// whose name, or a base type's, says so: <see cref="IsAlreadyThereType"/>); the statuses every one of them allows. A
    /// <c>when</c> filter that names the state instead is read as the type would be: a call of a <c>bool</c> method named for a
    /// not-found given the exception (<see cref="IsNotFound"/>), or a test that the exception's message contains a constant
    /// naming a target already there (<c>e.Message.Contains("duplicate")</c>, the text a store's unique-key violation carries), taken at its
    /// word as a type's name is. <see langword="null"/> for anything else.
    /// </summary>
    private static int[]? ClientStates(ICatchClauseOperation @catch, WellKnownTypes types)
    {
        if (@catch.Filter is { } filter && @catch.ExceptionDeclarationOrExpression is IVariableDeclaratorOperation { Symbol: { } exception }
            && MessageNames(filter, exception) is { } named)
        {
            return named;
        }

        if (IsNotFound(@catch, types) && !IsNotFoundType(@catch.ExceptionType, types))
        {
            return ForNotFound;
        }

        if (CaughtTypes(@catch) is not { Count: > 0 } caught)
        {
            return null;
        }

        IEnumerable<int> allowed = new[] { BadRequest, NotFound, Conflict, Unprocessable };
        foreach (var type in caught)
        {
            var forType = types.ArgumentException is { } argument && WellKnownTypes.DerivesFrom(type, argument) ? ForArgument
                : IsNotFoundType(type, types) ? ForNotFound
                : IsAlreadyThereType(type) ? ForAlreadyThere
                : null;
            if (forType is null)
            {
                return null;
            }

            allowed = allowed.Intersect(forType);
        }

        return allowed.ToArray();
    }

    /// <summary>
    /// A type named for a target already there: its name, or the name of a type it derives from, ends in
    /// <c>AlreadyExistsException</c>, <c>DuplicateException</c> or <c>ConflictException</c>, or starts with <c>Duplicate</c>
    /// (<c>DuplicateNameException</c>, <c>DuplicateKeyException</c>), by the .NET guideline that an exception type names its condition.
    /// </summary>
    private static bool IsAlreadyThereType(ITypeSymbol caught)
    {
        for (var type = caught; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            var name = type.Name;
            if (name.EndsWith("Exception", System.StringComparison.Ordinal)
                && (name.EndsWith("AlreadyExistsException", System.StringComparison.Ordinal) || name.EndsWith("DuplicateException", System.StringComparison.Ordinal)
                    || name.EndsWith("ConflictException", System.StringComparison.Ordinal) || name.StartsWith("Duplicate", System.StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A filter that is exactly a test that the caught exception's <c>Message</c> contains a constant naming a target already
    /// there ("duplicate", "already exists"), case aside; its statuses, or null.
    /// </summary>
    private static int[]? MessageNames(IOperation filter, ILocalSymbol exception)
    {
        if (ValueFlow.Unwrap(filter) is not IInvocationOperation { TargetMethod: { Name: "Contains", ContainingType.SpecialType: SpecialType.System_String }, Instance: { } instance } contains
            || ValueFlow.Unwrap(instance) is not IPropertyReferenceOperation { Property.Name: "Message", Instance: { } owner }
            || ValueFlow.Unwrap(owner) is not ILocalReferenceOperation reference || !WellKnownTypes.Same(reference.Local, exception)
            || contains.Arguments.FirstOrDefault()?.Value.ConstantValue is not { HasValue: true, Value: string text })
        {
            return null;
        }

        // Only a target already there: "not found" and "does not exist" are also what a store says of its own schema (PostgreSQL's
        // "relation ... does not exist", a missing table), a server's failure.
        var lower = text.ToLowerInvariant();
        return lower.Contains("duplicate") || lower.Contains("already exist") ? ForAlreadyThere : null;
    }

    /// <summary>
    /// The status of a client error ASP.NET Core makes (a factory of <c>ControllerBase</c>, <c>Results</c> or <c>TypedResults</c>
    /// named for it, <see cref="ClientErrorFactories"/>; <c>StatusCode(code)</c> or <c>Problem(..., statusCode: code)</c> with a
    /// constant 4xx; a result type named for it, <c>new NotFoundObjectResult(...)</c>), or <see langword="null"/>.
    /// </summary>
    private static int? ClientErrorStatus(IOperation value)
    {
        switch (ValueFlow.Unwrap(value))
        {
            case IInvocationOperation { TargetMethod: var method } call when IsAspNetCore(method.ContainingType):
                return method.Name switch
                {
                    "StatusCode" => ClientError(call.Arguments.FirstOrDefault()?.Value),
                    "Problem" => ClientError(call.Arguments.FirstOrDefault(argument => argument.Parameter?.Name == "statusCode" && !argument.IsImplicit)?.Value),
                    _ => ClientErrorFactories.TryGetValue(method.Name, out var status) ? status : null,
                };
            case IObjectCreationOperation { Type: { } type, Initializer: null } creation when IsAspNetCore(type):
                var name = type.Name.EndsWith("ObjectResult", System.StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - "ObjectResult".Length)
                    : type.Name.EndsWith("Result", System.StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - "Result".Length)
                    : null;
                return name == "StatusCode" ? ClientError(creation.Arguments.FirstOrDefault()?.Value)
                    : name is not null && ClientErrorFactories.TryGetValue(name, out var made) ? made : null;
            default:
                return null;
        }
    }

    private static bool IsAspNetCore(ITypeSymbol? type) =>
        type?.ContainingNamespace?.ToDisplayString() is { } space && (space == "Microsoft.AspNetCore" || space.StartsWith("Microsoft.AspNetCore.", System.StringComparison.Ordinal));
}
