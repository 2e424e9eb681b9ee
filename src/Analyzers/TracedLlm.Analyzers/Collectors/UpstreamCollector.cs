namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2006's facts: model calls made outside an attempt scope, named as they are made.</summary>
/// <remarks>
/// A call is a model call when the code shows it is one: an SDK's (<see cref="WellKnownTypes.UpstreamCall"/>), an HTTP
/// send to an address that names a model API, or one declared (<see cref="DeclaredIntent.ModelClient"/>). Its
/// client and address are read by <see cref="SendFlow"/>; the rest at the end of the compilation.
/// </remarks>
internal sealed class UpstreamCollector : IFactCollector
{
    private static readonly string[] OtherVerbs = { "Get", "Delete", "Put", "Patch" };

    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is IInvocationOperation or IObjectCreationOperation)
        {
            AddSendArguments(operation, scope);
        }

        if (operation is not IInvocationOperation invocation)
        {
            return;
        }

        if (invocation.TargetMethod is { Name: "AddTracedLlmAttempts" } registration
            && registration.ContainingType.Name == "TracedLlmHttpClientBuilderExtensions")
        {
            scope.Facts.AttemptRegistrations.AddRange(Registered(invocation, scope));
        }
        else if (invocation.TargetMethod is { Name: "UseTracedLlm" } traced
            && traced.ContainingType.Name.StartsWith("TracedLlm", StringComparison.Ordinal))
        {
            if (Origin(MethodScope.Receiver(invocation), scope) is { } add
                && ServiceClients.Registered(add, scope.Types) is { } client)
            {
                scope.Facts.ServiceRegistrations.Add((client, add.Syntax, true));
            }
        }
        else if (ServiceClients.Registered(invocation, scope.Types) is { } registered)
        {
            scope.Facts.ServiceRegistrations.Add((registered, invocation.Syntax, false));
        }
        else if (ModelCall(invocation, scope) is not { } call)
        {
            return;
        }
        else if (scope.InAttemptScope(invocation))
        {
            // The route's own attempts use this client: its other sends are model calls too.
            scope.Facts.AttemptClients.AddRange(call.Inputs.Clients);
        }
        else if (!scope.RunsAsLibraryCallback(invocation))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(Site(invocation, call, scope));
        }
    }

    /// <summary>The model call as the end of the compilation reads it.</summary>
    /// <remarks>A container's client: where it comes from decides whether <c>UseTracedLlm()</c> made its calls
    /// attempts; a decorator's <c>base</c> call sends through the service it wraps.</remarks>
    internal static UpstreamCallSite Site(IInvocationOperation invocation, ModelCallSite call, MethodScope scope) =>
        new(call.Name, invocation.Syntax.GetLocation(), call.Evident, MethodScope.Receiver(invocation) switch
        {
            { } client when ServiceClients.Service(call.Receiver, scope.Types) is not null =>
                scope.Sends.Inputs(client),
            IInstanceReferenceOperation when call.Receiver?.AllInterfaces
                    .Select(i => ServiceClients.Service(i, scope.Types)).FirstOrDefault(s => s is not null)
                is { } wrapped => call.Inputs with { Clients = ImmutableArray.Create(wrapped) },
            _ => call.Inputs,
        });

    /// <summary>A call that may be a model call, named as it is made; null for any other.</summary>
    /// <remarks>An SDK's or a declared one (<see cref="ModelCallSite.Evident"/>), or an HTTP send its inputs may show
    /// is one; never a verb method other than <c>POST</c>, nor a method of source.</remarks>
    internal static ModelCallSite? ModelCall(IInvocationOperation invocation, MethodScope scope)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        var receiver = MethodScope.Receiver(invocation) is { } operand ? ValueFlow.Unwrap(operand).Type : null;
        var call = scope.Types.UpstreamCall(InlineNext(invocation, scope.Types) ?? method, receiver);
        var http = call is not null && IsHttpSend(method, scope.Types);
        var (tree, intent) = (invocation.Syntax.SyntaxTree, scope.Compilation.Intent);
        // Of a middleware's calls of next, the last is the forward: a pass-through before it is the same one.
        if ((call is null && !intent.ModelClient(method, receiver, null, ImmutableArray<string>.Empty, tree))
            || BodyAnalyzedHere(method, scope.Types) || (http && IsHttpClientVerb(method))
            || (method.MethodKind == MethodKind.DelegateInvoke && scope.Operations.OfType<IInvocationOperation>().Any(
                later => Same(later.TargetMethod, method) && later.Syntax.SpanStart > invocation.Syntax.SpanStart)))
        {
            return null;
        }

        var inputs = http ? Inputs(invocation, scope) : SendInputs.None;
        var evident = !http || intent.ModelClient(method, receiver, scope.Owner, inputs.Clients, tree)
            || intent.ModelUrl(inputs.Text, tree);
        return new ModelCallSite(call ?? $"{(receiver ?? method.ContainingType).Name}.{method.Name}", evident, inputs,
            receiver);
    }

    /// <summary>The next of a lambda given to <c>Use</c> (YARP's inline middleware, its <c>next</c> a
    /// <c>Func&lt;Task&gt;</c>): the pipeline's <c>RequestDelegate</c>.</summary>
    private static IMethodSymbol? InlineNext(IInvocationOperation call, WellKnownTypes types) =>
        call.Instance is IParameterReferenceOperation { Parameter: { Ordinal: 1 } next } && ValueFlow.Ancestors(call)
            .OfType<IAnonymousFunctionOperation>().FirstOrDefault(f => Same(f.Symbol, next.ContainingSymbol))?.Parent
            ?.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Use" } }
            ? types.RequestDelegate?.DelegateInvokeMethod : null;

    /// <summary>Where a send's client (its receiver) and address (a <c>requestUri</c>, a request) come from.</summary>
    private static SendInputs Inputs(IInvocationOperation send, MethodScope scope) => send.Arguments
        .Where(a => a.Parameter?.Type is { SpecialType: SpecialType.System_String }
            or { Name: "Uri" or "HttpRequestMessage" })
        .Aggregate(MethodScope.Receiver(send) is { } receiver ? scope.Sends.Inputs(receiver) : SendInputs.None,
            (inputs, argument) => inputs.With(scope.Sends.Inputs(argument.Value)));

    /// <summary>What a call of a source method hands it that it may send with (every string: a name, an
    /// address).</summary>
    private static void AddSendArguments(IOperation call, MethodScope scope)
    {
        var (method, arguments) = call switch
        {
            IInvocationOperation invocation => (invocation.TargetMethod, invocation.Arguments),
            IObjectCreationOperation { Constructor: { } constructor } creation => (constructor, creation.Arguments),
            _ => (null, ImmutableArray<IArgumentOperation>.Empty),
        };
        if (method is null || arguments.IsEmpty || !BodyAnalyzedHere(method.ReducedFrom ?? method, scope.Types))
        {
            return;
        }

        foreach (var argument in arguments)
        {
            if (argument is { ArgumentKind: not ArgumentKind.DefaultValue, Parameter: { } parameter }
                && (parameter.Type.SpecialType == SpecialType.System_String
                    || SendFlow.Follows(parameter.Type, scope.Types)
                    || ServiceClients.Service(parameter.Type, scope.Types) is not null)
                && scope.Sends.Inputs(argument.Value) is { IsEmpty: false } inputs)
            {
                scope.Facts.SendArguments.Add(new SendArgument(call.Syntax, parameter.Ordinal, inputs));
            }
        }
    }

    /// <summary>The factory clients an <c>AddTracedLlmAttempts()</c> call registers, by name or as <c>T:</c> and
    /// type.</summary>
    private static IEnumerable<string> Registered(IInvocationOperation attempts, MethodScope scope)
    {
        if (Origin(MethodScope.Receiver(attempts), scope) is not { TargetMethod.Name: "AddHttpClient" } add)
        {
            return Enumerable.Empty<string>();
        }

        var names = add.Arguments.Where(a => a.Parameter?.Name == "name")
            .SelectMany(a => scope.Sends.Inputs(a.Value).Text);
        var types = add.TargetMethod.TypeArguments;
        return types.IsEmpty ? names : names.Append("T:" + types[types.Length - 1].ToDisplayString());
    }

    /// <summary>The call a builder comes from, through the builder's own calls and a local written once.</summary>
    private static IInvocationOperation? Origin(IOperation? builder, MethodScope scope)
    {
        var type = builder is null ? null : ValueFlow.Unwrap(builder).Type?.OriginalDefinition;
        while (builder is not null)
        {
            switch (ValueFlow.Unwrap(builder))
            {
                case IInvocationOperation step when Same(step.Type?.OriginalDefinition, type)
                    && MethodScope.Receiver(step) is { } receiver
                    && Same(ValueFlow.Unwrap(receiver).Type?.OriginalDefinition, type):
                    builder = receiver;
                    break;
                case IInvocationOperation origin:
                    return origin;
                case ILocalReferenceOperation local when scope.Flow.Writes(local.Local) is { Count: 1 } writes:
                    builder = writes[0];
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>A send of <c>HttpMessageInvoker</c> or <c>HttpClient</c> (a type derived from them, JSON's).</summary>
    internal static bool IsHttpSend(IMethodSymbol method, WellKnownTypes types) =>
        types.HttpMessageInvoker is { } invoker && DerivesFrom(WellKnownTypes.DeclaredReceiver(method), invoker);

    // HttpClient's Get*, Delete*, Put*, Patch* and their JSON extensions: named for the verb they send.
    internal static bool IsHttpClientVerb(IMethodSymbol method) =>
        method.ContainingType?.ToDisplayString() is "System.Net.Http.HttpClient"
            or "System.Net.Http.Json.HttpClientJsonExtensions"
        && OtherVerbs.Any(verb => method.Name.StartsWith(verb, StringComparison.Ordinal));

    /// <summary>Whether the analyzers read <paramref name="method"/>'s body in this compilation (else its
    /// signature).</summary>
    /// <remarks>Not so for another project's source (an IDE's project reference) or generated code.</remarks>
    internal static bool BodyAnalyzedHere(IMethodSymbol method, WellKnownTypes types) =>
        (method.PartialImplementationPart ?? method) is var own && !own.IsAbstract && !own.IsExtern
        && Same(own.ContainingAssembly, types.Assembly) && !IsGeneratedCode(own, types.GeneratedCodeAttribute)
        && own.DeclaringSyntaxReferences.Any(reference => !GeneratedFiles.Is(reference.SyntaxTree));

    private static bool IsGeneratedCode(ISymbol symbol, INamedTypeSymbol? attribute) => attribute is not null
        && (HasAttribute(symbol, attribute) || (symbol.ContainingType is { } type && IsGeneratedCode(type, attribute)));
}

/// <summary>What <see cref="UpstreamCollector.ModelCall"/> reads of a call: name, whether evident, inputs.</summary>
internal readonly record struct ModelCallSite(string Name, bool Evident, SendInputs Inputs, ITypeSymbol? Receiver)
{
    /// <summary>The client it sends through, when the code names one.</summary>
    public string? Client => Inputs.Clients.FirstOrDefault();
}
