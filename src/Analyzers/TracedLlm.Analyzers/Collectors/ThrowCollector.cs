namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2002's facts: the exception types traced code raises.</summary>
/// <remarks>
/// Throws, <c>ExceptionDispatchInfo.Throw</c>, faulted tasks. A rethrow of the caught exception keeps the caught type.
/// Code a library runs later (<see cref="MethodScope.RunsAsLibraryCallback"/>) raises to that library.
/// </remarks>
internal sealed class ThrowCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        // What a library's callback raises goes back to the library (its event's raiser), not to the request.
        switch (operation)
        {
            case IThrowOperation { Exception: { } thrown } @throw when !scope.RunsAsLibraryCallback(@throw):
                Add(thrown, @throw.Syntax.GetLocation(), scope);
                break;
            case IInvocationOperation invocation
                when Raised(invocation, scope.Types) is { } raised && !scope.RunsAsLibraryCallback(invocation):
                Add(raised, invocation.Syntax.GetLocation(), scope);
                break;
            case IInvocationOperation { TargetMethod.IsGenericMethod: true } helper
                when ThrownTypeArgument(helper, scope) is { } argument && !scope.RunsAsLibraryCallback(helper):
                scope.Facts.Throws.Add(new ThrowSite(argument, true, helper.Syntax.GetLocation()));
                break;
        }
    }

    /// <summary>A generic throw helper's type argument, when the helper throws a new object of that type
    /// parameter.</summary>
    /// <remarks><c>static void Fail&lt;T&gt;() where T : Exception, new() =&gt; throw new T();</c></remarks>
    private static ITypeSymbol? ThrownTypeArgument(IInvocationOperation call, MethodScope scope)
    {
        var helper = call.TargetMethod.OriginalDefinition;
        return scope.Compilation.BodyOf(helper)?.DescendantsAndSelf().OfType<IThrowOperation>()
            .Select(t => t.Exception is { } thrown ? ValueFlow.Unwrap(thrown) : null)
            .OfType<ITypeParameterObjectCreationOperation>()
            .Select(created =>
                created.Type is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } parameter
                && Same(parameter.DeclaringMethod?.OriginalDefinition, helper)
                    ? call.TargetMethod.TypeArguments[parameter.Ordinal] : null)
            .FirstOrDefault(type => type is not null);
    }

    /// <summary>The exception a call raises or hands to a faulted task, or null when it does neither.</summary>
    public static IOperation? Raised(IInvocationOperation invocation, WellKnownTypes types)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType?.OriginalDefinition;
        if (Same(type, types.ExceptionDispatchInfo))
        {
            if (method.Name == "Throw" && method.IsStatic && invocation.Arguments.Length == 1)
            {
                return invocation.Arguments[0].Value;
            }

            if (method.Name == "Throw" && !method.IsStatic && invocation.Instance is { } instance)
            {
                return
                    ValueFlow.Unwrap(instance)
                        is IInvocationOperation { TargetMethod.Name: "Capture", Arguments.Length: 1 } capture
                    ? capture.Arguments[0].Value : instance;
            }

            return null;
        }

        return invocation.Arguments.Length == 1 && (((Same(type, types.Task) || Same(type, types.ValueTask))
                && method.Name == "FromException") || ((Same(type, types.TaskCompletionSource)
                || Same(type, types.TaskCompletionSourceOfT)) && method.Name is "SetException" or "TrySetException"
                && invocation.Arguments[0].Value.Type is { } argumentType && types.Exception is not null
                && DerivesFrom(argumentType, types.Exception)))
            ? invocation.Arguments[0].Value : null;
    }

    private static void Add(IOperation thrown, Location location, MethodScope scope)
    {
        foreach (var (type, exact) in Types(thrown, scope, 0))
        {
            scope.Facts.Throws.Add(new ThrowSite(type, exact, location));
        }
    }

    /// <summary>The types an exception expression may have: exact for new objects, else its static type.</summary>
    private static IEnumerable<(ITypeSymbol Type, bool Exact)> Types(IOperation thrown, MethodScope scope, int depth)
    {
        thrown = ValueFlow.Unwrap(thrown);
        switch (thrown)
        {
            case IObjectCreationOperation { Type: { } created }:
                return new[] { (created, true) };
            case ILocalReferenceOperation local when IsCaught(local.Local, thrown):
                // A rethrow of what the catch caught: the caught type goes on, as with 'throw;'.
                return Enumerable.Empty<(ITypeSymbol, bool)>();
            case ILocalReferenceOperation local when depth < 4 && SingleCreation(local.Local, scope) is { } creation:
                return Types(creation, scope, depth + 1);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Types(conditional.WhenTrue, scope, depth + 1).Concat(Types(whenFalse, scope, depth + 1));
            case IInvocationOperation { TargetMethod.Name: "Capture" } capture
                when Same(capture.TargetMethod.ContainingType, scope.Types.ExceptionDispatchInfo)
                    && capture.Arguments.Length == 1:
                return Types(capture.Arguments[0].Value, scope, depth + 1);
            case IParameterReferenceOperation:
                // Raised on behalf of a caller: the caller's type is what matters, and it is thrown there.
                return Enumerable.Empty<(ITypeSymbol, bool)>();
            default:
                return
                    thrown.Type is { } type && scope.Types.Exception is not null
                    && DerivesFrom(type, scope.Types.Exception) ? new[] { (type, false) }
                    : Enumerable.Empty<(ITypeSymbol, bool)>();
        }
    }

    private static bool IsCaught(ILocalSymbol local, IOperation use) => ValueFlow.Ancestors(use)
            .Any(parent =>
                parent is ICatchClauseOperation @catch && @catch.Locals.Contains(local, SymbolEqualityComparer.Default)
            );

    private static IOperation? SingleCreation(ILocalSymbol local, MethodScope scope) =>
        ValueFlow.Assigned(local, scope.Operations).Take(2).ToList() is { Count: 1 } values ? values[0] : null;
}
