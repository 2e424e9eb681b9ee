using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2006's facts: model calls made outside an attempt scope, named as they are made. A call is a model call when the
/// code shows it is one: an SDK's (<see cref="WellKnownTypes.UpstreamCall"/>: the OpenAI and Anthropic SDKs, <c>IChatClient</c>,
/// <c>IEmbeddingGenerator</c>, YARP's forwarder), or an HTTP send to an address that names a model API, or one the team
/// declares (<see cref="DeclaredIntent.ModelClient"/>). Any other HTTP send (a <c>POST</c> to a service that is no model) is
/// kept unsettled: at the end of the compilation it is a model call only when the route's own attempts use the same client
/// (the field, the property, the primary constructor's parameter, the named client) or run the same method. HttpClient's
/// verb methods other than <c>PostAsync</c> (<c>GetAsync</c>, <c>PutAsJsonAsync</c>...) send what they are named for, never
/// a generation. A method whose body is in this compilation is judged by that body, never by its signature.
/// </summary>
internal sealed class UpstreamCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not IInvocationOperation invocation || ModelCall(invocation, scope) is not { } call)
        {
            return;
        }

        if (scope.InAttemptScope(invocation))
        {
            // The route's own attempts use this client: its other sends are model calls too.
            if (call.Client is not null)
            {
                scope.Facts.AttemptClients.Add(call.Client);
            }
        }
        else if (!scope.RunsAsLibraryCallback(invocation))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(new UpstreamCallSite(call.Name, invocation.Syntax.GetLocation(), call.Evident, call.Client));
        }
    }

    /// <summary>
    /// A call that may be a model call, named as it is made: an SDK's or a declared one (<paramref name="invocation"/> is one
    /// when <see cref="ModelCallSite.Evident"/>), or an HTTP send whose client (<see cref="ModelCallSite.Client"/>, when the code
    /// names it the same way everywhere) may show it is one at the end of the compilation; null for any other call, for a
    /// verb method other than <c>POST</c>, and for a method whose body the call graph follows.
    /// </summary>
    internal static ModelCallSite? ModelCall(IInvocationOperation invocation, MethodScope scope)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        var receiver = MethodScope.Receiver(invocation) is { } operand ? ValueFlow.Unwrap(operand).Type : null;
        var call = scope.Types.UpstreamCall(method, receiver);
        var http = call is not null && IsHttpSend(method, scope.Types);
        var tree = invocation.Syntax.SyntaxTree;
        var client = http ? ClientOf(invocation, scope) : null;
        var declared = scope.Compilation.Intent.ModelClient(method, receiver, http ? scope.Owner : null, client, tree);
        if ((call is null && !declared) || BodyAnalyzedHere(method, scope.Types) || (http && IsHttpClientVerb(method)))
        {
            return null;
        }

        var evident = !http || declared || scope.Compilation.Intent.ModelUrl(Address(invocation, scope), tree);
        return new ModelCallSite(call ?? $"{(receiver ?? method.ContainingType).Name}.{method.Name}", evident, client);
    }

    /// <summary>A send of <c>HttpMessageInvoker</c> or <c>HttpClient</c> (or a type derived from them, or their JSON extensions).</summary>
    internal static bool IsHttpSend(IMethodSymbol method, WellKnownTypes types) =>
        types.HttpMessageInvoker is { } invoker
        && WellKnownTypes.DerivesFrom(method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type : method.ContainingType, invoker);

    // HttpClient's GetAsync / GetStringAsync / GetStreamAsync / GetByteArrayAsync, DeleteAsync, PutAsync, PatchAsync,
    // and System.Net.Http.Json's GetFromJsonAsync / GetFromJsonAsAsyncEnumerable, DeleteFromJsonAsync, PutAsJsonAsync,
    // PatchAsJsonAsync: the framework's own methods, named for the verb they send (not a method of a type derived from it).
    private static bool IsHttpClientVerb(IMethodSymbol method) =>
        method.ContainingType?.ToDisplayString() is "System.Net.Http.HttpClient" or "System.Net.Http.Json.HttpClientJsonExtensions"
        && (method.Name.StartsWith("Get", System.StringComparison.Ordinal) || method.Name.StartsWith("Delete", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Put", System.StringComparison.Ordinal) || method.Name.StartsWith("Patch", System.StringComparison.Ordinal));

    /// <summary>
    /// Which client sends, when the code names one the same way everywhere: a field, a property, a primary constructor's
    /// parameter (a typed client's <c>HttpClient</c>), or a named client (<c>factory.CreateClient("openai")</c>, in the call or
    /// in a local it initializes); null for any other (a parameter, a client made here).
    /// </summary>
    private static string? ClientOf(IInvocationOperation send, MethodScope scope)
    {
        var receiver = MethodScope.Receiver(send) is { } operand ? ValueFlow.Unwrap(operand) : null;
        if (receiver is ILocalReferenceOperation local && Initializer(local.Local, scope) is { } initializer)
        {
            receiver = ValueFlow.Unwrap(initializer);
        }

        return receiver switch
        {
            IFieldReferenceOperation field => field.Field.OriginalDefinition.ToDisplayString(),
            IPropertyReferenceOperation property => property.Property.OriginalDefinition.ToDisplayString(),
            IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } constructor } parameter }
                when !WellKnownTypes.Same(constructor, scope.Owner) => $"{constructor.ContainingType.ToDisplayString()}({parameter.Name})",
            IInvocationOperation { TargetMethod.Name: "CreateClient" } create
                when create.Arguments.LastOrDefault()?.Value.ConstantValue is { HasValue: true, Value: string name } => name,
            _ => null,
        };
    }

    /// <summary>The constant text of a send's address: its <c>requestUri</c>, or a request message's built in the call or in a local.</summary>
    private static IEnumerable<string> Address(IInvocationOperation send, MethodScope scope)
    {
        foreach (var argument in send.Arguments)
        {
            var type = argument.Parameter?.Type;
            var value = ValueFlow.Unwrap(argument.Value);
            if (value is ILocalReferenceOperation local && Initializer(local.Local, scope) is { } initializer)
            {
                value = ValueFlow.Unwrap(initializer);
            }

            if (type?.SpecialType == SpecialType.System_String || type?.Name is "Uri" or "HttpRequestMessage")
            {
                foreach (var text in value.DescendantsAndSelf().SelectMany(o => Constant(o, scope)))
                {
                    yield return text;
                }
            }
        }
    }

    // A string constant, or the initializer's constants of a local the address is built from (`var url = $"{host}/v1/chat/completions";`).
    private static IEnumerable<string> Constant(IOperation operation, MethodScope scope) => operation switch
    {
        { ConstantValue: { HasValue: true, Value: string text } } => new[] { text },
        ILocalReferenceOperation local when Initializer(local.Local, scope) is { } initializer =>
            initializer.DescendantsAndSelf().Select(o => o.ConstantValue).Where(c => c.HasValue && c.Value is string).Select(c => (string)c.Value!),
        _ => System.Array.Empty<string>(),
    };

    private static IOperation? Initializer(ILocalSymbol local, MethodScope scope) =>
        scope.Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IVariableDeclaratorOperation>()
            .FirstOrDefault(d => WellKnownTypes.Same(d.Symbol, local))?.GetVariableInitializer()?.Value;

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
        if (method.IsAbstract || method.IsExtern || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, types.Assembly)
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

/// <summary>A call <see cref="UpstreamCollector.ModelCall"/> reads: its name, whether the code shows it is a model call, its client.</summary>
internal readonly record struct ModelCallSite(string Name, bool Evident, string? Client);
