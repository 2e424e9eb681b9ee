using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// TLLM2006's facts: upstream calls (see <see cref="WellKnownTypes.UpstreamCall"/>) made outside an attempt scope, named as they are made.
/// A method whose body is in this compilation is judged by that body, never by its signature: a service's own
/// wrapper that returns the SDK's <c>ClientResult</c>, a type derived from <c>HttpClient</c> or a source
/// <c>IChatClient</c> is an ordinary call, followed through the call graph to the SDK call it makes (and to the
/// attempt it may start around it). Only a method without a body here (from a referenced assembly, or abstract)
/// is taken for an upstream call by its signature. A call in code a referenced library runs later, from its own
/// thread (<see cref="MethodScope.RunsAsLibraryCallback"/>), is not the request's: no request's attempt could scope it.
/// </summary>
internal sealed partial class UpstreamCollector : IFactCollector
{
    public void Visit(IOperation operation, MethodScope scope)
    {
        if (operation is not IInvocationOperation invocation)
        {
            return;
        }

        // The signature first: most calls read like no upstream call, and for them the body question
        // (attributes, declaring files) need not be asked at all.
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        if (scope.Types.UpstreamCall(method, MethodScope.Receiver(invocation) is { } receiver ? Facts.ValueFlow.Unwrap(receiver).Type : null) is { } call
            && !BodyAnalyzedHere(method, scope.Types)
            && !scope.InAttemptScope(invocation)
            && !scope.RunsAsLibraryCallback(invocation)
            && !SendsOtherThanPost(invocation, scope)
            && !SendsNoBody(invocation, scope)
            && !SendsNoModelInput(invocation, scope))
        {
            scope.Facts.UnscopedUpstreamCalls.Add(new Facts.UpstreamCallSite(call, invocation.Syntax.GetLocation(), HandedIn(invocation, scope)));
        }

        ReadHandedOn(invocation, scope);
    }

    /// <summary>
    /// An HTTP call whose method is known to be other than <c>POST</c> on every path. Every model API generates and
    /// embeds with <c>POST</c> (OpenAI's chat completions, responses and embeddings, Anthropic's messages, Gemini's
    /// generateContent, Ollama's chat and generate, Bedrock's invoke); <c>GET</c>, <c>DELETE</c>, <c>PUT</c>,
    /// <c>PATCH</c>, <c>HEAD</c> and <c>OPTIONS</c> list, read, store, remove or probe, so such a call is not one an
    /// attempt (retries, fallbacks, a span with tokens) is for. Known to be other than <c>POST</c>:
    /// <list type="bullet">
    /// <item>HttpClient's own verb methods and the JSON extensions (<c>GetAsync</c>, <c>GetStringAsync</c>,
    /// <c>GetFromJsonAsync</c>, <c>DeleteAsync</c>, <c>PutAsJsonAsync</c>, <c>PatchAsync</c> ...): each sends the verb
    /// it is named for (not a method of a type derived from HttpClient, whose name promises nothing);</item>
    /// <item>a send of a request message built right in the call, or in a local written once, at its declaration, and
    /// otherwise only read, its members called or set (never <c>Method</c>), or sent: never aliased, passed to another
    /// method or captured; its method <c>HttpMethod.Get</c> (any of the static properties but <c>Post</c>), or
    /// <c>new HttpMethod(name)</c> whose name is a constant other than <c>"POST"</c> (any case) on every value the value
    /// flow gives it (a literal, a local, a helper's constant ...), given to the constructor or in its object
    /// initializer, or no method at all (a message's default method is <c>GET</c>).</item>
    /// </list>
    /// A method the rule cannot read (a parameter, a field, the client's request's) is taken for a <c>POST</c>.
    /// </summary>
    private static bool SendsOtherThanPost(IInvocationOperation invocation, MethodScope scope)
    {
        if (IsHttpClientVerb(invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod))
        {
            return true;
        }

        return SentMessage(invocation, scope) is { } message && MessageOtherThanPost(message, invocation, scope);
    }

    // A message (sent, or handed to a helper by handOff) built here with a method other than POST.
    private static bool MessageOtherThanPost(IOperation message, IInvocationOperation handOff, MethodScope scope) =>
        BuiltHere(message, scope, use => ReadOnly(use, handOff, scope)) is { } creation && IsOtherThanPost(creation, scope);

