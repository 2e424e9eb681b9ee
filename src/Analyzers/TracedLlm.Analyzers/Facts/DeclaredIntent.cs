using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// What the adopting team declares where code cannot show it, the ways .NET analyzers take it: <c>.editorconfig</c> options
/// (<c>dotnet_code_quality.TLLM2006.model_clients</c>, as CA2000 takes <c>excluded_symbol_names</c>) read per file, and the
/// attributes the TracedLlm package ships (<c>[RecordsFailures]</c>, <c>[FailureHandledByDesign]</c>), read from symbols so
/// they work across project references.
/// </summary>
internal sealed class DeclaredIntent
{
    /// <summary>TLLM2006: the types and methods whose calls and sends are model calls (typed clients, wrappers, a library's client).</summary>
    public const string ModelClientsOption = "dotnet_code_quality.TLLM2006.model_clients";

    /// <summary>TLLM2006: the names of the <c>IHttpClientFactory</c> clients that reach a model (<c>CreateClient("openai")</c>).</summary>
    public const string ModelHttpClientsOption = "dotnet_code_quality.TLLM2006.model_http_clients";

    /// <summary>TLLM2006: more hosts or paths of model APIs (a self-hosted model's), matched in a send's address.</summary>
    public const string ModelUrlsOption = "dotnet_code_quality.TLLM2006.model_urls";

    /// <summary>
    /// TLLM2006: the factory clients another project registers with <c>AddTracedLlmAttempts()</c>, whose every send
    /// is an attempt: named clients by name, typed clients as <c>T:</c> and the type's full name.
    /// </summary>
    public const string AttemptClientsOption = "dotnet_code_quality.TLLM2006.attempt_clients";

    /// <summary>TLLM2004 and TLLM2007: the methods and types that keep a failure as its own record (an outbox writer, the app's failure log).</summary>
    public const string FailureRecordsOption = "dotnet_code_quality.TLLM2004.failure_records";

    /// <summary>TLLM2004 and TLLM2007: the exception types whose catch is a designed answer (a domain's not-found, a validation failure).</summary>
    public const string DesignedExceptionsOption = "dotnet_code_quality.TLLM2004.designed_exceptions";

    /// <summary>
    /// TLLM2004: <c>true</c> reports a catch reached through calls (not in a route's own handler, authenticator or guardrail)
    /// under TLLM2004 too; by default such a catch is TLLM2007's (off by default), measured too often designed.
    /// </summary>
    public const string ThroughCallsOption = "dotnet_code_quality.TLLM2004.report_through_calls";

    /// <summary>
    /// What a model API's address has in it, lower case: the generation and embedding paths of OpenAI (and every API
    /// compatible with it), Anthropic, Gemini, Ollama, Bedrock and Azure OpenAI, and the hosts of the public model APIs.
    /// </summary>
    private static readonly string[] KnownModelUrls =
    {
        "/chat/completions", "/completions", "/embeddings", "/v1/messages", "/v1/responses", "/openai/deployments/",
        ":generatecontent", ":streamgeneratecontent", ":embedcontent", ":batchembedcontents", "/api/chat", "/api/generate", "/api/embed",
        "/converse", "/invoke-with-response-stream", "api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
        "aiplatform.googleapis.com", ".openai.azure.com", "models.inference.ai.azure.com", "openrouter.ai", "api.mistral.ai",
        "api.groq.com", "api.deepseek.com", "api.together.xyz", "api.cohere.", "api.x.ai", "api.perplexity.ai", "api.fireworks.ai",
        "bedrock-runtime.",
    };

    private readonly AnalyzerConfigOptionsProvider? _options;
    private readonly WellKnownTypes _types;
    private readonly ConcurrentDictionary<string, SymbolNames> _parsed = new(StringComparer.Ordinal);

    public DeclaredIntent(AnalyzerConfigOptionsProvider? options, WellKnownTypes types)
    {
        _options = options;
        _types = types;
    }

