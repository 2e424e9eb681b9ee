namespace TracedLlm.Analyzers;

/// <summary>The types the analyzers look for, resolved once per compilation.</summary>
internal sealed class WellKnownTypes(Compilation compilation)
{
    /// <summary>The failure-filter attribute's metadata name.</summary>
    public const string FailureLoggingPathMetadataName = "TracedLlm.FailureLoggingPathAttribute";

    /// <summary>The metadata name of the attribute that says a project (a type, a method) holds traced code.</summary>
    public const string TracedCodeMetadataName = "TracedLlm.TracedLlmCodeAttribute";

    /// <summary>The assembly being compiled: only its own methods' bodies are analyzed here.</summary>
    public IAssemblySymbol Assembly { get; } = compilation.Assembly;

    /// <summary>Code under <c>[GeneratedCode]</c> is generated, and not analyzed.</summary>
    public INamedTypeSymbol? GeneratedCodeAttribute { get; } =
        Get(compilation, "System.CodeDom.Compiler.GeneratedCodeAttribute");
    public INamedTypeSymbol? RouteAttribute { get; } =
        Get(compilation, Generators.HandlerBinding.AttributeMetadataName);
    public INamedTypeSymbol? LlmCall { get; } = Get(compilation, Generators.HandlerBinding.LlmCallType);
    public INamedTypeSymbol? Authenticator { get; } = Get(compilation, "TracedLlm.ILlmAuthenticator");
    public INamedTypeSymbol? Guardrail { get; } = Get(compilation, "TracedLlm.ILlmGuardrail");
    public INamedTypeSymbol? FailureLogger { get; } = Get(compilation, "TracedLlm.ILlmFailureLogger");
    public INamedTypeSymbol? FailureLoggingPathAttribute { get; } = Get(compilation, FailureLoggingPathMetadataName);
    public INamedTypeSymbol? TracedCodeAttribute { get; } = Get(compilation, TracedCodeMetadataName);

    /// <summary>A hosted service runs beside the requests, so it is no entry point of traced code.</summary>
    public INamedTypeSymbol? HostedService { get; } = Get(compilation, "Microsoft.Extensions.Hosting.IHostedService");
    public INamedTypeSymbol? RecordsFailuresAttribute { get; } = Get(compilation, "TracedLlm.RecordsFailuresAttribute");
    public INamedTypeSymbol? FailureHandledByDesignAttribute { get; } =
        Get(compilation, "TracedLlm.FailureHandledByDesignAttribute");
    public INamedTypeSymbol? LlmAttempt { get; } = Get(compilation, "TracedLlm.LlmAttempt");
    public INamedTypeSymbol? TracedRouteInfo { get; } = Get(compilation, "TracedLlm.TracedRouteInfo");
    public INamedTypeSymbol? Exception { get; } = Get(compilation, "System.Exception");
    public INamedTypeSymbol? ExceptionDispatchInfo { get; } =
        Get(compilation, "System.Runtime.ExceptionServices.ExceptionDispatchInfo");
    public INamedTypeSymbol? Task { get; } = Get(compilation, "System.Threading.Tasks.Task");
    public INamedTypeSymbol? ValueTask { get; } = Get(compilation, "System.Threading.Tasks.ValueTask");
    public INamedTypeSymbol? TaskCompletionSource { get; } =
        Get(compilation, "System.Threading.Tasks.TaskCompletionSource");
    public INamedTypeSymbol? TaskCompletionSourceOfT { get; } =
        Get(compilation, "System.Threading.Tasks.TaskCompletionSource`1");
    public INamedTypeSymbol? Activity { get; } = Get(compilation, "System.Diagnostics.Activity");
    public INamedTypeSymbol? ActivitySource { get; } = Get(compilation, "System.Diagnostics.ActivitySource");
    public INamedTypeSymbol? ActivityContext { get; } = Get(compilation, "System.Diagnostics.ActivityContext");
    public INamedTypeSymbol? Dictionary { get; } = Get(compilation, "System.Collections.Generic.IDictionary`2");
    public INamedTypeSymbol? ReadOnlyDictionary { get; } =
        Get(compilation, "System.Collections.Generic.IReadOnlyDictionary`2");
    public INamedTypeSymbol? NonGenericDictionary { get; } = Get(compilation, "System.Collections.IDictionary");
    public INamedTypeSymbol? JsonNode { get; } = Get(compilation, "System.Text.Json.Nodes.JsonNode");
    public INamedTypeSymbol? JsonElement { get; } = Get(compilation, "System.Text.Json.JsonElement");
    public INamedTypeSymbol? JsonProperty { get; } = Get(compilation, "System.Text.Json.JsonProperty");
    public INamedTypeSymbol? JsonEncodedText { get; } = Get(compilation, "System.Text.Json.JsonEncodedText");
    public INamedTypeSymbol? Utf8JsonReader { get; } = Get(compilation, "System.Text.Json.Utf8JsonReader");
    public INamedTypeSymbol? Utf8JsonWriter { get; } = Get(compilation, "System.Text.Json.Utf8JsonWriter");
    public INamedTypeSymbol? Encoding { get; } = Get(compilation, "System.Text.Encoding");
    public INamedTypeSymbol? HttpMessageInvoker { get; } = Get(compilation, "System.Net.Http.HttpMessageInvoker");
    public INamedTypeSymbol? OperationCanceledException { get; } =
        Get(compilation, "System.OperationCanceledException");
    public INamedTypeSymbol? ChatClient { get; } = Get(compilation, "Microsoft.Extensions.AI.IChatClient");
    public INamedTypeSymbol? JsonException { get; } = Get(compilation, "System.Text.Json.JsonException");
    public INamedTypeSymbol? FormatException { get; } = Get(compilation, "System.FormatException");
    public INamedTypeSymbol? JsonSerializer { get; } = Get(compilation, "System.Text.Json.JsonSerializer");
    public INamedTypeSymbol? JsonDocument { get; } = Get(compilation, "System.Text.Json.JsonDocument");
    public INamedTypeSymbol? Logger { get; } = Get(compilation, "Microsoft.Extensions.Logging.ILogger");
    public INamedTypeSymbol? EmbeddingGenerator { get; } =
        Get(compilation, "Microsoft.Extensions.AI.IEmbeddingGenerator`2");
    public INamedTypeSymbol? HttpForwarder { get; } = Get(compilation, "Yarp.ReverseProxy.Forwarder.IHttpForwarder");
    public INamedTypeSymbol? RequestDelegate { get; } = Get(compilation, "Microsoft.AspNetCore.Http.RequestDelegate");