    /// <summary>
    /// An HTTP <c>POST</c> that carries no body, so sends no input: every model API takes its input (the prompt, the
    /// messages, the text or image to embed or classify) in the request's body, so a bodiless call asks a model for
    /// nothing (a token exchange, a trigger, a health or lock call). Known to carry none:
    /// <list type="bullet">
    /// <item>HttpClient's <c>PostAsync</c> given a constant <c>null</c> for its content (<c>PostAsJsonAsync</c> always
    /// writes a body, <c>null</c> too);</item>
    /// <item>a send of a request message (<c>HttpRequestMessage</c> itself) built in the call, or in a local written once,
    /// at its declaration, whose <c>Content</c> is named nowhere in the member (not in its object initializer, not
    /// later, not in a lambda or local function), and that is otherwise only read, its other members called or set, or
    /// sent: never aliased, passed to another method or returned. Its constructors take no content.</item>
    /// </list>
    /// A message the rule cannot read (a parameter, a helper's, a field) is taken for one with a body, and so is any
    /// message sent through a client whose send may give it one (<see cref="SendsAsGiven"/>).
    /// </summary>
    private static bool SendsNoBody(IInvocationOperation invocation, MethodScope scope)
    {
        if (MethodScope.Receiver(invocation) is { } receiver && !SendsAsGiven(Facts.ValueFlow.Unwrap(receiver).Type))
        {
            return false;
        }

        if (IsPostAsync(invocation))
        {
            return PostedContent(invocation)?.ConstantValue is { HasValue: true, Value: null };
        }

        return SentMessage(invocation, scope) is { } message && MessageWithoutBody(message, invocation, scope);
    }

    // A message (sent, or handed to a helper by handOff) built here whose Content is named nowhere: any member but
    // Content may be read or set (its headers, options, version, even its method).
    private static bool MessageWithoutBody(IOperation message, IInvocationOperation handOff, MethodScope scope) =>
        BuiltHere(message, scope, use => LeavesContent(use, handOff, scope))
            is { Type: { } type } creation
            && IsMessage(type)
            && creation.Initializer?.Descendants().Any(NamesContent) != true;

    /// <summary>
    /// Whether a client of type <paramref name="client"/> sends the message it is given as it is: the framework's own
    /// (<c>HttpClient</c>, <c>HttpMessageInvoker</c>), or a type derived from it (in source or a library) that overrides
    /// no <c>Send</c> or <c>SendAsync</c>. <c>PostAsync</c> and <c>SendAsync</c> reach the override, which may set the
    /// content itself (<c>message.Content ??= ...</c>) before the framework's send; a type parameter may be such a type.
    /// </summary>
    private static bool SendsAsGiven(ITypeSymbol? client)
    {
        if (client is ITypeParameterSymbol)
        {
            return false;
        }

        for (var type = client; type is not null && type.ContainingNamespace?.ToDisplayString() != "System.Net.Http"; type = type.BaseType)
        {
            if (type.GetMembers().Any(member => member is IMethodSymbol { IsOverride: true, Name: "Send" or "SendAsync" }))
            {
                return false;
            }
        }

        return true;
    }

    // A use of the message local that leaves its Content alone: any other member read or set, or a read-only use.
    private static bool LeavesContent(IOperation use, IInvocationOperation send, MethodScope scope) =>
        use.Parent is IPropertyReferenceOperation property && property.Instance == use ? !NamesContent(property) : ReadOnly(use, send, scope, content: true);

    // The message's Content, read or written: a body it may carry.
    private static bool NamesContent(IOperation? operation) =>
        operation is IPropertyReferenceOperation { Property: { Name: "Content", ContainingType.Name: "HttpRequestMessage" } };

    /// <summary>HttpClient's own <c>PostAsync</c> (not a method of a type derived from it, whose name promises nothing).</summary>
    private static bool IsPostAsync(IInvocationOperation call) =>
        (call.TargetMethod.ReducedFrom ?? call.TargetMethod) is { Name: "PostAsync", ContainingType: { } type } && type.ToDisplayString() == "System.Net.Http.HttpClient";

    /// <summary>The content HttpClient's <c>PostAsync</c> (<paramref name="post"/>) is given.</summary>
    private static IOperation? PostedContent(IInvocationOperation post) =>
        post.Arguments.FirstOrDefault(a => a.Parameter?.Type.Name == "HttpContent")?.Value;

