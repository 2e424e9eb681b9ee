using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Facts;

// TLLM2004 and TLLM2007 part at a catch that answers the request with an error itself (the failure path, which writes the
// route's error and ends its spans, never sees the failure the client is answered for) or gives up on a model call (an
// attempt's failure, the product's own concern, goes unseen).
internal sealed partial class CompilationFacts
{
    private const int MaxAnswerDepth = 3;

    private readonly ConcurrentDictionary<IMethodSymbol, bool> _responseWriters = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// Whether code (a catch's handler) answers the request with an error by hand on some path through it: it returns from
    /// <paramref name="function"/> when that function's result is the answer (<see cref="WellKnownTypes.IsHttpAnswer"/>: an
    /// <c>IResult</c>, an <c>IActionResult</c>, an <c>ActionResult&lt;T&gt;</c>, a task of one), makes such a value
    /// (<c>Results.Problem()</c>, <c>StatusCode(500)</c>, <c>new ObjectResult(...)</c>, kept to be returned later), or writes
    /// the response (<c>HttpResponse</c>'s status, headers or body, the response handed to a writer, <c>IProblemDetailsService</c>),
    /// itself or through a method of source that does, three calls deep (an interface's implementations are not followed);
    /// not a success answer (<see cref="IsSuccess"/>: <c>Ok(...)</c>, a value, a status under 400), which is a fallback the
    /// client is given as if nothing failed, nor a client's own mistake answered by design (<see cref="ClientMistake"/>). Lambdas and local functions declared in the code run when they are called and
    /// are not read here.
    /// </summary>
    /// <remarks>
    /// Read in two steps: here, while a method is analysed, only the code itself (no other method's body is bound, so an
    /// editor's per-document analysis stays local); the methods of source it calls (<see cref="AnswerCalls"/>) are read at
    /// the end of the compilation, when a catch reached through calls is reported (<see cref="WritesResponse(IMethodSymbol)"/>).
    /// </remarks>
    public bool AnswersRequest(IOperation code, IMethodSymbol? function) =>
        ValueFlow.Own(code).Any(operation => operation switch
        {
            IReturnOperation { ReturnedValue: { } value } => function is not null && Types.IsHttpAnswer(function.ReturnType) && IsError(value),
            _ => WritesAnswer(operation, MaxAnswerDepth),
        });

    /// <summary>The methods of source <paramref name="code"/> calls as its own (not in a lambda or local function it declares).</summary>
    public static ImmutableArray<IMethodSymbol> AnswerCalls(IOperation code) =>
        ValueFlow.Own(code).OfType<IInvocationOperation>().Select(call => call.TargetMethod)
            .Where(method => method.Locations.Any(location => location.IsInSource)).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();

    /// <summary>A method of source whose body writes the request's answer (<see cref="AnswersRequest"/>'s reading of a call), three calls deep; cached.</summary>
    public bool WritesResponse(IMethodSymbol method) => WritesResponse(method, 1);

    /// <summary>
    /// What a catch gives up on (TLLM2004 and TLLM2007 part at it): its <c>try</c> block (lambdas and method groups it hands on
    /// included: a fan-out, <c>Task.Run</c>, a retry helper's delegate), or, when the <c>try</c> sits in a loop of its function
    /// and the catch may leave (<c>continue</c>, <c>break</c>, <c>return</c>), the whole loop (a fallback loop: the catch goes on to
    /// the next backend).
    /// </summary>
    public static IOperation GivenUpScope(ICatchClauseOperation @catch, ITryOperation @try)
    {
        // A catch that falls through goes on with the rest of the iteration: what follows the try is not given up.
        var leaves = @catch.Handler.Operations.Any(FailureHandoff.Leaves);
        for (var current = @try.Parent; leaves && current is not null and not IAnonymousFunctionOperation and not ILocalFunctionOperation; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                return loop;
            }
        }

