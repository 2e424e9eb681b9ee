namespace TracedLlm.Analyzers.Rules;

/// <summary>TLLM2006 at the end of the compilation: the sends outside an attempt that are model calls.</summary>
/// <remarks>
/// A send through a client the compilation registers as attempts (or the team declares) is an attempt. Any other is a
/// model call when the code shows it, when the route's attempts use its client or run its method, or when a caller
/// hands it a model API's client or address, or is a method the team declares a model client: parameters are followed
/// <see cref="MaxHops"/> calls up.
/// </remarks>
internal sealed class UpstreamCallRule
{
    /// <summary>How many calls up a send's parameters are followed to what its callers give them.</summary>
    public const int MaxHops = 3;

    /// <summary>How many ways up one send is tried, at most (a helper called from many places).</summary>
    private const int MaxChains = 32;

    private readonly CompilationFacts _facts;
    private readonly IReadOnlyDictionary<ISymbol, MethodFacts> _methods;
    private readonly CallGraph _graph;
    private readonly Func<ISymbol, List<(ISymbol Caller, CallEdge Edge)>> _callsOf;
    private readonly CancellationToken _cancellationToken;
    private readonly List<string> _registered;

    public UpstreamCallRule(CompilationFacts facts, IReadOnlyDictionary<ISymbol, MethodFacts> methods, CallGraph graph,
        Func<ISymbol, List<(ISymbol Caller, CallEdge Edge)>> callsOf, CancellationToken cancellationToken)
    {
        (_facts, _methods, _graph, _callsOf, _cancellationToken) = (facts, methods, graph, callsOf, cancellationToken);
        _registered = methods.Values.SelectMany(f => f.AttemptRegistrations)
            .Concat(ServiceClients.Traced(methods.Values.SelectMany(f => f.ServiceRegistrations).ToList()))
            .Distinct().ToList();

        // The clients the route's own attempts send through (or its methods): other sends through them are too.
        AttemptClients = new HashSet<string>(methods.Values.SelectMany(f => f.AttemptClients), StringComparer.Ordinal);
        foreach (var pair in methods.Where(pair => graph.ReachedInsideAttempts(pair.Key)))
        {
            AttemptClients.UnionWith(pair.Value.UnscopedUpstreamCalls.SelectMany(u => u.Inputs.Clients));
        }
    }

    public HashSet<string> AttemptClients { get; }

    /// <summary>The code shows the send is a model call, or the route's attempts use its client or method.</summary>
    public bool IsModelCall(ISymbol method, UpstreamCallSite site) =>
        site.Evident || _graph.ReachedInsideAttempts(method) || site.Inputs.Clients.Any(AttemptClients.Contains);

    /// <summary>A route's own sends the code shows are model calls, through no client that may be registered.</summary>
    public static void ReportWhileTyping(MethodFacts facts, DiagnosticDescriptor descriptor, Action<Diagnostic> report)
    {
        foreach (var site in facts.UnscopedUpstreamCalls.Where(ReportedWhileTyping))
        {
            report(Findings.Create(descriptor, site.Location, null, null, null, site.Call));
        }
    }

    /// <summary>Reports the model calls of <paramref name="method"/> made outside an attempt.</summary>
    /// <remarks>Of a route's own code (<paramref name="root"/>) those not reported while typing; of code reached
    /// through calls all, with their path.</remarks>
    public void Report(ISymbol method, MethodFacts facts, bool root, DiagnosticDescriptor rule, Action<Diagnostic> add)
    {
        foreach (var site in facts.UnscopedUpstreamCalls.Where(site => !(root && ReportedWhileTyping(site))))
        {
            var tree = site.Location.SourceTree!;
            var chains = root ? new[] { new List<Hop>() } : Chains(method, site.Inputs, 0).Take(MaxChains);
            if (chains.FirstOrDefault(chain => ModelCall(method, site, chain) == true) is { } chain)
            {
                add(Findings.Create(rule, site.Location, root ? null : PathThrough(chain, method), null, null,
                    site.Call));
            }
        }
    }

    /// <summary>TLLM2008's reading of a send: no attempt runs it, a way up makes it a model call, and none hands it
    /// a client registered as attempts.</summary>
    /// <remarks>A helper shared with other paths fails the model's callers too.</remarks>
    public bool Unwatched(ISymbol method, UpstreamCallSite site) => !_graph.ReachedInsideAttempts(method)
        && Chains(method, site.Inputs, 0).Take(MaxChains).Select(chain => ModelCall(method, site, chain)).ToList()
            is var ways && ways.Contains(true) && !ways.Contains(null);

