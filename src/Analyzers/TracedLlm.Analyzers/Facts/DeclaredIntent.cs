namespace TracedLlm.Analyzers.Facts;

/// <summary>What the adopting team declares where code cannot show it, the ways .NET analyzers take it.</summary>
/// <remarks>
/// <c>.editorconfig</c> options read per file (as CA2000 takes <c>excluded_symbol_names</c>), and the attributes the
/// package ships, read from symbols so they work across project references.
/// </remarks>
internal sealed class DeclaredIntent(AnalyzerConfigOptionsProvider? options, WellKnownTypes types)
{
    /// <summary>TLLM2006: the types and methods whose calls and sends are model calls.</summary>
    public const string ModelClientsOption = "dotnet_code_quality.TLLM2006.model_clients";

    /// <summary>TLLM2006: the names of the <c>IHttpClientFactory</c> clients that reach a model.</summary>
    public const string ModelHttpClientsOption = "dotnet_code_quality.TLLM2006.model_http_clients";

    /// <summary>TLLM2006: more hosts or paths of model APIs (a self-hosted model's), matched in a send's
    /// address.</summary>
    public const string ModelUrlsOption = "dotnet_code_quality.TLLM2006.model_urls";

    /// <summary>TLLM2006: the clients another project registers as attempts, every call through which is one.</summary>
    /// <remarks>A factory client's name, <c>T:</c> and a typed client's type, <c>IChatClient</c>,
    /// <c>IChatClient:key</c>.</remarks>
    public const string AttemptClientsOption = "dotnet_code_quality.TLLM2006.attempt_clients";

    /// <summary>TLLM2004 and TLLM2007: the methods and types that keep a failure as its own record.</summary>
    public const string FailureRecordsOption = "dotnet_code_quality.TLLM2004.failure_records";

    /// <summary>TLLM2004 and TLLM2007: the exception types whose catch is a designed answer.</summary>
    public const string DesignedExceptionsOption = "dotnet_code_quality.TLLM2004.designed_exceptions";

    /// <summary>TLLM2008: the types and methods whose calls are content-safety or moderation checks.</summary>
    public const string ModerationChecksOption = "dotnet_code_quality.TLLM2008.moderation_checks";

    /// <summary>TLLM2004: <c>true</c> reports a catch reached through calls under TLLM2004 too, not only
    /// TLLM2007.</summary>
    public const string ThroughCallsOption = "dotnet_code_quality.TLLM2004.report_through_calls";

    /// <summary>What a model API's address has in it, lower case: generation and embedding paths, public
    /// hosts.</summary>
    private static readonly string[] KnownModelUrls =
    {
        "/chat/completions", "/completions", "/embeddings", "/v1/messages", "/v1/responses", "/openai/deployments/",
        ":generatecontent", ":streamgeneratecontent", ":embedcontent", ":batchembedcontents", "/api/chat",
        "/api/generate", "/api/embed", "/converse", "/invoke-with-response-stream", "api.openai.com",
        "api.anthropic.com", "generativelanguage.googleapis.com", "aiplatform.googleapis.com", ".openai.azure.com",
        "models.inference.ai.azure.com", "openrouter.ai", "api.mistral.ai", "api.groq.com", "api.deepseek.com",
        "api.together.xyz", "api.cohere.", "api.x.ai", "api.perplexity.ai", "api.fireworks.ai", "bedrock-runtime.",
    };

    private readonly AnalyzerConfigOptionsProvider? _options = options;
    private readonly WellKnownTypes _types = types;
    private readonly ConcurrentDictionary<string, SymbolNames> _parsed = new(StringComparer.Ordinal);

    /// <summary>A call the team declares a model call (<see cref="ModelClientsOption"/>,
    /// <see cref="ModelHttpClientsOption"/>).</summary>
    /// <remarks>The method, its type, the type it is called on, or for a send the member that makes it
    /// (<paramref name="sender"/>) or its type; a send a declared method hands its values to is one too
    /// (<see cref="Rules.UpstreamCallRule"/>), wherever the method is called from, its interface included.</remarks>
    public bool ModelClient(
        IMethodSymbol method, ITypeSymbol? receiver, ISymbol? sender, IEnumerable<string> client, SyntaxTree tree)
    {
        var clients = Names(tree, ModelClientsOption);
        return (!clients.IsEmpty
                && (clients.Matches(method) || clients.MatchesType(method.ContainingType)
                    || clients.MatchesType(receiver)
                    || (sender is not null && (clients.Matches(sender) || clients.MatchesType(sender.ContainingType))))
            ) || NamedModelClient(client, tree);
    }

    /// <summary>A client is a named one the team declares (<see cref="ModelHttpClientsOption"/>).</summary>
    public bool NamedModelClient(IEnumerable<string> clients, SyntaxTree tree) =>
        clients.Intersect(Values(tree, ModelHttpClientsOption), StringComparer.OrdinalIgnoreCase).Any();

    /// <summary>A client whose every call is an attempt: <paramref name="registered"/> in the compilation, or declared
    /// (<see cref="AttemptClientsOption"/>).</summary>
    public bool AttemptClient(string client, IEnumerable<string> registered, SyntaxTree tree) =>
        registered.Concat(Values(tree, AttemptClientsOption)).Any(e => e.StartsWith("T:", StringComparison.Ordinal)
            ? client.StartsWith(e.Substring(2) + ".", StringComparison.Ordinal)
                || client.StartsWith(e.Substring(2) + "(", StringComparison.Ordinal)
            : string.Equals(e, client, StringComparison.OrdinalIgnoreCase));