    /// <summary>
    /// A call the team declares a model call: the method, its type (or a base or interface of it) or the client's type it is
    /// called on is in <see cref="ModelClientsOption"/>; for a send, also the member that makes it or that member's type (a
    /// typed client, <paramref name="sender"/>), or a client is a named one in <see cref="ModelHttpClientsOption"/>.
    /// </summary>
    public bool ModelClient(
        IMethodSymbol method, ITypeSymbol? receiver, ISymbol? sender, IEnumerable<string> client, SyntaxTree tree)
    {
        var clients = Names(tree, ModelClientsOption);
        return (!clients.IsEmpty && (clients.Matches(method) || clients.MatchesType(method.ContainingType) || clients.MatchesType(receiver)
                || (sender is not null && (clients.Matches(sender) || clients.MatchesType(sender.ContainingType)))))
            || NamedModelClient(client, tree);
    }

    /// <summary>A client is a named one the team declares (<see cref="ModelHttpClientsOption"/>).</summary>
    public bool NamedModelClient(IEnumerable<string> clients, SyntaxTree tree) =>
        clients.Intersect(Values(tree, ModelHttpClientsOption), StringComparer.OrdinalIgnoreCase).Any();

    /// <summary>
    /// A client whose every send is an attempt: registered with <c>AddTracedLlmAttempts()</c> in the compilation
    /// (<paramref name="registered"/>) or declared (<see cref="AttemptClientsOption"/>), by its name, or, for a typed
    /// client, a field, property or constructor parameter of the type.
    /// </summary>
    public bool AttemptClient(string client, IEnumerable<string> registered, SyntaxTree tree) =>
        registered.Concat(Values(tree, AttemptClientsOption)).Any(e => e.StartsWith("T:", StringComparison.Ordinal)
            ? client.StartsWith(e.Substring(2) + ".", StringComparison.Ordinal)
                || client.StartsWith(e.Substring(2) + "(", StringComparison.Ordinal)
            : string.Equals(e, client, StringComparison.OrdinalIgnoreCase));

    /// <summary>An address that names a model API: one of the known ones, or one the team declares (<see cref="ModelUrlsOption"/>).</summary>
    public bool ModelUrl(IEnumerable<string> fragments, SyntaxTree tree)
    {
        var declared = Values(tree, ModelUrlsOption);
        return fragments.Select(f => f.ToLowerInvariant())
            .Any(text => KnownModelUrls.Any(text.Contains) || declared.Any(d => text.Contains(d.ToLowerInvariant())));
    }

    /// <summary>
    /// A method that keeps a failure as its own record: it, a member it implements or overrides, or its type (a base or an
    /// interface of it) carries <c>[RecordsFailures]</c>, or is in <see cref="FailureRecordsOption"/>. A catch inside it, or
    /// a catch that calls it, has recorded the failure.
    /// </summary>
    public bool RecordsFailures(IMethodSymbol method, SyntaxTree tree)
    {
        var declared = Names(tree, FailureRecordsOption);
        foreach (var member in Related(method))
        {
            if (HasAttribute(member, _types.RecordsFailuresAttribute) || declared.Matches(member))
            {
                return true;
            }
        }

        return TypeAndBases(method.ContainingType).Any(type => HasAttribute(type, _types.RecordsFailuresAttribute) || declared.Matches(type));
    }

    /// <summary>Whether TLLM2004 reports the catches reached through calls in this file (<see cref="ThroughCallsOption"/>).</summary>
    public bool ReportsThroughCalls(SyntaxTree tree) =>
        _options is not null && _options.GetOptions(tree).TryGetValue(ThroughCallsOption, out var value) && bool.TryParse(value, out var on) && on;

    /// <summary>An exception type the team declares a designed answer (<see cref="DesignedExceptionsOption"/>): it or a type it derives from is named.</summary>
    public bool DesignedException(ITypeSymbol caught, SyntaxTree tree) => Names(tree, DesignedExceptionsOption) is { IsEmpty: false } designed
        && TypeAndBases(caught).Any(designed.Matches);

    /// <summary>
    /// A catch the author vouches for: the member it is in, or a local function or lambda around it
    /// (<paramref name="functions"/>), carries <c>[FailureHandledByDesign]</c>.
    /// </summary>
    public bool HandledByDesign(ISymbol owner, IEnumerable<IMethodSymbol> functions) =>
        _types.FailureHandledByDesignAttribute is { } attribute
        && (functions.Any(f => HasAttribute(f, attribute)) || HasAttribute(owner, attribute)
            || (owner is IMethodSymbol { AssociatedSymbol: { } property } && HasAttribute(property, attribute)));