    /// <summary>Whether the send is a model call given what <paramref name="chain"/> hands it; null where a client
    /// it may use is registered as attempts.</summary>
    private bool? ModelCall(ISymbol method, UpstreamCallSite site, List<Hop> chain)
    {
        var (inputs, tree, intent) = (chain.Aggregate(site.Inputs, (all, hop) => all.With(hop.Given)),
            site.Location.SourceTree!, _facts.Intent);
        return Registered(inputs.Clients, tree) ? null : IsModelCall(method, site)
            || inputs.Clients.Any(AttemptClients.Contains) || intent.ModelUrl(inputs.Text, tree)
            || intent.NamedModelClient(inputs.Clients, tree) || chain.Any(hop => hop.Caller is IMethodSymbol caller
                && intent.ModelClient(caller, null, null, ImmutableArray<string>.Empty, tree));
    }

    /// <summary>A client the compilation registers as attempts, or the team declares one.</summary>
    public bool Registered(ImmutableArray<string> clients, SyntaxTree tree) =>
        clients.Any(client => _facts.Intent.AttemptClient(client, _registered, tree));

    public static bool ReportedWhileTyping(UpstreamCallSite site) => site.Evident && site.Inputs.Clients.IsEmpty;

    /// <summary>One call up: the caller, the call, what it gives the parameters a send's inputs come from.</summary>
    private readonly record struct Hop(ISymbol Caller, CallEdge Edge, SendInputs Given);

    /// <summary>The ways up from <paramref name="method"/> through the calls that give <paramref name="needed"/>'s
    /// parameters a value.</summary>
    /// <remarks>Calls made outside an attempt, by a method the request runs outside one; topmost first; one empty way
    /// if none.</remarks>
    private IEnumerable<List<Hop>> Chains(ISymbol method, SendInputs needed, int depth)
    {
        var sites = depth >= MaxHops || (needed.Parameters.IsEmpty && needed.Names.IsEmpty)
            ? new List<(ISymbol Caller, CallEdge Edge)>()
            : _callsOf(method)
                .Where(s => s.Edge is { InAttemptScope: false, ByLibrary: false, Site: not null })
                .Where(s => _graph.ReachedOutsideAttempts(s.Caller))
                .OrderBy(s => s.Edge.Site!.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(s => s.Edge.Site!.SpanStart)
                .ToList();
        if (sites.Count == 0)
        {
            yield return new List<Hop>();
            yield break;
        }

        foreach (var (caller, edge) in sites)
        {
            // What the call gives the parameters the send's client and address (or client's name) come from.
            var given = (_methods.TryGetValue(caller, out var facts) ? facts.SendArguments : new List<SendArgument>())
                .Where(a => a.Site == edge.Site).Aggregate(SendInputs.None, (all, a) => all
                    .With(needed.Parameters.Contains(a.Ordinal) ? a.Inputs : SendInputs.None)
                    .With(needed.Names.Contains(a.Ordinal) ? a.Inputs.AsNames() : SendInputs.None));
            foreach (var above in Chains(caller, given, depth + 1))
            {
                above.Add(new Hop(caller, edge, given));
                yield return above;
            }
        }
    }

    /// <summary>The route's way to the chain's top caller, then its calls down to <paramref name="method"/>.</summary>
    private FindingPath? PathThrough(List<Hop> chain, ISymbol method)
    {
        if (chain.Count == 0 || _graph.PathTo(chain[0].Caller, outsideAttempt: true) is not { } top)
        {
            return _graph.PathTo(method, outsideAttempt: true);
        }

        var (methods, calls, dispatched) = (top.Methods.ToList(), top.Calls.ToList(), top.Dispatched);
        for (var i = 0; i < chain.Count; i++)
        {
            var callee = i + 1 < chain.Count ? chain[i + 1].Caller : method;
            if (chain[i].Edge.Callee is IMethodSymbol declared && !Same(declared, callee))
            {
                // A call of an interface or base method: the declaration, then the implementation it reaches.
                methods.Add(declared);
                dispatched |= _facts.Implementations(declared, _cancellationToken)
                    .Concat(_facts.InheritedImplementations(declared, _cancellationToken)).Count() > 1;
            }

            methods.Add(callee);
            calls.Add(chain[i].Edge.Site!.GetLocation());
        }

        return top with { Methods = methods, Calls = calls, Dispatched = dispatched };
    }
}