    /// <summary>An address that names a model API: a known one, or one declared
    /// (<see cref="ModelUrlsOption"/>).</summary>
    public bool ModelUrl(IEnumerable<string> fragments, SyntaxTree tree)
    {
        var declared = Values(tree, ModelUrlsOption);
        return fragments.Select(f => f.ToLowerInvariant())
            .Any(text => KnownModelUrls.Any(text.Contains) || declared.Any(d => text.Contains(d.ToLowerInvariant())));
    }

    /// <summary>A method that keeps a failure as its own record: <c>[RecordsFailures]</c> or
    /// <see cref="FailureRecordsOption"/>.</summary>
    /// <remarks>On it, a member it implements or overrides, or its type, a base or an interface of it.</remarks>
    public bool RecordsFailures(IMethodSymbol method, SyntaxTree tree)
    {
        var declared = Names(tree, FailureRecordsOption);
        return SelfAndDeclared(method).Concat<ISymbol>(TypeAndBases(method.ContainingType))
            .Any(symbol => HasAttribute(symbol, _types.RecordsFailuresAttribute) || declared.Matches(symbol));
    }

    /// <summary>A call the team declared a content-safety check (<see cref="ModerationChecksOption"/>).</summary>
    public bool ModerationCheck(IMethodSymbol method, SyntaxTree tree) => Names(tree, ModerationChecksOption) is
        { IsEmpty: false } declared && SelfAndDeclared(method).Concat<ISymbol>(TypeAndBases(method.ContainingType))
        .Any(declared.Matches);

    /// <summary>Whether TLLM2004 reports the catches reached through calls in this file.</summary>
    public bool ReportsThroughCalls(SyntaxTree tree) =>
        bool.TryParse(Option(tree, ThroughCallsOption), out var on) && on;

    /// <summary>An exception type declared a designed answer (<see cref="DesignedExceptionsOption"/>), or derived from
    /// one.</summary>
    public bool DesignedException(ITypeSymbol caught, SyntaxTree tree) =>
        Names(tree, DesignedExceptionsOption) is { IsEmpty: false } designed
        && TypeAndBases(caught).Any(designed.Matches);

    /// <summary>A catch the author vouches for: <c>[FailureHandledByDesign]</c> on its member or a function around
    /// it.</summary>
    public bool HandledByDesign(ISymbol owner, IEnumerable<IMethodSymbol> functions) =>
        _types.FailureHandledByDesignAttribute is { } attribute
        && (functions.Any(f => HasAttribute(f, attribute)) || HasAttribute(owner, attribute)
            || (owner is IMethodSymbol { AssociatedSymbol: { } property } && HasAttribute(property, attribute)));

    private static IEnumerable<ITypeSymbol> TypeAndBases(ITypeSymbol? type) => AndBases(type)
        .Concat(type?.AllInterfaces ?? ImmutableArray<INamedTypeSymbol>.Empty).Select(t => t.OriginalDefinition);

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute) =>
        attribute is not null && WellKnownTypes.HasAttribute(symbol.OriginalDefinition, attribute);

    private string? Option(SyntaxTree tree, string key) =>
        _options is not null && _options.GetOptions(tree).TryGetValue(key, out var value) && value.Length > 0 ? value
            : null;

    private List<string> Values(SyntaxTree tree, string key) =>
        Option(tree, key)?.Split('|').Select(v => v.Trim()).Where(v => v.Length > 0).ToList() ?? new List<string>();

    private SymbolNames Names(SyntaxTree tree, string key) =>
        Option(tree, key) is { } value ? _parsed.GetOrAdd(value, v => new SymbolNames(v)) : SymbolNames.Empty;

    /// <summary>Symbol names as the .NET analyzers' options take them, separated by <c>|</c>.</summary>
    /// <remarks>A name or a full name, optionally with its kind (<c>T:</c>, <c>M:</c>, <c>N:</c> a namespace and what
    /// is in it), and a trailing <c>*</c> for a prefix.</remarks>
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
            return _entries.Any(entry => entry.Kind switch
            {
                'T' => symbol is ITypeSymbol,
                'M' => symbol is IMethodSymbol,
                _ => true,
            } && (entry.Kind == 'N'
                ? space == entry.Name || space.StartsWith(entry.Name + ".", StringComparison.Ordinal)
                    || (entry.Prefix && space.StartsWith(entry.Name, StringComparison.Ordinal))
                : entry.Prefix ? full.StartsWith(entry.Name, StringComparison.Ordinal)
                : full == entry.Name || symbol.Name == entry.Name));
        }

        // Contoso.Llm.OpenAiClient, Contoso.Llm.OpenAiClient.CompleteAsync: the type's full name, the member's name
        // after it.
        private static string FullName(ISymbol symbol) => symbol is ITypeSymbol type
                ? type.OriginalDefinition.ToDisplayString(
                    SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None))
                : (symbol.ContainingType is { } containing ? FullName(containing)
                    : symbol.ContainingNamespace?.ToDisplayString()) + "." + symbol.Name;
    }
}