    private static IEnumerable<IMethodSymbol> Related(IMethodSymbol method)
    {
        yield return method;
        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            yield return overridden;
        }

        foreach (var explicitly in method.ExplicitInterfaceImplementations)
        {
            yield return explicitly;
        }

        foreach (var @interface in method.ContainingType?.AllInterfaces ?? ImmutableArray<INamedTypeSymbol>.Empty)
        {
            foreach (var member in @interface.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (WellKnownTypes.Same(method.ContainingType!.FindImplementationForInterfaceMember(member)?.OriginalDefinition, method.OriginalDefinition))
                {
                    yield return member;
                }
            }
        }
    }

    private static IEnumerable<ITypeSymbol> TypeAndBases(ITypeSymbol? type)
    {
        if (type is null)
        {
            yield break;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            yield return current.OriginalDefinition;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            yield return @interface.OriginalDefinition;
        }
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && WellKnownTypes.HasAttribute(symbol.OriginalDefinition, attribute);

    private IReadOnlyList<string> Values(SyntaxTree tree, string key) =>
        _options is not null && _options.GetOptions(tree).TryGetValue(key, out var value) && value.Length > 0
            ? value.Split('|').Select(v => v.Trim()).Where(v => v.Length > 0).ToList()
            : Array.Empty<string>();

    private SymbolNames Names(SyntaxTree tree, string key) =>
        _options is not null && _options.GetOptions(tree).TryGetValue(key, out var value) && value.Length > 0
            ? _parsed.GetOrAdd(value, v => new SymbolNames(v))
            : SymbolNames.Empty;

    /// <summary>
    /// Symbol names as the .NET analyzers' options take them, separated by <c>|</c>: a name (<c>OpenAiClient</c>), a full
    /// name (<c>Contoso.Llm.OpenAiClient</c>, <c>Contoso.Llm.OpenAiClient.CompleteAsync</c>), optionally with its kind
    /// (<c>T:</c> a type, <c>M:</c> a method, <c>N:</c> a namespace and what is in it), and a trailing <c>*</c> for a prefix.
    /// </summary>
    private sealed class SymbolNames
    {
        public static readonly SymbolNames Empty = new(string.Empty);

        private readonly List<(char Kind, string Name, bool Prefix)> _entries = new();

        public SymbolNames(string value)
        {
            foreach (var raw in value.Split('|').Select(v => v.Trim()).Where(v => v.Length > 0))
            {
                var kind = raw.Length > 2 && raw[1] == ':' ? char.ToUpperInvariant(raw[0]) : '\0';
                var name = kind == '\0' ? raw : raw.Substring(2);
                var prefix = name.EndsWith("*", StringComparison.Ordinal);
                _entries.Add((kind, prefix ? name.Substring(0, name.Length - 1) : name, prefix));
            }
        }

        public bool IsEmpty => _entries.Count == 0;

        public bool MatchesType(ITypeSymbol? type) => type is not null && TypeAndBases(type).Any(Matches);

        public bool Matches(ISymbol? symbol)
        {
            if (symbol is null || _entries.Count == 0)
            {
                return false;
            }

            var full = FullName(symbol);
            var space = symbol.ContainingNamespace?.ToDisplayString() ?? string.Empty;
            foreach (var (kind, name, prefix) in _entries)
            {
                var fits = kind switch
                {
                    'T' => symbol is ITypeSymbol,
                    'M' => symbol is IMethodSymbol,
                    'N' => true,
                    _ => true,
                };
                var named = kind == 'N'
                    ? space == name || space.StartsWith(name + ".", StringComparison.Ordinal) || (prefix && space.StartsWith(name, StringComparison.Ordinal))
                    : prefix ? full.StartsWith(name, StringComparison.Ordinal) : full == name || symbol.Name == name;
                if (fits && named)
                {
                    return true;
                }
            }

            return false;
        }

        // Contoso.Llm.OpenAiClient, Contoso.Llm.OpenAiClient.CompleteAsync: the type's full name, the member's name after it.
        private static string FullName(ISymbol symbol) => symbol is ITypeSymbol type
            ? type.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None))
            : $"{(symbol.ContainingType is { } containing ? FullName(containing) : symbol.ContainingNamespace?.ToDisplayString())}.{symbol.Name}";
    }
}
