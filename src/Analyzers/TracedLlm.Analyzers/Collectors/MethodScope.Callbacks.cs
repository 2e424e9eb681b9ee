namespace TracedLlm.Analyzers.Collectors;

/// <summary>Code a referenced library runs later, from its own thread: not the request's code.</summary>
internal sealed partial class MethodScope
{
    // The local functions of this block that run only as a library's callback, each read once.
    private Dictionary<IMethodSymbol, bool>? _callbackOnly;

    /// <summary><paramref name="operation"/> is run by a referenced library later, from its own thread, not by the
    /// request.</summary>
    /// <remarks>
    /// In a lambda or method group added to an event declared outside this compilation and implemented by no type of
    /// it, or given as a timer's callback; or in a local function used only so. A library event raised inside a call
    /// the request makes is missed this way.
    /// </remarks>
    public bool RunsAsLibraryCallback(IOperation operation) => ValueFlow.Ancestors(operation).Prepend(operation)
        .Any(current => current switch
        {
            IAnonymousFunctionOperation or IMethodReferenceOperation => IsLibraryCallback(current),
            ILocalFunctionOperation local => LocalFunctionOnlyCallback(local.Symbol.OriginalDefinition),
            _ => false,
        });

    /// <summary>A lambda or method group subscribed to a library's event or given as a timer's callback.</summary>
    private bool IsLibraryCallback(IOperation target)
    {
        if (target.Parent is not IDelegateCreationOperation creation)
        {
            return false;
        }

        var value = ValueFlow.Outer(creation);

        var callback = value.Parent switch
        {
            IEventAssignmentOperation { Adds: true, EventReference: IEventReferenceOperation reference } assignment =>
                assignment.HandlerValue == value && IsLibraryEvent(reference.Event),
            IArgumentOperation
            {
                Parameter: { } parameter, Parent: IObjectCreationOperation { Constructor: { } constructor }
            } => Types.IsTimerCallback(constructor, parameter),
            IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation invocation } =>
                Types.IsTimerCallback(invocation.TargetMethod, parameter),
            _ => false,
        };
        return callback && !CompletesATask(target);
    }

    // What a task's source is completed with (TaskCompletionSource's Set* and TrySet*).
    private static readonly HashSet<string> Completions = new(StringComparer.Ordinal)
    {
        "SetResult", "TrySetResult", "SetException", "TrySetException", "SetCanceled", "TrySetCanceled",
    };

    /// <summary>The callback hands its outcome to a task (<c>done.SetResult(...)</c>): a caller awaits it.</summary>
    /// <remarks>Read from the callback's text: any call of such a name keeps the callback the request's.</remarks>
    private static bool CompletesATask(IOperation target)
    {
        var bodies = target is IMethodReferenceOperation { Method: var method }
            ? method.OriginalDefinition.DeclaringSyntaxReferences.Select(r => r.GetSyntax()) : new[] { target.Syntax };
        return bodies.Any(body => body.DescendantNodes()
                .OfType<Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax>()
                .Any(call => call.Expression switch
                    {
                        Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access =>
                            Completions.Contains(access.Name.Identifier.ValueText),
                        Microsoft.CodeAnalysis.CSharp.Syntax.MemberBindingExpressionSyntax binding =>
                            Completions.Contains(binding.Name.Identifier.ValueText),
                        _ => false,
                    }));
    }

    /// <summary>An event declared outside this compilation that no type of it implements or overrides.</summary>
    private bool IsLibraryEvent(IEventSymbol @event) =>
        !@event.Locations.Any(l => l.IsInSource)
        && (@event.AddMethod is not { } add || Compilation.Implementations(add, CancellationToken).Count == 0);

    /// <summary>A local function of this block every use of which is a library's callback.</summary>
    /// <remarks>While it is read, its own calls (recursion) say nothing either way.</remarks>
    private bool LocalFunctionOnlyCallback(IMethodSymbol function) =>
        (_callbackOnly ??= new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default)).GetOrAdd(function,
            true, _ => Operations.Where(o => o switch
                {
                    IMethodReferenceOperation reference => Same(reference.Method.OriginalDefinition, function),
                    IInvocationOperation call => Same(call.TargetMethod.OriginalDefinition, function),
                    _ => false,
                }).ToList() is { Count: > 0 } uses && uses.All(RunsAsLibraryCallback));
}
