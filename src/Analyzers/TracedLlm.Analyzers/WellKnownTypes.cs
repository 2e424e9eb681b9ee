using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers;

/// <summary>The types the analyzers look for, resolved once per compilation.</summary>
internal sealed class WellKnownTypes
{
    private WellKnownTypes(Compilation compilation)
    {
        RouteAttribute = compilation.GetTypeByMetadataName(TracedLlm.Generators.HandlerBinding.AttributeMetadataName);
        LlmCall = compilation.GetTypeByMetadataName(TracedLlm.Generators.HandlerBinding.LlmCallType);
        Authenticator = compilation.GetTypeByMetadataName("TracedLlm.ILlmAuthenticator");
        Guardrail = compilation.GetTypeByMetadataName("TracedLlm.ILlmGuardrail");
        FailureLogger = compilation.GetTypeByMetadataName("TracedLlm.ILlmFailureLogger");
        FailureLoggingPathAttribute = compilation.GetTypeByMetadataName("TracedLlm.FailureLoggingPathAttribute");
        Exception = compilation.GetTypeByMetadataName("System.Exception");
        Activity = compilation.GetTypeByMetadataName("System.Diagnostics.Activity");
        ActivitySource = compilation.GetTypeByMetadataName("System.Diagnostics.ActivitySource");
        ActivityContext = compilation.GetTypeByMetadataName("System.Diagnostics.ActivityContext");
        Dictionary = compilation.GetTypeByMetadataName("System.Collections.Generic.IDictionary`2");
        ReadOnlyDictionary = compilation.GetTypeByMetadataName("System.Collections.Generic.IReadOnlyDictionary`2");
        JsonNode = compilation.GetTypeByMetadataName("System.Text.Json.Nodes.JsonNode");
        JsonElement = compilation.GetTypeByMetadataName("System.Text.Json.JsonElement");
        JsonPropertyNameAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonPropertyNameAttribute");
        JsonIgnoreAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonIgnoreAttribute");
        LlmAttempt = compilation.GetTypeByMetadataName("TracedLlm.LlmAttempt");
        HttpMessageInvoker = compilation.GetTypeByMetadataName("System.Net.Http.HttpMessageInvoker");
        HttpClient = compilation.GetTypeByMetadataName("System.Net.Http.HttpClient");
        ChatClient = compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.IChatClient");
        ChatClientExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.AI.ChatClientExtensions");
    }

    public INamedTypeSymbol? RouteAttribute { get; }
    public INamedTypeSymbol? LlmCall { get; }
    public INamedTypeSymbol? Authenticator { get; }
    public INamedTypeSymbol? Guardrail { get; }
    public INamedTypeSymbol? FailureLogger { get; }
    public INamedTypeSymbol? FailureLoggingPathAttribute { get; }
    public INamedTypeSymbol? Exception { get; }
    public INamedTypeSymbol? Activity { get; }
    public INamedTypeSymbol? ActivitySource { get; }
    public INamedTypeSymbol? ActivityContext { get; }
    public INamedTypeSymbol? Dictionary { get; }
    public INamedTypeSymbol? ReadOnlyDictionary { get; }
    public INamedTypeSymbol? JsonNode { get; }
    public INamedTypeSymbol? JsonElement { get; }
    public INamedTypeSymbol? JsonPropertyNameAttribute { get; }
    public INamedTypeSymbol? JsonIgnoreAttribute { get; }
    public INamedTypeSymbol? LlmAttempt { get; }
    public INamedTypeSymbol? HttpMessageInvoker { get; }
    public INamedTypeSymbol? HttpClient { get; }
    public INamedTypeSymbol? ChatClient { get; }
    public INamedTypeSymbol? ChatClientExtensions { get; }

    /// <summary>An upstream call: HttpClient's send methods, IChatClient's response methods.</summary>
    public string? UpstreamCall(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if ((SymbolEqualityComparer.Default.Equals(type, HttpClient) || SymbolEqualityComparer.Default.Equals(type, HttpMessageInvoker))
            && (method.Name is "Send" or "SendAsync" || method.Name.StartsWith("Get", System.StringComparison.Ordinal) || method.Name is "PostAsync" or "PutAsync" or "PatchAsync" or "DeleteAsync"))
        {
            return $"HttpClient.{method.Name}";
        }

        if ((SymbolEqualityComparer.Default.Equals(type, ChatClient) || SymbolEqualityComparer.Default.Equals(type, ChatClientExtensions) || (ChatClient is not null && Implements(type, ChatClient)))
            && method.Name is "GetResponseAsync" or "GetStreamingResponseAsync")
        {
            return $"IChatClient.{method.Name}";
        }

        return null;
    }

    /// <summary>LlmCall.ExecuteAsync / StreamAsync: their operation runs inside an attempt scope.</summary>
    public bool RunsAttempts(IMethodSymbol method) =>
        SymbolEqualityComparer.Default.Equals(method.ContainingType, LlmCall) && method.Name is "ExecuteAsync" or "StreamAsync";

    /// <summary>Null when the compilation does not reference TracedLlm: the analyzers then do nothing.</summary>
    public static WellKnownTypes? Create(Compilation compilation)
    {
        var types = new WellKnownTypes(compilation);
        return types.RouteAttribute is null ? null : types;
    }

    /// <summary>True for a failure logger call: a logger method, a [FailureLoggingPath] method, or LlmCall.RecordHandledFailure.</summary>
    public bool IsFailureReport(IMethodSymbol method)
    {
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, LlmCall) && method.Name == "RecordHandledFailure")
        {
            return true;
        }

        if (FailureLogger is not null && (SymbolEqualityComparer.Default.Equals(method.ContainingType, FailureLogger) || Implements(method.ContainingType, FailureLogger)))
        {
            return true;
        }

        return IsFailureFilterMethod(method);
    }

    public bool IsFailureFilterMethod(IMethodSymbol method) =>
        FailureLoggingPathAttribute is not null && HasAttribute(method, FailureLoggingPathAttribute);

    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol attribute)
    {
        foreach (var data in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Implements(ITypeSymbol? type, INamedTypeSymbol @interface)
    {
        if (type is null)
        {
            return false;
        }

        foreach (var candidate in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, @interface))
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
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }
}