    // The app maps YARP's proxy (asked where YARP is referenced) and no traced relay shadows it: a middleware's next
    // reaches YARP's forwarding.
    private readonly Lazy<bool> _proxiedBehindNext = new(() => Get(compilation, "TracedLlm.LlmRelay") is null
        && compilation.SyntaxTrees.Any(tree => tree.GetRoot().DescendantTokens().Any(token => token.ValueText
            == "MapReverseProxy" && token.RawKind == (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken)));

    /// <summary>Every Semantic Kernel AI service (chat, text, embeddings, image, audio) implements it.</summary>
    public INamedTypeSymbol? AiService { get; } = Get(compilation, "Microsoft.SemanticKernel.Services.IAIService");
    public INamedTypeSymbol? ClientResult { get; } = Get(compilation, "System.ClientModel.ClientResult");

    // System.ClientModel 1.2 on: CollectionResult<T>'s untyped bases are in Primitives (GetMessages gives one).
    public INamedTypeSymbol? CollectionResult { get; } =
        Get(compilation, "System.ClientModel.Primitives.CollectionResult")
        ?? Get(compilation, "System.ClientModel.CollectionResult");
    public INamedTypeSymbol? AsyncCollectionResult { get; } =
        Get(compilation, "System.ClientModel.Primitives.AsyncCollectionResult")
        ?? Get(compilation, "System.ClientModel.AsyncCollectionResult");

    /// <summary>What a streaming call of OpenAI's Responses API gives (<c>CreateResponseStreamingAsync</c>).</summary>
    public INamedTypeSymbol? AsyncStreamingResult { get; } =
        Get(compilation, "System.ClientModel.AsyncStreamingResult`1");
    public INamedTypeSymbol? ValueTaskOfT { get; } = Get(compilation, "System.Threading.Tasks.ValueTask`1");
    public INamedTypeSymbol? TaskOfT { get; } = Get(compilation, "System.Threading.Tasks.Task`1");
    public INamedTypeSymbol? AsyncEnumerable { get; } =
        Get(compilation, "System.Collections.Generic.IAsyncEnumerable`1");
    public INamedTypeSymbol? ObjectDisposedException { get; } = Get(compilation, "System.ObjectDisposedException");

    /// <summary>What a member throws, by .NET's design guidelines, for an argument that is not valid, before its
    /// work.</summary>
    public INamedTypeSymbol? ArgumentException { get; } = Get(compilation, "System.ArgumentException");

    /// <summary>What <c>Task.Delay</c> documents for a negative delay.</summary>
    public INamedTypeSymbol? ArgumentOutOfRangeException { get; } =
        Get(compilation, "System.ArgumentOutOfRangeException");
    public INamedTypeSymbol? HttpRequestException { get; } = Get(compilation, "System.Net.Http.HttpRequestException");

    /// <summary>What <c>IDataProtector.Unprotect</c> throws for a payload it cannot decrypt.</summary>
    public INamedTypeSymbol? CryptographicException { get; } =
        Get(compilation, "System.Security.Cryptography.CryptographicException");
    public INamedTypeSymbol? DataProtector { get; } =
        Get(compilation, "Microsoft.AspNetCore.DataProtection.IDataProtector");

    /// <summary>Its <c>Define</c> methods return the delegate a log helper calls.</summary>
    public INamedTypeSymbol? LoggerMessage { get; } = Get(compilation, "Microsoft.Extensions.Logging.LoggerMessage");

    /// <summary>The logging generator writes the method's body, which only logs.</summary>
    public INamedTypeSymbol? LoggerMessageAttribute { get; } =
        Get(compilation, "Microsoft.Extensions.Logging.LoggerMessageAttribute");

    /// <summary><c>LogInformation</c>, <c>LogWarning</c>...: each writes one log line through
    /// <c>ILogger.Log</c>.</summary>
    public INamedTypeSymbol? LoggerExtensions { get; } =
        Get(compilation, "Microsoft.Extensions.Logging.LoggerExtensions");

    // Types whose members read or build strings, bytes and their encodings in memory (base64 and base64url
    // decoders, text encodings): a call on one reaches no store and no network.
    private INamedTypeSymbol?[] InMemoryTypes { get; } = new[]
    {
        Get(compilation, "System.String"), Get(compilation, "System.Char"), Get(compilation, "System.Array"),
        Get(compilation, "System.Convert"), Get(compilation, "System.Text.Encoding"),
        Get(compilation, "System.Buffers.Text.Base64"), Get(compilation, "System.Buffers.Text.Base64Url"),
        Get(compilation, "Microsoft.AspNetCore.WebUtilities.WebEncoders"),
        Get(compilation, "Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder"),
        Get(compilation, "Microsoft.AspNetCore.Authentication.Base64UrlTextEncoder"),
    };

    /// <summary>The library members that decode a value in memory, and those that compute on one.</summary>
    public InMemoryDecoders Decoders { get; } = new(compilation, Get(compilation, "System.Text.Encoding"));

    /// <summary>What a number's <c>Parse</c> throws for a value out of its type's range.</summary>
    public INamedTypeSymbol? OverflowException { get; } = Get(compilation, "System.OverflowException");
    public INamedTypeSymbol? TimerCallback { get; } = Get(compilation, "System.Threading.TimerCallback");
    public INamedTypeSymbol? ThreadingTimer { get; } = Get(compilation, "System.Threading.Timer");
    public INamedTypeSymbol? TimeProvider { get; } = Get(compilation, "System.TimeProvider");

    /// <summary>
    /// The types of an endpoint's result: <c>IResult</c> (minimal APIs), <c>IActionResult</c> (MVC, Razor pages) and
    /// <c>IConvertToActionResult</c> (<c>ActionResult&lt;T&gt;</c>).
    /// </summary>
    private INamedTypeSymbol?[] HttpAnswerTypes { get; } = new[]
        {
            Get(compilation, "Microsoft.AspNetCore.Http.IResult"),
            Get(compilation, "Microsoft.AspNetCore.Mvc.IActionResult"),
            Get(compilation, "Microsoft.AspNetCore.Mvc.Infrastructure.IConvertToActionResult"),
        };

    /// <summary>What a handler writes the request's answer to.</summary>
    public INamedTypeSymbol? HttpResponse { get; } = Get(compilation, "Microsoft.AspNetCore.Http.HttpResponse");
    public INamedTypeSymbol? HttpContent { get; } = Get(compilation, "System.Net.Http.HttpContent");
    public INamedTypeSymbol Disposable { get; } = compilation.GetSpecialType(SpecialType.System_IDisposable);
    public INamedTypeSymbol? AsyncDisposable { get; } = Get(compilation, "System.IAsyncDisposable");
    public INamedTypeSymbol? HttpRequestMessage { get; } = Get(compilation, "System.Net.Http.HttpRequestMessage");

    /// <summary><c>IProblemDetailsService.WriteAsync</c> / <c>TryWriteAsync</c>: ASP.NET Core's writer of an error
    /// answer.</summary>
    public static bool WritesProblemDetails(IMethodSymbol method) =>
        method.Name is "WriteAsync" or "TryWriteAsync"
        && method.ContainingType?.ToDisplayString() == "Microsoft.AspNetCore.Http.IProblemDetailsService";

    /// <summary>A type whose value is an HTTP answer (<see cref="HttpAnswerTypes"/> or a type implementing one), or a
    /// task of one.</summary>
    public bool IsHttpAnswer(ITypeSymbol? type)
    {
        type = type is null ? null : Awaited(type);
        return type is not null && HttpAnswerTypes.Any(answer => IsOrImplements(type, answer));
    }

    /// <summary>A member of a type that computes on data already in memory (<see cref="InMemoryTypes"/>, or a type
    /// derived from one).</summary>
    public bool IsInMemory(ISymbol member) =>
        InMemoryTypes.Any(type => type is not null && DerivesFrom(member.ContainingType, type));

    /// <summary><c>Unprotect</c> of an <c>IDataProtector</c> (or a type implementing it), or one of its
    /// extensions.</summary>
    public bool IsUnprotect(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        var receiver = DeclaredReceiver(method);
        return method.Name == "Unprotect" && IsOrImplements(receiver, DataProtector);
    }

    /// <summary>A <c>TimerCallback</c> given to <c>Timer</c>'s constructor or
    /// <c>TimeProvider.CreateTimer</c>.</summary>
    /// <remarks>The timer calls it on a thread-pool thread at each tick, never within the call that hands it
    /// over.</remarks>
    public bool IsTimerCallback(IMethodSymbol method, IParameterSymbol parameter) =>
        TimerCallback is not null && Same(parameter.Type, TimerCallback)
        && ((method.MethodKind == MethodKind.Constructor && Same(method.ContainingType, ThreadingTimer))
            || (method.Name == "CreateTimer" && TimeProvider is not null
                && DerivesFrom(method.ContainingType, TimeProvider)));

    /// <summary>Null when the compilation does not reference TracedLlm: the analyzers then do nothing.</summary>
    public static WellKnownTypes? Create(Compilation compilation) =>
        new WellKnownTypes(compilation) is { RouteAttribute: not null } types ? types : null;

    /// <summary>A type whose members take string keys of a metadata bag: dictionaries (generic and not,
    /// <c>HttpContext.Items</c> included), JSON nodes, elements, properties, the UTF-8 JSON reader and
    /// writer.</summary>
    public bool IsKeyedBag(ITypeSymbol? type) => type is not null
        && (Same(type, JsonElement) || Same(type, JsonProperty) || Same(type, Utf8JsonReader)
            || Same(type, Utf8JsonWriter) || (JsonNode is not null && DerivesFrom(type, JsonNode)) || IsDictionary(type)
            || type.AllInterfaces.Any(IsDictionary));

    private bool IsDictionary(ITypeSymbol type) =>
        Same(type.OriginalDefinition, Dictionary) || Same(type.OriginalDefinition, ReadOnlyDictionary)
        || Same(type, NonGenericDictionary);

    /// <summary>An upstream call, named as it is made (<c>receiver type.method</c>), or null.</summary>
    /// <remarks>
    /// <c>HttpMessageInvoker</c>'s and <c>HttpClient</c>'s sends, verb methods and JSON extensions; YARP's
    /// <c>IHttpForwarder.SendAsync</c>; M.E.AI's <c>IChatClient</c> and <c>IEmbeddingGenerator</c> calls; an instance
    /// method of a System.ClientModel SDK that returns a <c>ClientResult</c> or a collection result (OpenAI's); the
    /// Anthropic SDK's services. <paramref name="receiverType"/> is the static type called on, when known. This reads
    /// the signature only: TLLM2006 asks it of methods with no body in the compilation.
    /// </remarks>
    public string? UpstreamCall(IMethodSymbol method, ITypeSymbol? receiverType = null)
    {
        var declaredReceiver = DeclaredReceiver(method);
        var receiver = receiverType ?? declaredReceiver;
        var ordinary = !method.IsStatic && method.MethodKind == MethodKind.Ordinary;
        var upstream = (HttpMessageInvoker is not null && DerivesFrom(declaredReceiver, HttpMessageInvoker)
                && (method.Name is "Send" or "SendAsync" or "PostAsync" or "PutAsync" or "PatchAsync" or "DeleteAsync"
                    || method.Name.StartsWith("Get", StringComparison.Ordinal)
                    || method.Name.EndsWith("AsJsonAsync", StringComparison.Ordinal)))
            || (method.Name == "SendAsync" && IsOrImplements(declaredReceiver, HttpForwarder))
            || (Same(declaredReceiver, RequestDelegate) && HttpForwarder is not null && _proxiedBehindNext.Value)
            || (IsOrImplements(declaredReceiver, ChatClient)
                && method.Name is "GetResponseAsync" or "GetStreamingResponseAsync")
            || (method.Name.StartsWith("Generate", StringComparison.Ordinal)
                && IsOrImplements(declaredReceiver, EmbeddingGenerator))
            || (ordinary && new[] { ClientResult, CollectionResult, AsyncCollectionResult, AsyncStreamingResult }
                .Any(result => result is not null && DerivesFrom(Awaited(method.ReturnType), result)))
            || (ordinary && (method.ContainingType.ContainingNamespace?.ToDisplayString() + ".")
                    .StartsWith("Anthropic.Services.", StringComparison.Ordinal)
                && (Same(method.ReturnType.OriginalDefinition, TaskOfT)
                    || Same(method.ReturnType.OriginalDefinition, AsyncEnumerable)));
        return !upstream ? null : Same(declaredReceiver, RequestDelegate) ? "RequestDelegate (YARP's MapReverseProxy)"
            : $"{(receiver is ITypeParameterSymbol ? declaredReceiver : receiver).Name}.{method.Name}";
    }

    /// <summary>A model call through an SDK TLLM2006 does not follow (its page says why).</summary>
    /// <remarks>
    /// A method of a Semantic Kernel AI service or an extension of one, or of a client of Azure.AI.OpenAI 1.x or
    /// Azure.AI.Inference, whose every method calls a model. TLLM2004's status readings refuse it: its 404 or 409 is a
    /// model or deployment not there, not an item absent or present.
    /// </remarks>
    public bool ModelSdkCall(IMethodSymbol method)
    {
        var receiver = DeclaredReceiver(method.ReducedFrom ?? method);
        var space = receiver.ContainingNamespace?.ToDisplayString();
        return IsOrImplements(receiver, AiService)
            || (receiver.Name.EndsWith("Client", StringComparison.Ordinal)
                && space is "Azure.AI.OpenAI" or "Azure.AI.Inference");
    }

    /// <summary>T of a <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>, else the type itself.</summary>
    public ITypeSymbol Awaited(ITypeSymbol type) => TaskResult(type) ?? type;

    /// <summary>T of a <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>, else null.</summary>
    public ITypeSymbol? TaskResult(ITypeSymbol type) => type is INamedTypeSymbol { TypeArguments.Length: 1 } named
        && (Same(named.OriginalDefinition, TaskOfT) || Same(named.OriginalDefinition, ValueTaskOfT))
            ? named.TypeArguments[0] : null;

    /// <summary>LlmCall.ExecuteAsync / StreamAsync: their operation runs inside an attempt scope.</summary>
    public bool RunsAttempts(IMethodSymbol method) =>
        Same(method.ContainingType, LlmCall) && method.Name is "ExecuteAsync" or "StreamAsync";

    /// <summary>LlmCall.RecordHandledFailure: records a failure the code recovered from; it is not a failure
    /// filter.</summary>
    public bool IsHandledFailureRecord(IMethodSymbol method) =>
        Same(method.ContainingType, LlmCall) && method.Name == "RecordHandledFailure";

    /// <summary>LlmAttempt.Fail: the exception ends its attempt's span as a failure.</summary>
    public bool IsAttemptFailure(IMethodSymbol method) =>
        Same(method.ContainingType, LlmAttempt) && method.Name == "Fail";

    /// <summary>JSON read in memory: JsonNode and its subtypes, JsonDocument, JsonElement, JsonSerializer.</summary>
    public bool IsJsonParsing(IMethodSymbol method) => Same(method.ContainingType, JsonSerializer)
        || Same(method.ContainingType, JsonDocument) || Same(method.ContainingType, JsonElement)
        || (JsonNode is not null && DerivesFrom(method.ContainingType, JsonNode));

    /// <summary>A log call: a method of ILogger or an extension method on it.</summary>
    public bool IsLogging(IMethodSymbol method) => IsOrImplements(DeclaredReceiver(method), Logger);

    /// <summary>A failure logger call: ILlmFailureLogger (or an implementation) or a [FailureLoggingPath]
    /// method.</summary>
    public bool IsFailureLoggerCall(IMethodSymbol method) =>
        (FailureLogger is not null && (Same(method.ContainingType, FailureLogger)
            || (Implements(method.ContainingType, FailureLogger) && method.Name == "LogFailureAsync")))
        || IsFailureFilterMethod(method);

    public bool IsFailureFilterMethod(IMethodSymbol method) =>
        FailureLoggingPathAttribute is not null && HasAttribute(method.OriginalDefinition, FailureLoggingPathAttribute);

    public static bool Same(ISymbol? left, ISymbol? right) => SymbolEqualityComparer.Default.Equals(left, right);

    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol attribute) =>
        symbol.GetAttributes().Any(data => Same(data.AttributeClass, attribute));