    /// <summary>The request message an HttpMessageInvoker's send (<paramref name="send"/>) is given; null for any other call.</summary>
    private static IOperation? SentMessage(IInvocationOperation send, MethodScope scope) =>
        send.Arguments.FirstOrDefault(a => a.Parameter?.Type.Name == "HttpRequestMessage" && a.Parameter.Ordinal == (send.TargetMethod.IsExtensionMethod ? 1 : 0))?.Value is { } message
        && scope.Types.HttpMessageInvoker is { } invoker && WellKnownTypes.DerivesFrom(send.TargetMethod.ContainingType, invoker) ? message : null;

    /// <summary>
    /// The request message <paramref name="message"/> (sent, or handed to a helper), when it is built there or in a local
    /// written only at its declaration whose every other use <paramref name="harmless"/> accepts; otherwise null.
    /// </summary>
    private static IObjectCreationOperation? BuiltHere(IOperation message, MethodScope scope, System.Func<ILocalReferenceOperation, bool> harmless)
    {
        if (Facts.ValueFlow.Unwrap(message) is ILocalReferenceOperation local)
        {
            IOperation? created = null;
            foreach (var reference in scope.Blocks.SelectMany(b => b.DescendantsAndSelf()))
            {
                switch (reference)
                {
                    case IVariableDeclaratorOperation declarator when WellKnownTypes.Same(declarator.Symbol, local.Local):
                        created = declarator.GetVariableInitializer()?.Value;
                        break;
                    case ILocalReferenceOperation use when WellKnownTypes.Same(use.Local, local.Local) && !harmless(use):
                        return null;
                }
            }

            message = created!;
        }

        return message is null ? null : Facts.ValueFlow.Unwrap(message) as IObjectCreationOperation;
    }

