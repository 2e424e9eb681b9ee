namespace TracedLlm.Analyzers.Facts;

// TLLM2004 and TLLM2007 part at a catch that answers the request with an error itself or gives up on a model call.
internal sealed partial class CompilationFacts
{
    private const int MaxAnswerDepth = 3;

    private readonly ConcurrentDictionary<IMethodSymbol, bool> _responseWriters = new(SymbolEqualityComparer.Default);

    /// <summary>Whether code (a catch's handler) answers the request with an error by hand on some path.</summary>
    /// <remarks>
    /// It returns, makes or writes an error answer, itself or through a method of source three calls deep; a success is
    /// a fallback, a client's 4xx by design none (<see cref="ClientMistake"/>), nor with <paramref name="byDesign"/> a
    /// helper given one for its status or the writes after a statement of the block that sets the status to one.
    /// </remarks>
    public bool AnswersRequest(IOperation code, IMethodSymbol? function, bool byDesign = false)
    {
        var set = !byDesign || code is not IBlockOperation block ? null : block.Operations.FirstOrDefault(s =>
            s is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: var target } status }
            && target is IPropertyReferenceOperation { Property.Name: "StatusCode" } && OnResponse(target)
            && ClientMistake(Status(status.Value) ?? 0));
        return ValueFlow.Own(code).Any(operation => operation is IReturnOperation { ReturnedValue: { } value }
            ? function is not null && Types.IsHttpAnswer(function.ReturnType) && IsError(value)
            : WritesAnswer(operation, MaxAnswerDepth, byDesign, operation.Syntax.SpanStart > set?.Syntax.Span.End));
    }

    /// <summary>The source methods <paramref name="code"/> calls itself, bar those given a client's 4xx.</summary>
    public static ImmutableArray<IMethodSymbol> AnswerCalls(IOperation code) => ValueFlow.Own(code)
            .OfType<IInvocationOperation>().Where(call => !ClientMistake(StatusArgument(call) ?? 0))
            .Select(call => call.TargetMethod).Where(method => method.Locations.Any(location => location.IsInSource))
            .Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();

    /// <summary>A method of source whose body writes the request's answer, three calls deep; cached.</summary>
    public bool WritesResponse(IMethodSymbol method) => WritesResponse(method, 1);

    /// <summary>What a catch gives up on: its try, or the loop around it when the catch may leave.</summary>
    public static IOperation GivenUpScope(ICatchClauseOperation @catch, ITryOperation @try)
    {
        // A catch that falls through goes on with the rest of the iteration: what follows the try is not given up.
        var leaves = @catch.Handler.Operations.Any(FailureHandoff.Leaves);
        return leaves && ValueFlow.AncestorsInFunction(@try).OfType<ILoopOperation>().FirstOrDefault() is { } loop
            ? loop : @try.Body;
    }

    /// <summary>The methods <paramref name="scope"/> calls or hands on, read at the end for a model call.</summary>
    public static ImmutableArray<IMethodSymbol> GivenUpCalls(IOperation scope) =>
        scope.DescendantsAndSelf().Select(operation => (operation as IInvocationOperation)?.TargetMethod
                ?? (operation as IMethodReferenceOperation)?.Method)
            .OfType<IMethodSymbol>().Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToImmutableArray();

    /// <summary>A call that dispatches to implementations of source (not a member every type has).</summary>
    private static bool Dispatches(IMethodSymbol method) => (method.IsAbstract || method.IsVirtual
            || (method.IsOverride && !method.IsSealed) || method.ContainingType?.TypeKind == TypeKind.Interface
        ) && !IsEverywhere(method);

    /// <summary>A member every type has (<c>ToString</c>, <c>Equals</c>, <c>Dispose</c>): not followed.</summary>
    private static bool IsEverywhere(IMethodSymbol method) =>
        method.Name is "ToString" or "Equals" or "GetHashCode" or "Dispose" or "DisposeAsync" or "Finalize";

    // byDesign: a call given a client's 4xx for its status is by design; body: response writes are a 4xx's body.
    private bool WritesAnswer(IOperation operation, int depth, bool byDesign, bool body) => operation switch
        {
            IObjectCreationOperation creation => Types.IsHttpAnswer(creation.Type) && IsError(creation),
            IInvocationOperation call when byDesign && ClientMistake(StatusArgument(call) ?? 0) => false,
            IInvocationOperation call => (Types.IsHttpAnswer(call.TargetMethod.ReturnType) && IsError(call))
                || (call.Instance is { } instance
                    && ((!body && OnResponse(instance)) || (Types.IsHttpAnswer(instance.Type) && IsError(instance))))
                || (!body && call.Arguments.Any(argument => OnResponse(argument.Value)))
                || WellKnownTypes.WritesProblemDetails(call.TargetMethod)
                || (depth < MaxAnswerDepth && call.TargetMethod.Locations.Any(location => location.IsInSource)
                    && WritesResponse(call.TargetMethod, depth + 1)),
            IAssignmentOperation assignment => OnResponse(assignment.Target)
                && !(Status(assignment.Value) is { } code && (code < 400 || ClientMistake(code))),
            _ => false,
        };

    // The results ASP.NET Core answers 2xx or 3xx with (their types without "Result").
    private static readonly HashSet<string> SuccessResults = new(StringComparer.Ordinal)
    {
        "Ok", "OkObject", "Json", "Content", "Text", "File", "FileContent", "FileStream", "PhysicalFile", "VirtualFile",
        "Bytes", "Stream", "Redirect", "RedirectPermanent", "RedirectToAction", "RedirectToPage", "RedirectToRoute",
        "LocalRedirect", "Accepted", "AcceptedAtAction", "AcceptedAtRoute", "Created", "CreatedAtAction",
        "CreatedAtRoute", "NoContent", "Empty", "View", "PartialView", "Page", "Object", "ServerSentEvents",
    };

    // The client errors ASP.NET Core's results name (Results, TypedResults, ControllerBase).
    private static readonly Dictionary<string, int> ClientResults = new(StringComparer.Ordinal)
    {
        ["BadRequest"] = 400, ["ValidationProblem"] = 400, ["Unauthorized"] = 401, ["Forbid"] = 403, ["NotFound"] = 404,
        ["Conflict"] = 409, ["UnprocessableEntity"] = 422,
    };

    /// <summary>An answer that tells the client nothing failed: a status under 400, a success, a plain value.</summary>
    internal bool IsSuccess(IOperation value) => StatusOf(value) < 400;

    /// <summary>An error answer that is not the client's own mistake, or one whose status is not known.</summary>
    internal bool IsError(IOperation value) => StatusOf(value) is not { } code || !(code < 400 || ClientMistake(code));

    /// <summary>A client's mistake answered by design: a 4xx but 408, 424, 429 and 499.</summary>
    internal static bool ClientMistake(int code) => code is >= 400 and < 500 and not (408 or 424 or 429 or 499);

    /// <summary>The status an answer gives where the code states it (an argument, an initializer, a name).</summary>
    private int? StatusOf(IOperation value)
    {
        value = ValueFlow.Unwrap(value);
        value = value is IAwaitOperation awaited ? ValueFlow.Unwrap(awaited.Operation) : value;
        var (name, arguments, initializer) = value switch
        {
            IInvocationOperation call => (call.TargetMethod.Name, call.Arguments, null),
            IObjectCreationOperation creation => (
                creation.Type?.Name.Replace("ObjectResult", "Object").Replace("Result", string.Empty),
                creation.Arguments, creation.Initializer),
            IPropertyReferenceOperation { Property.IsStatic: true } property => (property.Property.Name,
                ImmutableArray<IArgumentOperation>.Empty, null),
            _ => ((string?)null, ImmutableArray<IArgumentOperation>.Empty,
                (IObjectOrCollectionInitializerOperation?)null),
        };
        var made = arguments.Select(a => ValueFlow.Unwrap(a.Value)).OfType<IObjectCreationOperation>();
        var given = arguments.Concat(made.SelectMany(c => c.Arguments))
            .Where(a => a.Parameter?.Name.IndexOf("status", StringComparison.OrdinalIgnoreCase) >= 0
                || (name == "StatusCode" && a.Parameter?.Ordinal == 0))
            .Select(a => a.Value)
            .Concat(initializer?.Initializers.OfType<ISimpleAssignmentOperation>()
                .Where(set => set.Target is IPropertyReferenceOperation { Property.Name: "StatusCode" })
                .Select(set => set.Value) ?? Enumerable.Empty<IOperation>())
            .ToList();

        // A status given but not known (the upstream's, passed on) says nothing of success.
        return given.Count > 0 ? Status(given[given.Count - 1])
            : name is null ? Types.IsHttpAnswer(value.Type) ? null : 200
            : SuccessResults.Contains(name) ? 200 : ClientResults.TryGetValue(name, out var client) ? client : null;
    }

    /// <summary>The constant a call gives the last of its parameters named for a status, or null.</summary>
    private static int? StatusArgument(IInvocationOperation call) => call.Arguments.LastOrDefault(a => a.Parameter?.Name
        .IndexOf("status", StringComparison.OrdinalIgnoreCase) >= 0) is { } given ? Status(given.Value) : null;

    /// <summary>A status given as a constant (an <c>int</c> or an <c>HttpStatusCode</c>), or null.</summary>
    private static int? Status(IOperation value) =>
        ValueFlow.Unwrap(value).ConstantValue is { HasValue: true, Value: int code } ? code : null;

    /// <summary>A method of source whose body writes the request's answer, cached at the first level.</summary>
    private bool WritesResponse(IMethodSymbol method, int depth)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        bool Read(IMethodSymbol m) =>
            Body(_compilation, m) is { } body && ValueFlow.Own(body).Any(o => WritesAnswer(o, depth, false, false));
        return depth == 1 ? _responseWriters.GetOrAdd(method, Read) : Read(method);
    }

    /// <summary>The code writes on the response itself: a call on it, or handed it.</summary>
    public bool WritesOnResponse(IOperation code) => ValueFlow.Own(code).OfType<IInvocationOperation>().Any(call =>
        (call.Instance is { } instance && OnResponse(instance)) || call.Arguments.Any(a => OnResponse(a.Value)));

    /// <summary>The response or part of it: <c>HttpResponse</c>, or a member, item or call on one, or a stream local
    /// written once with one (<c>var body = context.Response.Body</c>).</summary>
    private bool OnResponse(IOperation operation)
    {
        var steps = 0;
        for (IOperation? current = ValueFlow.Unwrap(operation); current is not null && steps++ < 16;)
        {
            if (Types.HttpResponse is { } response && DerivesFrom(current.Type, response))
            {
                return true;
            }

            current = current switch
            {
                IPropertyReferenceOperation property => property.Instance,
                IFieldReferenceOperation field => field.Instance,
                IInvocationOperation call => call.Instance,
                IArrayElementReferenceOperation element => element.ArrayReference,
                ILocalReferenceOperation { Local.Type.Name: "Stream" or "PipeWriter" } local => ValueFlow.Assigned(
                    local.Local, ValueFlow.Root(local).Descendants()).ToList() is { Count: 1 } once ? once[0] : null,
                _ => null,
            };
            current = current is null ? null : ValueFlow.Unwrap(current);
        }

        return false;
    }
}