        return @try.Body;
    }

    /// <summary>The methods <paramref name="scope"/> calls or hands on as method groups, read at the end of the compilation for a model call they reach.</summary>
    public static ImmutableArray<IMethodSymbol> GivenUpCalls(IOperation scope) =>
        scope.DescendantsAndSelf().Select(operation => operation switch
            {
                IInvocationOperation call => call.TargetMethod,
                IMethodReferenceOperation group => group.Method,
                _ => null,
            })
            .OfType<IMethodSymbol>().Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();

    /// <summary>A call that dispatches to implementations of source: of an interface's, abstract, virtual or unsealed override method, not one every type has (<see cref="IsEverywhere"/>).</summary>
    private static bool Dispatches(IMethodSymbol method) =>
        (method.IsAbstract || method.IsVirtual || (method.IsOverride && !method.IsSealed) || method.ContainingType?.TypeKind == TypeKind.Interface) && !IsEverywhere(method);

    /// <summary>
    /// A member every type has or many implement for their own reasons (<c>ToString</c>, <c>Equals</c>, <c>GetHashCode</c>,
    /// <c>Dispose</c>, <c>DisposeAsync</c>): its overrides are not the call's work, and are not followed.
    /// </summary>
    private static bool IsEverywhere(IMethodSymbol method) =>
        method.Name is "ToString" or "Equals" or "GetHashCode" or "Dispose" or "DisposeAsync" or "Finalize";

    private bool WritesAnswer(IOperation operation, int depth) => operation switch
    {
        IObjectCreationOperation creation => Types.IsHttpAnswer(creation.Type) && IsError(creation),
        IInvocationOperation call => (Types.IsHttpAnswer(call.TargetMethod.ReturnType) && IsError(call))
            || (call.Instance is { } instance && (OnResponse(instance) || Types.IsHttpAnswer(instance.Type)))
            || call.Arguments.Any(argument => OnResponse(argument.Value))
            || WellKnownTypes.WritesProblemDetails(call.TargetMethod)
            || (depth < MaxAnswerDepth && call.TargetMethod.Locations.Any(location => location.IsInSource) && WritesResponse(call.TargetMethod, depth + 1)),
        IAssignmentOperation assignment => OnResponse(assignment.Target) && !(Status(assignment.Value) is { } code && (code < 400 || ClientMistake(code))),
        _ => false,
    };

    // The results ASP.NET Core answers 2xx or 3xx with (Results, TypedResults, ControllerBase, PageModel; their types without "Result").
    private static readonly System.Collections.Generic.HashSet<string> SuccessResults = new(System.StringComparer.Ordinal)
    {
        "Ok", "OkObject", "Json", "Content", "Text", "File", "FileContent", "FileStream", "PhysicalFile", "VirtualFile", "Bytes", "Stream",
        "Redirect", "RedirectPermanent", "RedirectToAction", "RedirectToPage", "RedirectToRoute", "LocalRedirect", "Accepted", "AcceptedAtAction",
        "AcceptedAtRoute", "Created", "CreatedAtAction", "CreatedAtRoute", "NoContent", "Empty", "View", "PartialView", "Page", "Object",
        "ServerSentEvents",
    };

    // The client errors ASP.NET Core's results name (Results, TypedResults, ControllerBase).
    private static readonly System.Collections.Generic.Dictionary<string, int> ClientResults = new(System.StringComparer.Ordinal)
    {
        ["BadRequest"] = 400, ["ValidationProblem"] = 400, ["Unauthorized"] = 401, ["Forbid"] = 403, ["NotFound"] = 404,
        ["Conflict"] = 409, ["UnprocessableEntity"] = 422,
    };

    /// <summary>
    /// An answer that tells the client nothing failed: a status under 400 given as a constant (<c>StatusCode(200)</c>,
    /// <c>Results.Json(x, statusCode: 202)</c>, <c>new ObjectResult(x) { StatusCode = 200 }</c>), else a success result
    /// (<see cref="SuccessResults"/>), or a value that is no HTTP answer (converted to <c>ActionResult&lt;T&gt;</c>).
    /// </summary>
    internal bool IsSuccess(IOperation value) => StatusOf(value) < 400;

    /// <summary>An error answer that is not the client's own mistake (<see cref="ClientMistake"/>), or one whose status is not known.</summary>
    internal bool IsError(IOperation value) => StatusOf(value) is not { } code || !(code < 400 || ClientMistake(code));

    /// <summary>
    /// A client error answered by design (a not-found, a conflict, a bad argument): 4xx, but for the ones that report a failure
    /// on the gateway's side or upstream (408 a timeout, 424 a failed dependency, 429 a rate limit, 499 a closed request).
    /// </summary>
    internal static bool ClientMistake(int code) => code is >= 400 and < 500 and not (408 or 424 or 429 or 499);

    /// <summary>
    /// The status an answer gives, when the code shows it: a constant passed for a parameter named for a status (also to an
    /// exception or error object the answer is made from: <c>Error(new ApiError(message, statusCode: 404))</c>), or set in
    /// its initializer; else the one its result's name says; 200 for a value that is no HTTP answer.
    /// </summary>
    private int? StatusOf(IOperation value)
    {
        value = ValueFlow.Unwrap(value);
        value = value is IAwaitOperation awaited ? ValueFlow.Unwrap(awaited.Operation) : value;
        var (name, arguments, initializer) = value switch
        {
            IInvocationOperation call => (call.TargetMethod.Name, call.Arguments, null),
            IObjectCreationOperation creation => (creation.Type?.Name.Replace("ObjectResult", "Object").Replace("Result", string.Empty), creation.Arguments, creation.Initializer),
            IPropertyReferenceOperation { Property.IsStatic: true } property => (property.Property.Name, ImmutableArray<IArgumentOperation>.Empty, null),
            _ => ((string?)null, ImmutableArray<IArgumentOperation>.Empty, (IObjectOrCollectionInitializerOperation?)null),
        };
        var given = arguments.Concat(arguments.Select(a => ValueFlow.Unwrap(a.Value)).OfType<IObjectCreationOperation>().SelectMany(c => c.Arguments))
            .Where(a => a.Parameter?.Name.IndexOf("status", System.StringComparison.OrdinalIgnoreCase) >= 0 || (name == "StatusCode" && a.Parameter?.Ordinal == 0))
            .Select(a => a.Value)
            .Concat(initializer?.Initializers.OfType<ISimpleAssignmentOperation>().Where(a => a.Target is IPropertyReferenceOperation { Property.Name: "StatusCode" })
                .Select(a => a.Value) ?? Enumerable.Empty<IOperation>())
            .ToList();

        // A status given but not known (the upstream's, passed on) says nothing of success.
        return given.Count > 0 ? Status(given[given.Count - 1]) : name is null ? Types.IsHttpAnswer(value.Type) ? null : 200
            : SuccessResults.Contains(name) ? 200 : ClientResults.TryGetValue(name, out var client) ? client : null;
    }

    /// <summary>A status given as a constant (an <c>int</c> or an <c>HttpStatusCode</c>), or null.</summary>
    private static int? Status(IOperation value) => ValueFlow.Unwrap(value).ConstantValue is { HasValue: true, Value: int code } ? code : null;

    /// <summary>A method of source whose body writes the request's answer (<see cref="WritesAnswer"/>), cached at the first level.</summary>
    private bool WritesResponse(IMethodSymbol method, int depth)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        bool Read(IMethodSymbol m) => Body(_compilation, m) is { } body && ValueFlow.Own(body).Any(operation => WritesAnswer(operation, depth));
        return depth == 1 ? _responseWriters.GetOrAdd(method, Read) : Read(method);
    }

    /// <summary>A value that is the response or part of it: <c>HttpResponse</c> (or a type derived from it), or a member, item or call on one.</summary>
    private bool OnResponse(IOperation operation)
    {
        for (IOperation? current = ValueFlow.Unwrap(operation); current is not null;)
        {
            if (Types.HttpResponse is { } response && WellKnownTypes.DerivesFrom(current.Type, response))
            {
                return true;
            }

            current = current switch
            {
                IPropertyReferenceOperation property => property.Instance,
                IFieldReferenceOperation field => field.Instance,
                IInvocationOperation call => call.Instance,
                IArrayElementReferenceOperation element => element.ArrayReference,
                _ => null,
            };
            current = current is null ? null : ValueFlow.Unwrap(current);
        }

        return false;
    }
}