    // HttpClient's GetAsync / GetStringAsync / GetStreamAsync / GetByteArrayAsync, DeleteAsync, PutAsync, PatchAsync,
    // and System.Net.Http.Json's GetFromJsonAsync / GetFromJsonAsAsyncEnumerable, DeleteFromJsonAsync, PutAsJsonAsync,
    // PatchAsJsonAsync: the framework's own methods, named for the verb they send.
    private static bool IsHttpClientVerb(IMethodSymbol method) =>
        method.ContainingType?.ToDisplayString() is "System.Net.Http.HttpClient" or "System.Net.Http.Json.HttpClientJsonExtensions"
        && (method.Name.StartsWith("Get", System.StringComparison.Ordinal) || method.Name.StartsWith("Delete", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Put", System.StringComparison.Ordinal) || method.Name.StartsWith("Patch", System.StringComparison.Ordinal));

    // A use that cannot change the message's method (with content, nor its content): the send itself, a member of the
    // message read or called (its headers, its content), a property other than Method set (Method written in any way, by a
    // deconstruction or ??= too, is not), or the message handed to a helper of source that leaves it alone
    // (HelperLeavesAlone). Anything else (an alias, an argument to another method, a capture, a write of the local) might,
    // so the send is judged as any other.
    private static bool ReadOnly(IOperation use, IInvocationOperation send, MethodScope scope, bool content = false) => use.Parent switch
    {
        IArgumentOperation argument when argument.Parent == send => argument.Parameter?.RefKind is RefKind.None,
        IArgumentOperation { Parent: IInvocationOperation helper } argument => HelperLeavesAlone(helper, argument, content, scope, 0),
        IPropertyReferenceOperation { Property.Name: "Method" } property => property.Instance == use && !Facts.ValueFlow.IsWritten(property),
        IPropertyReferenceOperation property => property.Instance == use,
        IInvocationOperation call => call.Instance == use,
        _ => false,
    };

    /// <summary>
    /// A method of source handed a request message (<paramref name="argument"/> of <paramref name="call"/>) that leaves it
    /// alone: an ordinary method whose body is read here and that no override can replace (not virtual, abstract or an
    /// interface's), taking the message by value, whose body only reads it, reads, sets or calls its members other than
    /// <c>Method</c> (its headers: an application's <c>ApplyHeaders(request, token)</c>), and, with
    /// <paramref name="content"/>, other than <c>Content</c> too, or hands it to another such method (two calls deep); never
    /// writes, returns, stores or captures it. Such a call cannot change what the message's method or content is.
    /// </summary>
    private static bool HelperLeavesAlone(IInvocationOperation call, IArgumentOperation argument, bool content, MethodScope scope, int depth)
    {
        var helper = call.TargetMethod.OriginalDefinition;
        helper = helper.PartialImplementationPart ?? helper;
        if (depth > 2 || argument.Parameter is not { RefKind: RefKind.None, Ordinal: var ordinal } || helper.MethodKind != MethodKind.Ordinary
            || helper.IsVirtual || helper.IsAbstract || helper.IsOverride || helper.ContainingType.TypeKind == TypeKind.Interface
            || ordinal >= helper.Parameters.Length || helper.Parameters[ordinal].Name != argument.Parameter.Name
            || !BodyAnalyzedHere(helper, scope.Types))
        {
            return false;
        }

        var parameter = helper.Parameters[ordinal];
        return depth > 0 ? Reads() : scope.Compilation.LeavesMessageAlone(helper, ordinal, content, Reads);

        bool Reads() => scope.Compilation.FullBody(helper) is { } body
            && body.DescendantsAndSelf().OfType<IParameterReferenceOperation>().Where(use => WellKnownTypes.Same(use.Parameter.OriginalDefinition, parameter))
            .All(use => !Facts.ValueFlow.InNestedFunction(use, body) && use.Parent switch
            {
                IPropertyReferenceOperation property when property.Instance == use =>
                    !(content && NamesContent(property)) && !(property.Property.Name == "Method" && Facts.ValueFlow.IsWritten(property)),
                IInvocationOperation member => member.Instance == use,
                IArgumentOperation { Parent: IInvocationOperation next } handed => HelperLeavesAlone(next, handed, content, scope, depth + 1),
                _ => false,
            });
    }

    private static bool IsOtherThanPost(IObjectCreationOperation creation, MethodScope scope)
    {
        // The framework's message itself: a derived type's constructor may pass on another method.
        if (creation.Type is not { } type || !IsMessage(type))
        {
            return false;
        }

        var method = creation.Arguments.FirstOrDefault(a => a.Parameter?.Type.Name == "HttpMethod")?.Value;
        var initialized = creation.Initializer?.Initializers.OfType<ISimpleAssignmentOperation>()
            .LastOrDefault(a => a.Target is IPropertyReferenceOperation { Property.Name: "Method" })?.Value;
        var chosen = initialized ?? method;
        if (chosen is null)
        {
            // No method given: the parameterless constructor's message is a GET.
            return creation.Arguments.IsEmpty;
        }

        return Facts.ValueFlow.Unwrap(chosen) switch
        {
            IPropertyReferenceOperation { Property: { IsStatic: true, Name: not "Post", ContainingType.Name: "HttpMethod" } } => true,
            // The name by the value flow (a literal, or one kept in a local, a helper, a tuple ...): every value it may have is another verb than POST.
            IObjectCreationOperation { Type.Name: "HttpMethod", Arguments.Length: 1 } named when !PostInADelegate(named.Arguments[0].Value, scope)
                && scope.Flow.Values(named.Arguments[0].Value) is { Length: > 0 } names =>
                names.All(n => n.Kind == Facts.KeyValueKind.Constant && !n.Constant!.Equals("POST", System.StringComparison.OrdinalIgnoreCase)),
            _ => false,
        };
    }

    /// <summary>
    /// A name kept in a local that a lambda or local function of this member writes (<c>Action promote = () =&gt; verb = "POST";</c>),
    /// with anything but a constant other than <c>"POST"</c>: the value flow does not follow those writes to the send, so
    /// each is read here, and one that may be a POST (or is not a constant) makes the name unread.
    /// </summary>
    private static bool PostInADelegate(IOperation name, MethodScope scope) =>
        Facts.ValueFlow.Unwrap(name) is ILocalReferenceOperation { Local: var local }
        && scope.Blocks.SelectMany(block => block.DescendantsAndSelf()).Any(o => o is IAssignmentOperation { Target: ILocalReferenceOperation target } write
            && SymbolEqualityComparer.Default.Equals(target.Local, local) && Facts.ValueFlow.InNestedFunction(o)
            && !(write is ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: string verb } }
                && !verb.Equals("POST", System.StringComparison.OrdinalIgnoreCase)));

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

        return method.DeclaringSyntaxReferences.Any(reference => !Facts.GeneratedFiles.Is(reference.SyntaxTree));
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
