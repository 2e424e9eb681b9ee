using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers;

/// <summary>The types the analyzers look for, resolved once per compilation.</summary>
internal sealed class WellKnownTypes
{
    /// <summary>The failure-filter attribute's metadata name.</summary>
    public const string FailureLoggingPathMetadataName = "TracedLlm.FailureLoggingPathAttribute";

    /// <summary>The metadata name of the attribute that says a project (a type, a method) holds traced code.</summary>
    public const string TracedCodeMetadataName = "TracedLlm.TracedLlmCodeAttribute";

    /// <summary>The assembly being compiled: only its own methods' bodies are analyzed here.</summary>
    public IAssemblySymbol Assembly { get; }

    /// <summary><c>System.CodeDom.Compiler.GeneratedCodeAttribute</c>: code under it is generated, and not analyzed.</summary>
    public INamedTypeSymbol? GeneratedCodeAttribute { get; }

    private WellKnownTypes(Compilation compilation)
    {
        INamedTypeSymbol? Get(string name) => compilation.GetTypeByMetadataName(name);
        Assembly = compilation.Assembly;
        GeneratedCodeAttribute = Get("System.CodeDom.Compiler.GeneratedCodeAttribute");
        RouteAttribute = Get(TracedLlm.Generators.HandlerBinding.AttributeMetadataName);
        LlmCall = Get(TracedLlm.Generators.HandlerBinding.LlmCallType);
        Authenticator = Get("TracedLlm.ILlmAuthenticator");
        Guardrail = Get("TracedLlm.ILlmGuardrail");
        FailureLogger = Get("TracedLlm.ILlmFailureLogger");
        FailureLoggingPathAttribute = Get(FailureLoggingPathMetadataName);
        TracedCodeAttribute = Get(TracedCodeMetadataName);
        HostedService = Get("Microsoft.Extensions.Hosting.IHostedService");
        RecordsFailuresAttribute = Get("TracedLlm.RecordsFailuresAttribute");
        FailureHandledByDesignAttribute = Get("TracedLlm.FailureHandledByDesignAttribute");
        LlmAttempt = Get("TracedLlm.LlmAttempt");
        TracedRouteInfo = Get("TracedLlm.TracedRouteInfo");
        Exception = Get("System.Exception");
        ExceptionDispatchInfo = Get("System.Runtime.ExceptionServices.ExceptionDispatchInfo");
        Task = Get("System.Threading.Tasks.Task");
        ValueTask = Get("System.Threading.Tasks.ValueTask");
        TaskCompletionSource = Get("System.Threading.Tasks.TaskCompletionSource");
        TaskCompletionSourceOfT = Get("System.Threading.Tasks.TaskCompletionSource`1");
        Activity = Get("System.Diagnostics.Activity");
        ActivitySource = Get("System.Diagnostics.ActivitySource");
        ActivityContext = Get("System.Diagnostics.ActivityContext");
        Dictionary = Get("System.Collections.Generic.IDictionary`2");
        ReadOnlyDictionary = Get("System.Collections.Generic.IReadOnlyDictionary`2");
        NonGenericDictionary = Get("System.Collections.IDictionary");
        JsonNode = Get("System.Text.Json.Nodes.JsonNode");
        JsonElement = Get("System.Text.Json.JsonElement");
        JsonProperty = Get("System.Text.Json.JsonProperty");
        JsonEncodedText = Get("System.Text.Json.JsonEncodedText");
        Utf8JsonReader = Get("System.Text.Json.Utf8JsonReader");
        Utf8JsonWriter = Get("System.Text.Json.Utf8JsonWriter");
        Encoding = Get("System.Text.Encoding");
        JsonPropertyNameAttribute = Get("System.Text.Json.Serialization.JsonPropertyNameAttribute");
        JsonIgnoreAttribute = Get("System.Text.Json.Serialization.JsonIgnoreAttribute");
        JsonIncludeAttribute = Get("System.Text.Json.Serialization.JsonIncludeAttribute");
        HttpMessageInvoker = Get("System.Net.Http.HttpMessageInvoker");
        OperationCanceledException = Get("System.OperationCanceledException");
        HttpClient = Get("System.Net.Http.HttpClient");
        ChatClient = Get("Microsoft.Extensions.AI.IChatClient");
        JsonException = Get("System.Text.Json.JsonException");
        FormatException = Get("System.FormatException");
        JsonSerializer = Get("System.Text.Json.JsonSerializer");
        JsonDocument = Get("System.Text.Json.JsonDocument");
        Logger = Get("Microsoft.Extensions.Logging.ILogger");
        EmbeddingGenerator = Get("Microsoft.Extensions.AI.IEmbeddingGenerator`2");
        HttpForwarder = Get("Yarp.ReverseProxy.Forwarder.IHttpForwarder");
        AiService = Get("Microsoft.SemanticKernel.Services.IAIService");
        ClientResult = Get("System.ClientModel.ClientResult");
        // System.ClientModel 1.2 on: CollectionResult<T>'s untyped bases are in Primitives (GetMessages gives one).
        CollectionResult = Get("System.ClientModel.Primitives.CollectionResult")
            ?? Get("System.ClientModel.CollectionResult");
        AsyncCollectionResult = Get("System.ClientModel.Primitives.AsyncCollectionResult")
            ?? Get("System.ClientModel.AsyncCollectionResult");
        AsyncStreamingResult = Get("System.ClientModel.AsyncStreamingResult`1");
        ValueTaskOfT = Get("System.Threading.Tasks.ValueTask`1");
        TaskOfT = Get("System.Threading.Tasks.Task`1");
        AsyncEnumerable = Get("System.Collections.Generic.IAsyncEnumerable`1");
        ObjectDisposedException = Get("System.ObjectDisposedException");
        ArgumentException = Get("System.ArgumentException");
        ArgumentOutOfRangeException = Get("System.ArgumentOutOfRangeException");
        TypeLoadException = Get("System.TypeLoadException");
        HttpRequestException = Get("System.Net.Http.HttpRequestException");
        HttpStatusCode = Get("System.Net.HttpStatusCode");
        CryptographicException = Get("System.Security.Cryptography.CryptographicException");
        DataProtector = Get("Microsoft.AspNetCore.DataProtection.IDataProtector");
        LoggerMessage = Get("Microsoft.Extensions.Logging.LoggerMessage");
        LoggerMessageAttribute = Get("Microsoft.Extensions.Logging.LoggerMessageAttribute");
        LoggerExtensions = Get("Microsoft.Extensions.Logging.LoggerExtensions");
        InMemoryTypes = new[]
        {
            Get("System.String"), Get("System.Char"), Get("System.Array"), Get("System.Convert"), Encoding, Get("System.Buffers.Text.Base64"), Get("System.Buffers.Text.Base64Url"),
            Get("Microsoft.AspNetCore.WebUtilities.WebEncoders"), Get("Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder"), Get("Microsoft.AspNetCore.Authentication.Base64UrlTextEncoder"),
        };
        Decoders = new Facts.InMemoryDecoders(compilation, Encoding);
        OverflowException = Get("System.OverflowException");
        TimerCallback = Get("System.Threading.TimerCallback");
        ThreadingTimer = Get("System.Threading.Timer");
        TimeProvider = Get("System.TimeProvider");
        HttpAnswerTypes = new[] { Get("Microsoft.AspNetCore.Http.IResult"), Get("Microsoft.AspNetCore.Mvc.IActionResult"), Get("Microsoft.AspNetCore.Mvc.Infrastructure.IConvertToActionResult") };
        HttpResponse = Get("Microsoft.AspNetCore.Http.HttpResponse");
        HttpContent = Get("System.Net.Http.HttpContent");
        Disposable = compilation.GetSpecialType(SpecialType.System_IDisposable);
        AsyncDisposable = Get("System.IAsyncDisposable");
        HttpRequestMessage = Get("System.Net.Http.HttpRequestMessage");
        HttpIOException = Get("System.Net.Http.HttpIOException");
    }

