namespace TracedLlm.Analyzers.Facts;

// Which exception types only this compilation's code can create (a catch of a type no code throws).
internal sealed partial class CompilationFacts
{
    private int _creators; // 0 not known yet, else a Creators

    /// <summary>Who besides this compilation may create its types: nobody for an application, consumers for a
    /// library.</summary>
    private enum Creators
    {
        /// <summary>An application: no other assembly is built against it.</summary>
        None = 1,

        /// <summary>A library: its consumers, which see its public types.</summary>
        Consumers,

        /// <summary>A library with <c>[InternalsVisibleTo]</c>: its friends see its internal types too.</summary>
        ConsumersAndFriends,
    }

    /// <summary>An exception type declared here that no other assembly can create.</summary>
    public bool OnlyCreatedHere(ITypeSymbol type) => IsSourceException(type) && OnlyHere(type);

    /// <summary>A type only this compilation's code can create, implement or derive from.</summary>
    private bool OnlyHere(ITypeSymbol type)
    {
        var creators = (Creators)Volatile.Read(ref _creators);
        if (creators == 0)
        {
            creators = IsApplication() ? Creators.None
                : _compilation.Assembly.GetAttributes()
                    .Any(a => a.AttributeClass?.ToDisplayString()
                        == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
                    ? Creators.ConsumersAndFriends
                : Creators.Consumers;
            Volatile.Write(ref _creators, (int)creators);
        }

        return creators == Creators.None || Hidden(type, friends: creators == Creators.ConsumersAndFriends);
    }

    /// <summary>A class declared in this compilation's source that derives from <c>System.Exception</c>.</summary>
    public bool IsSourceException(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Class } named && Types.Exception is { } exception
        && Same(named.ContainingAssembly, _compilation.Assembly) && DerivesFrom(named, exception);

    /// <summary>An exe, or a compilation with a static <c>Main</c> of an entry point's shape.</summary>
    private bool IsApplication() => _compilation.Options.OutputKind
            is OutputKind.ConsoleApplication or OutputKind.WindowsApplication or OutputKind.WindowsRuntimeApplication
        || _compilation.GetSymbolsWithName("Main", SymbolFilter.Member)
            .Any(symbol =>
                symbol is IMethodSymbol { IsStatic: true, MethodKind: MethodKind.Ordinary, IsGenericMethod: false } main
                && main.Parameters.Length <= 1
                && (main.ReturnsVoid || main.ReturnType.SpecialType == SpecialType.System_Int32
                    || main.ReturnType.Name == "Task"));

    /// <summary>A type no consumer of the library can name: private on its way out, or internal without
    /// friends.</summary>
    private static bool Hidden(ITypeSymbol type, bool friends) => type is INamedTypeSymbol named
        && (named.DeclaredAccessibility is Accessibility.Private
            || (!friends && named.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedAndInternal)
            || (named.ContainingType is { } outer && Hidden(outer, friends)));

    /// <summary>A call that cannot throw <paramref name="caught"/> (nor a related type), by the code or the
    /// BCL.</summary>
    public bool CannotThrow(IOperation call, ITypeSymbol caught) => CannotThrow(call)
        || (call is IInvocationOperation invocation && DocumentedFailures(invocation.TargetMethod) is { } failures
            && invocation.Arguments.All(argument => !argument.Value.DescendantsAndSelf()
                .Any(o => o is IInvocationOperation or IObjectCreationOperation or IDynamicInvocationOperation))
            && failures.All(failure =>
                failure is not null && !DerivesFrom(failure, caught) && !DerivesFrom(caught, failure)));

    /// <summary>What a few BCL members document they throw (<c>Task.Delay</c>); null for any other.</summary>
    private ITypeSymbol?[]? DocumentedFailures(IMethodSymbol method) =>
        !Same(method.ContainingType, Types.Task) ? null : method.Name switch
        {
            "Delay" => new ITypeSymbol?[]
            {
                Types.ArgumentOutOfRangeException, Types.ObjectDisposedException, Types.OperationCanceledException
            },
            "Yield" or "FromResult" => Array.Empty<ITypeSymbol?>(),
            _ => null,
        };

    /// <summary>A send over HTTP with a timeout of its own, or a read of a response's content, in
    /// <paramref name="operation"/> or what it calls (three calls deep).</summary>
    /// <remarks>
    /// Through methods of source, method groups and implementations. An <c>HttpClient</c>'s <c>Timeout</c> and an SDK
    /// pipeline's network timeout (OpenAI's, Anthropic's) end a send as a cancellation too, as a relay cut mid-body
    /// does a read; <c>IChatClient</c> is left to what it wraps.
    /// </remarks>
    public bool ExchangesOverHttp(IOperation operation, CancellationToken cancellationToken, int depth = 0) =>
        operation.Descendants().Select(o => (o as IInvocationOperation)?.TargetMethod
                ?? (o as IMethodReferenceOperation)?.Method).OfType<IMethodSymbol>()
            .Any(method => Collectors.UpstreamCollector.IsHttpSend(method, Types)
                || (Types.HttpContent is { } content && DerivesFrom(DeclaredReceiver(method), content))
                || (Types.UpstreamCall(method) is not null && !new[] { Types.ChatClient, Types.EmbeddingGenerator }
                    .Any(model => IsOrImplements(DeclaredReceiver(method), model)))
                || (depth < 3 && (Body(_compilation, method) is { } body ? new[] { body }
                    : Implementations(method, cancellationToken).Select(i => Body(_compilation, i)))
                    .OfType<IOperation>().Any(called => ExchangesOverHttp(called, cancellationToken, depth + 1))));

    /// <summary>The request's own token: <c>RequestAborted</c>, the call's, a root's parameter, or a local or private
    /// method's parameter every write or call gives one (never a linked or timed source's).</summary>
    /// <remarks>With <paramref name="given"/>, any method's parameter: the token its caller hands on.</remarks>
    public bool IsRequestToken(IOperation token, CancellationToken cancellationToken, int depth = 0,
        bool given = false) => ValueFlow.Unwrap(token) switch
        {
            IPropertyReferenceOperation { Property: var p } => (p.Name == "CancellationToken" && Same(p.ContainingType,
                Types.LlmCall)) || p.ToDisplayString() == "Microsoft.AspNetCore.Http.HttpContext.RequestAborted",
            ILocalReferenceOperation local => ValueFlow.Assigned(local.Local, ValueFlow.Root(token).Descendants())
                .ToList() is { Count: > 0 } values
                && values.All(v => IsRequestToken(v, cancellationToken, depth, given)),
            IParameterReferenceOperation { Parameter: { RefKind: 0, ContainingSymbol: IMethodSymbol m } p } =>
                (given && m.MethodKind is MethodKind.Ordinary or MethodKind.LocalFunction)
                || IsRoot(m, cancellationToken) || (depth < 3 && m.DeclaredAccessibility == Accessibility.Private
                    && m.ContainingType.GetMembers().OfType<IMethodSymbol>().Select(c => Body(_compilation, c))
                        .OfType<IOperation>().SelectMany(body => body.Descendants()).Where(o =>
                            ((o as IInvocationOperation)?.TargetMethod ?? (o as IMethodReferenceOperation)?.Method)
                                is { } called && Same(called.OriginalDefinition, m)).ToList() is { Count: > 0 } uses
                    && uses.All(use => use is IInvocationOperation call && call.Arguments.FirstOrDefault(a => Same(
                        a.Parameter, p))?.Value is { } given && IsRequestToken(given, cancellationToken, depth + 1))),
            _ => false,
        };
}
