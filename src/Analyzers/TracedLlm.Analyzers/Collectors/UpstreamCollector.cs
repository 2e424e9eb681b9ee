using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>TLLM2006's facts: model calls made outside an attempt scope, named as they are made.</summary>
/// <remarks>
/// A call is a model call when the code shows it is one: an SDK's (<see cref="WellKnownTypes.UpstreamCall"/>: the
/// OpenAI and Anthropic SDKs, <c>IChatClient</c>, <c>IEmbeddingGenerator</c>, YARP's forwarder), an HTTP send to an
/// address that names a model API, or one the team declares (<see cref="DeclaredIntent.ModelClient"/>). Where a
/// send's client and address come from is read by <see cref="SendFlow"/>; what its method's callers hand it
/// (<see cref="SendArgument"/>) and the clients the compilation registers as attempts are read at the end of the
/// compilation. HttpClient's verb methods other than <c>PostAsync</c> send what they are named for, never a
/// generation. A method whose body is in this compilation is judged by that body, never by its signature.
/// </remarks>
internal sealed class UpstreamCollector : IFactCollector
{
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
            var location = invocation.Syntax.GetLocation();
            scope.Facts.UnscopedUpstreamCalls.Add(new UpstreamCallSite(call.Name, location, call.Evident, call.Inputs));
        }
    }

    /// <summary>
    /// A call that may be a model call, named as it is made: an SDK's or a declared one (one when
    /// <see cref="ModelCallSite.Evident"/>), or an HTTP send whose client and address may show it is one at the end
    /// of the compilation; null for any other call, for a verb method other than <c>POST</c>, for a method of source.
    /// </summary>
    internal static ModelCallSite? ModelCall(IInvocationOperation invocation, MethodScope scope)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        var receiver = MethodScope.Receiver(invocation) is { } operand ? ValueFlow.Unwrap(operand).Type : null;
        var call = scope.Types.UpstreamCall(method, receiver);
        var http = call is not null && IsHttpSend(method, scope.Types);
        var (tree, intent) = (invocation.Syntax.SyntaxTree, scope.Compilation.Intent);
        if ((call is null && !intent.ModelClient(method, receiver, null, ImmutableArray<string>.Empty, tree))
            || BodyAnalyzedHere(method, scope.Types) || (http && IsHttpClientVerb(method)))
        {
            return null;
        }

        var inputs = http ? Inputs(invocation, scope) : SendInputs.None;
        var evident = !http || intent.ModelClient(method, receiver, scope.Owner, inputs.Clients, tree)
            || intent.ModelUrl(inputs.Text, tree);
        return new ModelCallSite(call ?? $"{(receiver ?? method.ContainingType).Name}.{method.Name}", evident, inputs);
    }

    /// <summary>Where a send's client (its receiver) and address (a <c>requestUri</c>, a request) come from.</summary>
    private static SendInputs Inputs(IInvocationOperation send, MethodScope scope) => send.Arguments
        .Where(a => a.Parameter?.Type is { SpecialType: SpecialType.System_String }
            or { Name: "Uri" or "HttpRequestMessage" })
        .Aggregate(MethodScope.Receiver(send) is { } receiver ? scope.Sends.Inputs(receiver) : SendInputs.None,
            (inputs, argument) => inputs.With(scope.Sends.Inputs(argument.Value)));

    /// <summary>
    /// What a call of a source method hands it that it may send with: a client, a request, an address or a client's
    /// name (every string: only the method knows what it does with one).
    /// </summary>
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
                    || SendFlow.Follows(parameter.Type, scope.Types))
                && scope.Sends.Inputs(argument.Value) is { IsEmpty: false } inputs)
            {
                scope.Facts.SendArguments.Add(new SendArgument(call.Syntax, parameter.Ordinal, inputs));
            }
        }
    }

    /// <summary>
    /// The factory clients an <c>AddTracedLlmAttempts()</c> call registers: those of the <c>AddHttpClient</c> its
    /// builder comes from (through the builder's other calls, a local): by name, a typed client as <c>T:</c> and type.
    /// </summary>
    private static IEnumerable<string> Registered(IInvocationOperation attempts, MethodScope scope)
    {
        for (var builder = MethodScope.Receiver(attempts); builder is not null;)
        {
            switch (ValueFlow.Unwrap(builder))
            {
                case IInvocationOperation { TargetMethod.Name: "AddHttpClient" } add:
                    var names = add.Arguments.Where(a => a.Parameter?.Name == "name")
                        .SelectMany(a => scope.Sends.Inputs(a.Value).Text);
                    var types = add.TargetMethod.TypeArguments;
                    return types.IsEmpty ? names : names.Append("T:" + types[types.Length - 1].ToDisplayString());
                case IInvocationOperation { Type.Name: "IHttpClientBuilder" } configured:
                    builder = MethodScope.Receiver(configured);
                    break;
                case ILocalReferenceOperation local when scope.Flow.Writes(local.Local) is { Count: 1 } writes:
                    builder = writes[0];
                    break;
                default:
                    return Enumerable.Empty<string>();
            }
        }

        return Enumerable.Empty<string>();
    }

    /// <summary>A send of <c>HttpMessageInvoker</c> or <c>HttpClient</c> (a type derived from them, JSON's).</summary>
    internal static bool IsHttpSend(IMethodSymbol method, WellKnownTypes types) =>
        types.HttpMessageInvoker is { } invoker && WellKnownTypes.DerivesFrom(
            method.IsExtensionMethod && method.Parameters.Length > 0
                ? method.Parameters[0].Type
                : method.ContainingType,
            invoker);

    // HttpClient's GetAsync / GetStringAsync / GetStreamAsync / GetByteArrayAsync, DeleteAsync, PutAsync, PatchAsync,
    // and System.Net.Http.Json's GetFromJsonAsync / GetFromJsonAsAsyncEnumerable, DeleteFromJsonAsync, PutAsJsonAsync,
    // PatchAsJsonAsync: the framework's own methods, named for the verb they send (not a method of a type derived
    // from it).
    private static bool IsHttpClientVerb(IMethodSymbol method) =>
        method.ContainingType?.ToDisplayString() is "System.Net.Http.HttpClient"
            or "System.Net.Http.Json.HttpClientJsonExtensions"
        && (method.Name.StartsWith("Get", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Delete", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Put", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Patch", System.StringComparison.Ordinal));

    /// <summary>
    /// Whether the analyzers read <paramref name="method"/>'s body in this compilation, so that the call graph
    /// follows it: declared with a body (a partial method's implementing part) in this assembly, not in
    /// generated code (which the analyzers skip: a generated file, or under <c>[GeneratedCode]</c>). A method
    /// of another project's source (a project reference, as the IDE sees it) or of generated code is not
    /// followed, so it is judged by its signature, as a referenced assembly's is.
    /// </summary>
    internal static bool BodyAnalyzedHere(IMethodSymbol method, WellKnownTypes types)
    {
        method = method.PartialImplementationPart ?? method;
        if (method.IsAbstract || method.IsExtern || !WellKnownTypes.Same(method.ContainingAssembly, types.Assembly)
            || IsGeneratedCode(method, types.GeneratedCodeAttribute))
        {
            return false;
        }

        return method.DeclaringSyntaxReferences.Any(reference => !GeneratedFiles.Is(reference.SyntaxTree));
    }

    private static bool IsGeneratedCode(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        for (var current = symbol; attribute is not null && current is not null; current = current.ContainingType)
        {
            if (current.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>What <see cref="UpstreamCollector.ModelCall"/> reads of a call: name, whether evident, inputs.</summary>
internal readonly record struct ModelCallSite(string Name, bool Evident, SendInputs Inputs)
{
    /// <summary>The client it sends through, when the code names one.</summary>
    public string? Client => Inputs.Clients.FirstOrDefault();
}