    public INamedTypeSymbol? RouteAttribute { get; }
    public INamedTypeSymbol? LlmCall { get; }
    public INamedTypeSymbol? Authenticator { get; }
    public INamedTypeSymbol? Guardrail { get; }
    public INamedTypeSymbol? FailureLogger { get; }
    public INamedTypeSymbol? FailureLoggingPathAttribute { get; }

    /// <summary><c>[TracedLlmCode]</c>: the entry points of what it marks are traced code.</summary>
    public INamedTypeSymbol? TracedCodeAttribute { get; }

    /// <summary><c>[RecordsFailures]</c>: a method (a type's) that keeps a failure as its own record.</summary>
    public INamedTypeSymbol? RecordsFailuresAttribute { get; }

    /// <summary><c>[FailureHandledByDesign]</c>: the author vouches for the method's catches.</summary>
    public INamedTypeSymbol? FailureHandledByDesignAttribute { get; }

    /// <summary><c>IHostedService</c>: a hosted service runs beside the requests, so it is no entry point of traced code.</summary>
    public INamedTypeSymbol? HostedService { get; }
    public INamedTypeSymbol? LlmAttempt { get; }
    public INamedTypeSymbol? TracedRouteInfo { get; }
    public INamedTypeSymbol? Exception { get; }
    public INamedTypeSymbol? ExceptionDispatchInfo { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? ValueTask { get; }
    public INamedTypeSymbol? TaskCompletionSource { get; }
    public INamedTypeSymbol? TaskCompletionSourceOfT { get; }
    public INamedTypeSymbol? Activity { get; }
    public INamedTypeSymbol? ActivitySource { get; }
    public INamedTypeSymbol? ActivityContext { get; }
    public INamedTypeSymbol? Dictionary { get; }
    public INamedTypeSymbol? ReadOnlyDictionary { get; }
    public INamedTypeSymbol? NonGenericDictionary { get; }
    public INamedTypeSymbol? JsonNode { get; }
    public INamedTypeSymbol? JsonElement { get; }
    public INamedTypeSymbol? JsonProperty { get; }
    public INamedTypeSymbol? JsonEncodedText { get; }
    public INamedTypeSymbol? Utf8JsonReader { get; }
    public INamedTypeSymbol? Utf8JsonWriter { get; }
    public INamedTypeSymbol? Encoding { get; }
    public INamedTypeSymbol? JsonPropertyNameAttribute { get; }
    public INamedTypeSymbol? JsonIgnoreAttribute { get; }
    public INamedTypeSymbol? JsonIncludeAttribute { get; }
    public INamedTypeSymbol? HttpMessageInvoker { get; }

    /// <summary><c>System.OperationCanceledException</c>: a cancellation (a task's, derived, among them).</summary>
    public INamedTypeSymbol? OperationCanceledException { get; }
    public INamedTypeSymbol? HttpClient { get; }
    public INamedTypeSymbol? ChatClient { get; }
    public INamedTypeSymbol? JsonException { get; }
    public INamedTypeSymbol? FormatException { get; }
    public INamedTypeSymbol? JsonSerializer { get; }
    public INamedTypeSymbol? JsonDocument { get; }
    public INamedTypeSymbol? Logger { get; }
    public INamedTypeSymbol? EmbeddingGenerator { get; }
    public INamedTypeSymbol? HttpForwarder { get; }

    /// <summary><c>Microsoft.SemanticKernel.Services.IAIService</c>: every Semantic Kernel AI service (chat, text, embeddings, image, audio) implements it.</summary>
    public INamedTypeSymbol? AiService { get; }
    public INamedTypeSymbol? ClientResult { get; }
    public INamedTypeSymbol? CollectionResult { get; }
    public INamedTypeSymbol? AsyncCollectionResult { get; }

    /// <summary>What a streaming call of OpenAI's Responses API gives (<c>CreateResponseStreamingAsync</c>).</summary>
    public INamedTypeSymbol? AsyncStreamingResult { get; }
    public INamedTypeSymbol? ValueTaskOfT { get; }
    public INamedTypeSymbol? TaskOfT { get; }
    public INamedTypeSymbol? AsyncEnumerable { get; }

    /// <summary><c>System.Net.Http.HttpContent</c>: an HTTP message's body.</summary>
    public INamedTypeSymbol? HttpContent { get; }

    /// <summary><c>System.IDisposable</c>: what a <c>using</c> ends with.</summary>
    public INamedTypeSymbol Disposable { get; }

    /// <summary><c>System.IAsyncDisposable</c>: what an <c>await using</c> ends with.</summary>
    public INamedTypeSymbol? AsyncDisposable { get; }

    /// <summary><c>System.Net.Http.HttpRequestMessage</c>: a request a client sends.</summary>
    public INamedTypeSymbol? HttpRequestMessage { get; }

    /// <summary><c>IProblemDetailsService.WriteAsync</c> / <c>TryWriteAsync</c>: ASP.NET Core's own writer of an error answer.</summary>
    public static bool WritesProblemDetails(IMethodSymbol method) =>
        method.Name is "WriteAsync" or "TryWriteAsync" && method.ContainingType?.ToDisplayString() == "Microsoft.AspNetCore.Http.IProblemDetailsService";

    /// <summary><c>System.Net.Http.HttpIOException</c> (.NET 8+): an HTTP body that ended early or broke on the way.</summary>
    public INamedTypeSymbol? HttpIOException { get; }


    /// <summary><c>Microsoft.AspNetCore.Http.HttpResponse</c>: what a handler writes the request's answer to.</summary>
    public INamedTypeSymbol? HttpResponse { get; }

    /// <summary>
    /// The types an endpoint's result is in ASP.NET Core: <c>IResult</c> (minimal APIs, <c>Results</c>, <c>TypedResults</c>),
    /// <c>IActionResult</c> (MVC, Razor pages) and <c>IConvertToActionResult</c> (<c>ActionResult&lt;T&gt;</c>).
    /// </summary>
    private INamedTypeSymbol?[] HttpAnswerTypes { get; }

    /// <summary>
    /// A type whose value is an HTTP answer (<see cref="HttpAnswerTypes"/>, one of them or a type implementing one), or a task of
    /// one: what an endpoint returns for ASP.NET Core to write.
    /// </summary>
    public bool IsHttpAnswer(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        type = Awaited(type);
        foreach (var answer in HttpAnswerTypes)
        {
            if (answer is not null && (Same(type.OriginalDefinition, answer) || Implements(type, answer)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>System.ObjectDisposedException</c>.</summary>
    public INamedTypeSymbol? ObjectDisposedException { get; }

    /// <summary>
    /// <c>System.ArgumentException</c>: by .NET's design guidelines, what a member throws for an argument it was given that
    /// is not valid, before it does its work (<c>ArgumentNullException</c>, <c>ArgumentOutOfRangeException</c> derive from it).
    /// </summary>
    public INamedTypeSymbol? ArgumentException { get; }

    /// <summary><c>System.ArgumentOutOfRangeException</c>: what <c>Task.Delay</c> documents for a negative delay.</summary>
    public INamedTypeSymbol? ArgumentOutOfRangeException { get; }

    /// <summary><c>System.TypeLoadException</c>: the loader's failure (<c>DllNotFoundException</c>, <c>EntryPointNotFoundException</c> derive from it), never a request's "not found".</summary>
    public INamedTypeSymbol? TypeLoadException { get; }

    /// <summary><c>System.Net.Http.HttpRequestException</c>: what <c>HttpClient</c> and its handlers throw for a request they could not complete.</summary>
    public INamedTypeSymbol? HttpRequestException { get; }

    /// <summary><c>System.Net.HttpStatusCode</c>: an HTTP status as the BCL types it (RFC 9110's codes as named values).</summary>
    public INamedTypeSymbol? HttpStatusCode { get; }

    /// <summary><c>System.Security.Cryptography.CryptographicException</c>: what <c>IDataProtector.Unprotect</c> throws for a payload it cannot decrypt.</summary>
    public INamedTypeSymbol? CryptographicException { get; }

    /// <summary><c>Microsoft.AspNetCore.DataProtection.IDataProtector</c>.</summary>
    public INamedTypeSymbol? DataProtector { get; }

    /// <summary><c>Microsoft.Extensions.Logging.LoggerMessage</c>: its <c>Define</c> methods return the delegate a log helper calls.</summary>
    public INamedTypeSymbol? LoggerMessage { get; }

    /// <summary><c>Microsoft.Extensions.Logging.LoggerMessageAttribute</c>: the logging generator writes the method's body, which only logs.</summary>
    public INamedTypeSymbol? LoggerMessageAttribute { get; }

    /// <summary><c>Microsoft.Extensions.Logging.LoggerExtensions</c>: <c>LogInformation</c>, <c>LogWarning</c>... each writes one log line through <c>ILogger.Log</c>.</summary>
    public INamedTypeSymbol? LoggerExtensions { get; }

    // Types whose members read or build strings, bytes and their encodings in memory (base64 and base64url
    // decoders, text encodings): a call on one reaches no store and no network.
    private INamedTypeSymbol?[] InMemoryTypes { get; }

    /// <summary>
    /// A member of <c>String</c>, <c>Char</c>, <c>Array</c>, <c>Convert</c>, <c>Encoding</c> (or a type derived from it), the base64
    /// and base64url decoders (<c>Base64</c>, <c>Base64Url</c>, ASP.NET Core's <c>WebEncoders</c> and <c>Base64UrlTextEncoder</c>):
    /// it computes on data already in memory.
    /// </summary>
    public bool IsInMemory(ISymbol member) => MemberOfAny(member, InMemoryTypes);

    /// <summary>
    /// <c>Unprotect</c> of an <c>IDataProtector</c> (the interface, a type implementing it, <c>ITimeLimitedDataProtector</c>), or
    /// one of its extensions (<c>DataProtectionCommonExtensions.Unprotect(string)</c>, the time-limited ones): it decrypts a payload.
    /// </summary>
    public bool IsUnprotect(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        var receiver = method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type : method.ContainingType;
        return method.Name == "Unprotect" && DataProtector is not null && (Same(receiver, DataProtector) || Implements(receiver, DataProtector));
    }

    /// <summary>The library members that decode a value in memory, and those that compute on one (a decode probe's <c>try</c>).</summary>
    public Facts.InMemoryDecoders Decoders { get; }

    /// <summary><c>System.OverflowException</c>: what a number's <c>Parse</c> throws for a value out of its type's range.</summary>
    public INamedTypeSymbol? OverflowException { get; }

    /// <summary><c>System.Threading.TimerCallback</c>: the method a timer calls on each of its ticks.</summary>
    public INamedTypeSymbol? TimerCallback { get; }

    /// <summary><c>System.Threading.Timer</c>.</summary>
    public INamedTypeSymbol? ThreadingTimer { get; }

    /// <summary><c>System.TimeProvider</c>: its <c>CreateTimer</c> makes a timer that calls back as <c>Timer</c> does.</summary>
    public INamedTypeSymbol? TimeProvider { get; }

    /// <summary>
    /// The parameter of a timer's callback: a <c>TimerCallback</c> given to <c>System.Threading.Timer</c>'s constructor or to
    /// <c>TimeProvider.CreateTimer</c> (or an override of it). The timer calls it on a thread-pool thread at each tick,
    /// never within the call that hands it over.
    /// </summary>
    public bool IsTimerCallback(IMethodSymbol method, IParameterSymbol parameter) =>
        TimerCallback is not null && Same(parameter.Type, TimerCallback)
        && ((method.MethodKind == MethodKind.Constructor && Same(method.ContainingType, ThreadingTimer))
            || (method.Name == "CreateTimer" && TimeProvider is not null && DerivesFrom(method.ContainingType, TimeProvider)));

    /// <summary>The member is declared by one of <paramref name="types"/> or by a type derived from one.</summary>
    private static bool MemberOfAny(ISymbol member, INamedTypeSymbol?[] types)
    {
        foreach (var type in types)
        {
            if (type is not null && DerivesFrom(member.ContainingType, type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Null when the compilation does not reference TracedLlm: the analyzers then do nothing.</summary>
    public static WellKnownTypes? Create(Compilation compilation)
    {
        var types = new WellKnownTypes(compilation);
        return types.RouteAttribute is null ? null : types;
    }

    /// <summary>
    /// A type whose members take string keys of a metadata bag: dictionaries (generic and not,
    /// <c>HttpContext.Items</c> included), <c>JsonNode</c> and its subtypes, <c>JsonElement</c>,
    /// <c>JsonProperty</c>, and the UTF-8 JSON reader and writer.
    /// </summary>
    public bool IsKeyedBag(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (Same(type, JsonElement) || Same(type, JsonProperty) || Same(type, Utf8JsonReader) || Same(type, Utf8JsonWriter)
            || (JsonNode is not null && DerivesFrom(type, JsonNode)))
        {
            return true;
        }

        if (IsDictionary(type))
        {
            return true;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (IsDictionary(@interface))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsDictionary(ITypeSymbol type) =>
        Same(type.OriginalDefinition, Dictionary) || Same(type.OriginalDefinition, ReadOnlyDictionary) || Same(type, NonGenericDictionary);

    /// <summary>
    /// An upstream call, named as it is made (<c>receiver type.method</c>), or null:
    /// <list type="bullet">
    /// <item><c>HttpMessageInvoker</c> and <c>HttpClient</c> (and types derived from them): <c>Send</c>,
    /// <c>SendAsync</c>, HttpClient's verb methods and the JSON extensions;</item>
    /// <item>YARP's <c>IHttpForwarder.SendAsync</c> (and its extensions), the upstream call of a YARP gateway;</item>
    /// <item>Microsoft.Extensions.AI: <c>IChatClient.GetResponseAsync</c> / <c>GetStreamingResponseAsync</c>,
    /// <c>IEmbeddingGenerator.GenerateAsync</c>, and their extensions;</item>
    /// <item>SDK clients built on System.ClientModel (the OpenAI SDK's <c>ChatClient</c>, <c>EmbeddingClient</c>,
    /// <c>OpenAIResponseClient</c>...; Azure OpenAI's): an instance method that returns a <c>ClientResult</c> or a
    /// collection result, the convention of every service method there;</item>
    /// <item>the Anthropic SDK: its services' methods (<c>client.Messages.Create</c>, <c>CreateStreaming</c>...).</item>
    /// </list>
    /// <paramref name="receiverType"/> is the static type of what the method is called on, when known. This reads the
    /// signature only: TLLM2006 asks it about methods with no body in the compilation, and then leaves out a call known to
    /// send another HTTP method than <c>POST</c> (see <c>UpstreamCollector</c>); TLLM2004 takes every one for an upstream call.
    /// </summary>
    public string? UpstreamCall(IMethodSymbol method, ITypeSymbol? receiverType = null)
    {
        var declaredReceiver = DeclaredReceiver(method);
        var receiver = receiverType ?? declaredReceiver;
        string Named() => $"{(receiver is ITypeParameterSymbol ? declaredReceiver : receiver).Name}.{method.Name}";

        if (HttpMessageInvoker is not null && DerivesFrom(declaredReceiver, HttpMessageInvoker)
            && (method.Name is "Send" or "SendAsync" or "PostAsync" or "PutAsync" or "PatchAsync" or "DeleteAsync"
                || method.Name.StartsWith("Get", System.StringComparison.Ordinal)
                || method.Name.EndsWith("AsJsonAsync", System.StringComparison.Ordinal)))
        {
            return Named();
        }

        if (HttpForwarder is not null && method.Name == "SendAsync" && (Same(declaredReceiver, HttpForwarder) || Implements(declaredReceiver, HttpForwarder)))
        {
            return Named();
        }

        if ((ChatClient is not null && (Same(declaredReceiver, ChatClient) || Implements(declaredReceiver, ChatClient)) && method.Name is "GetResponseAsync" or "GetStreamingResponseAsync")
            || (EmbeddingGenerator is not null && (Same(declaredReceiver.OriginalDefinition, EmbeddingGenerator) || Implements(declaredReceiver, EmbeddingGenerator)) && method.Name.StartsWith("Generate", System.StringComparison.Ordinal)))
        {
            return Named();
        }

        if (!method.IsStatic && method.MethodKind == MethodKind.Ordinary && IsClientModelResult(Awaited(method.ReturnType)))
        {
            return Named();
        }

        if (!method.IsStatic && method.MethodKind == MethodKind.Ordinary && IsInNamespace(method.ContainingType, "Anthropic", "Services")
            && (Same(method.ReturnType.OriginalDefinition, TaskOfT) || Same(method.ReturnType.OriginalDefinition, AsyncEnumerable)))
        {
            return Named();
        }

        return null;
    }

    /// <summary>
    /// A model call through an SDK TLLM2006 does not follow (its page says why): a method of a Semantic Kernel AI service
    /// (<c>IChatCompletionService.GetChatMessageContentsAsync</c>; every such service implements <c>IAIService</c>) or an
    /// extension of one (<c>GetChatMessageContentAsync</c>), or a method of a client of Azure.AI.OpenAI 1.x or
    /// Azure.AI.Inference (<c>OpenAIClient.GetChatCompletionsAsync</c>, <c>ChatCompletionsClient.CompleteAsync</c>), whose
    /// every method calls a model. TLLM2004's status readings refuse it, as they refuse an <see cref="UpstreamCall"/>: its
    /// 404 or 409 is a model or deployment not there, not an item absent or present.
    /// </summary>
    public bool ModelSdkCall(IMethodSymbol method)
    {
        var declared = method.ReducedFrom ?? method;
        var receiver = declared.IsExtensionMethod && declared.Parameters.Length > 0 ? declared.Parameters[0].Type : declared.ContainingType;
        if (receiver is null)
        {
            return false;
        }

        if (AiService is not null && (Same(receiver.OriginalDefinition, AiService) || Implements(receiver, AiService)))
        {
            return true;
        }

        var space = receiver.ContainingNamespace?.ToDisplayString();
        return receiver.Name.EndsWith("Client", System.StringComparison.Ordinal) && space is "Azure.AI.OpenAI" or "Azure.AI.Inference";
    }

    private ITypeSymbol Awaited(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeArguments.Length: 1 } named && (Same(named.OriginalDefinition, TaskOfT) || Same(named.OriginalDefinition, ValueTaskOfT))
            ? named.TypeArguments[0]
            : type;

    private bool IsClientModelResult(ITypeSymbol type) =>
        (ClientResult is not null && DerivesFrom(type, ClientResult))
        || (CollectionResult is not null && DerivesFrom(type, CollectionResult))
        || (AsyncCollectionResult is not null && DerivesFrom(type, AsyncCollectionResult))
        || (AsyncStreamingResult is not null && DerivesFrom(type, AsyncStreamingResult));

    /// <summary>The type is in <c>first.second</c> or a namespace below it.</summary>
    private static bool IsInNamespace(ITypeSymbol type, string first, string second)
    {
        var names = new System.Collections.Generic.List<string>();
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            names.Insert(0, ns.Name);
        }

        return names.Count >= 2 && names[0] == first && names[1] == second;
    }

    /// <summary>LlmCall.ExecuteAsync / StreamAsync: their operation runs inside an attempt scope.</summary>
    public bool RunsAttempts(IMethodSymbol method) =>
        Same(method.ContainingType, LlmCall) && method.Name is "ExecuteAsync" or "StreamAsync";

    /// <summary>LlmCall.RecordHandledFailure: records a failure the code recovered from; it is not a failure filter.</summary>
    public bool IsHandledFailureRecord(IMethodSymbol method) =>
        Same(method.ContainingType, LlmCall) && method.Name == "RecordHandledFailure";

    /// <summary>LlmAttempt.Fail: the exception ends its attempt's span as a failure.</summary>
    public bool IsAttemptFailure(IMethodSymbol method) =>
        Same(method.ContainingType, LlmAttempt) && method.Name == "Fail";

    /// <summary>JSON read in memory: JsonNode and its subtypes, JsonDocument, JsonElement, JsonSerializer.</summary>
    public bool IsJsonParsing(IMethodSymbol method) =>
        Same(method.ContainingType, JsonSerializer) || Same(method.ContainingType, JsonDocument) || Same(method.ContainingType, JsonElement)
        || (JsonNode is not null && DerivesFrom(method.ContainingType, JsonNode));

    /// <summary>A log call: a method of ILogger or an extension method on it.</summary>
    public bool IsLogging(IMethodSymbol method)
    {
        var receiver = method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type : method.ContainingType;
        return Logger is not null && (Same(receiver, Logger) || Implements(receiver, Logger));
    }

    /// <summary>A failure logger call: ILlmFailureLogger (or an implementation) or a [FailureLoggingPath] method.</summary>
    public bool IsFailureLoggerCall(IMethodSymbol method) =>
        (FailureLogger is not null && (Same(method.ContainingType, FailureLogger) || (Implements(method.ContainingType, FailureLogger) && method.Name == "LogFailureAsync")))
        || IsFailureFilterMethod(method);

    public bool IsFailureFilterMethod(IMethodSymbol method) =>
        FailureLoggingPathAttribute is not null && HasAttribute(method.OriginalDefinition, FailureLoggingPathAttribute);

    public static bool Same(ISymbol? left, ISymbol? right) => SymbolEqualityComparer.Default.Equals(left, right);

    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol attribute)
    {
        foreach (var data in symbol.GetAttributes())
        {
            if (Same(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The type a method is called on as declared: an extension method's <c>this</c> parameter's, else its containing type.</summary>
    private static ITypeSymbol DeclaredReceiver(IMethodSymbol method) =>
        method.IsExtensionMethod && method.Parameters.Length > 0 ? method.Parameters[0].Type : method.ContainingType;

    public static bool Implements(ITypeSymbol? type, INamedTypeSymbol @interface)
    {
        if (type is null)
        {
            return false;
        }

        foreach (var candidate in type.AllInterfaces)
        {
            if (Same(candidate.OriginalDefinition, @interface))
            {
                return true;
            }
        }

        return false;
    }

    public static bool DerivesFrom(ITypeSymbol? type, ITypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (Same(current.OriginalDefinition, baseType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }
}