    /// <summary>The type a method is called on as declared: an extension method's <c>this</c> parameter's, else its
    /// containing type.</summary>
    public static ITypeSymbol DeclaredReceiver(IMethodSymbol method) =>
        method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type : method.ContainingType;

    /// <summary>A method and every method a call may name to reach it: what it overrides and implements.</summary>
    public static IEnumerable<IMethodSymbol> SelfAndDeclared(IMethodSymbol method) =>
        Lists.Chain(method, m => m.OverriddenMethod).Concat(method.ExplicitInterfaceImplementations)
            .Concat((method.ContainingType?.AllInterfaces ?? ImmutableArray<INamedTypeSymbol>.Empty)
                .SelectMany(i => i.GetMembers(method.Name).OfType<IMethodSymbol>())
                .Where(m => Same(method.ContainingType!.FindImplementationForInterfaceMember(m)?.OriginalDefinition,
                    method.OriginalDefinition)));

    /// <summary>A cache's method, a shortcut whose failure is a miss.</summary>
    /// <remarks>Its name or its type's says cache, its type is no chat client or embedding generator, and it answers no
    /// value or one that may be missing.</remarks>
    public bool Caches(ISymbol? member) => member is IMethodSymbol { ContainingType: { } type } method
        && (member.Name.Contains("Cach") || type.Name.Contains("Cach"))
        && !IsOrImplements(type, ChatClient) && !IsOrImplements(type, EmbeddingGenerator) && Awaited(method.ReturnType)
            is { SpecialType: SpecialType.System_Void or SpecialType.System_Boolean } or { Name: "Task" or "ValueTask" }
                or { NullableAnnotation: NullableAnnotation.Annotated };

    /// <summary>The type is <paramref name="interface"/> (any construction of it) or implements it.</summary>
    internal static bool IsOrImplements(ITypeSymbol type, INamedTypeSymbol? @interface) => @interface is not null
        && (Same(type.OriginalDefinition, @interface) || Implements(type, @interface));

    public static bool Implements(ITypeSymbol? type, INamedTypeSymbol @interface) =>
        type is not null && type.AllInterfaces.Any(candidate => Same(candidate.OriginalDefinition, @interface));

    public static bool DerivesFrom(ITypeSymbol? type, ITypeSymbol baseType)
    {
        // A loop, not AndBases: every rule asks this of nearly every call it reads.
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (Same(current.OriginalDefinition, baseType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The type and its base types, nearest first; none for null.</summary>
    public static IEnumerable<ITypeSymbol> AndBases(ITypeSymbol? type) => Lists.Chain(type, t => t.BaseType);

    private static INamedTypeSymbol? Get(Compilation compilation, string name) =>
        compilation.GetTypeByMetadataName(name);
}
