namespace TracedLlm.Analyzers.Facts;

/// <summary>The one walk of the call graph, from every root of traced code, that every cross-method rule
/// reads.</summary>
/// <remarks>
/// Up to <see cref="MaxDepth"/> calls deep: which routes reach each method, which methods the request itself runs, and
/// which of those outside an attempt. A call a library makes later (<see cref="CallEdge.ByLibrary"/>) is followed, but
/// what it reaches is not the request's (<see cref="ReachedInRequest"/>).
/// </remarks>
internal sealed class CallGraph
{
    /// <summary>How many calls deep from a route the analysis follows; the one limit of every walk.</summary>
    public const int MaxDepth = 16;

    private readonly Dictionary<ISymbol, HashSet<TracedRoute>> _reachedBy = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _inRequest = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _outsideAttempts = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _insideAttempts = new(SymbolEqualityComparer.Default);

    // The first way the walk reached each state: the path a finding shows.
    private readonly Dictionary<State, Step> _steps = new();

    private CallGraph()
    {
    }

    /// <summary>Every method reached, with the routes it is reached from, in one order whatever the walk's.</summary>
    /// <remarks>By name, then by where declared, so resolving keys through them gives the same answer every
    /// build.</remarks>
    public IEnumerable<(ISymbol Symbol, IReadOnlyList<TracedRoute> Routes)> Reached =>
        _reachedBy
            .OrderBy(pair => pair.Key.ToDisplayString(), StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1)
            .Select(pair => (pair.Key,
                    (IReadOnlyList<TracedRoute>)pair.Value.OrderBy(r => r.Display, StringComparer.Ordinal).ToList()));

    /// <summary>The request runs the method: some path from a route reaches it with no call a library makes
    /// later.</summary>
    public bool ReachedInRequest(ISymbol symbol) => _inRequest.Contains(symbol);

    /// <summary>The request runs the method outside any attempt scope on some path.</summary>
    public bool ReachedOutsideAttempts(ISymbol symbol) => _outsideAttempts.Contains(symbol);

    /// <summary>The request runs the method inside an attempt scope on some path: what it sends is an
    /// attempt's.</summary>
    public bool ReachedInsideAttempts(ISymbol symbol) => _insideAttempts.Contains(symbol);

    /// <summary>How the walk first reached <paramref name="symbol"/> run by the request (or at all).</summary>
    /// <remarks>The route or traced code it starts from, the methods on the way (the symbol last), the calls between
    /// them; <paramref name="outsideAttempt"/>: outside an attempt.</remarks>
    public FindingPath? PathTo(ISymbol symbol, bool outsideAttempt = false)
    {
        var state = new[]
        {
            new State(symbol, true, true), new State(symbol, false, true), new State(symbol, true, false),
            new State(symbol, false, false)
        }.Where(s => (!outsideAttempt || s.Outside) && _steps.ContainsKey(s)).Cast<State?>().FirstOrDefault();
        if (state is not { } current)
        {
            return null;
        }

        var symbols = new List<ISymbol>();
        var sites = new List<Location>();
        var dispatched = false;
        while (true)
        {
            var step = _steps[current];
            symbols.Insert(0, current.Symbol);
            if (step.Site is { } site)
            {
                sites.Insert(0, site.GetLocation());
            }

            dispatched |= step.Dispatch;
            if (step.From is not { } from)
            {
                return new FindingPath(step.Route, symbols, sites, dispatched);
            }

            current = from;
        }
    }

    public static CallGraph Walk(CompilationFacts compilation, ConcurrentDictionary<ISymbol, MethodFacts> facts,
        CancellationToken cancellationToken)
    {
        var graph = new CallGraph();
        var all = compilation.Routes(cancellationToken);
        var policies = compilation.Policies(cancellationToken);
        var origins = all.Concat(compilation.Entries(cancellationToken))
            .Select(r =>
                (Roots: (IEnumerable<ISymbol>)new[] { r.Handler }, Routes: (IReadOnlyList<TracedRoute>)new[] { r }))
            .ToList();
        if (!policies.IsEmpty)
        {
            origins.Add((policies, all));
        }

        foreach (var (roots, routes) in origins)
        {
            var seen = new HashSet<State>();
            var frontier = roots.Select(r => new State(r, true, true)).Where(seen.Add).ToList();
            foreach (var root in frontier.Where(r => !graph._steps.ContainsKey(r)))
            {
                // A policy serves every route: its path starts at the first.
                graph._steps[root] = new Step(null, null, routes[0], false);
            }

            for (var depth = 0; frontier.Count > 0; depth++)
            {
                var next = new List<State>();
                foreach (var state in frontier)
                {
                    graph.Mark(state, routes);
                    if (depth == MaxDepth)
                    {
                        continue;
                    }

                    foreach (var (edge, site, dispatch) in Edges(state, compilation, facts, cancellationToken))
                    {
                        if (seen.Add(edge))
                        {
                            next.Add(edge);
                            if (!graph._steps.ContainsKey(edge))
                            {
                                graph._steps[edge] = new Step(state, site, graph._steps[state].Route, dispatch);
                            }
                        }
                    }
                }

                frontier = next;
            }
        }

        return graph;
    }

    /// <summary>Where the walk is: a method, reached outside any attempt or not, run by the request or not.</summary>
    private readonly record struct State(ISymbol Symbol, bool Outside, bool Request)
    {
        public bool Equals(State other) => SymbolEqualityComparer.Default.Equals(Symbol, other.Symbol)
            && Outside == other.Outside && Request == other.Request;

        public override int GetHashCode() =>
            (SymbolEqualityComparer.Default.GetHashCode(Symbol) * 4) + (Outside ? 2 : 0) + (Request ? 1 : 0);
    }

    /// <summary>How a state was first reached: from which state, by which call, from which route.</summary>
    private readonly record struct Step(State? From, SyntaxNode? Site, TracedRoute Route, bool Dispatch);

    private void Mark(State state, IReadOnlyList<TracedRoute> routes)
    {
        _reachedBy.GetOrAdd(state.Symbol, _ => new HashSet<TracedRoute>()).UnionWith(routes);
        if (state.Request)
        {
            _inRequest.Add(state.Symbol);
            (state.Outside ? _outsideAttempts : _insideAttempts).Add(state.Symbol);
        }
    }

    private static IEnumerable<(State, SyntaxNode?, bool)> Edges(State state, CompilationFacts compilation,
        ConcurrentDictionary<ISymbol, MethodFacts> facts, CancellationToken cancellationToken)
    {
        if (state.Symbol is IMethodSymbol method)
        {
            // A call of an interface or virtual method reaches its implementations (those inherited from a base not
            // declaring the interface included): through dispatch when there are several.
            var implementations = compilation.Implementations(method, cancellationToken)
                .Concat(compilation.InheritedImplementations(method, cancellationToken)).ToList();
            foreach (var implementation in implementations)
            {
                yield return (state with { Symbol = implementation }, null, implementations.Count > 1);
            }
        }

        if (facts.TryGetValue(state.Symbol, out var known))
        {
            foreach (var call in known.Calls)
            {
                yield return (
                    new State(call.Callee, state.Outside && !call.InAttemptScope, state.Request && !call.ByLibrary),
                    call.Site, false);
            }
        }
    }
}

/// <summary>The way a finding reached through calls is reached: its route, the methods and calls on the way.</summary>
/// <remarks><paramref name="Dispatched"/>: an interface or virtual call with several implementations is among
/// them.</remarks>
internal sealed record FindingPath(TracedRoute Route, IReadOnlyList<ISymbol> Methods, IReadOnlyList<Location> Calls,
    bool Dispatched)
{
    /// <summary>At most this many methods are named; the middle of a longer chain is left out.</summary>
    private const int Shown = 6;

    /// <summary>The confidence tier the finding is measured in: through calls, or through interface dispatch.</summary>
    public string Tier => Dispatched ? DiagnosticIds.TierDispatch : DiagnosticIds.TierCalls;

    /// <summary><c> (reached from route 'POST /v1/chat' through Routes.Chat → Orchestrator.RunAsync)</c>.</summary>
    public string Describe() => $" (reached from {Route.Named} through {string.Join(" → ", Names())})";

    /// <summary><c> (through Routes.Chat → Helper.Read)</c>: the chain alone, where the message names the
    /// routes.</summary>
    public string Chain() => $" (through {string.Join(" → ", Names())})";

    private List<string> Names()
    {
        var names = Methods.Select(Name).ToList();
        return names.Count > Shown ? names.Take(2).Append("…").Concat(names.Skip(names.Count - (Shown - 3))).ToList()
            : names;
    }

    private static string Name(ISymbol symbol) => symbol switch
        {
            IMethodSymbol
            {
                MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet, AssociatedSymbol: { } property
            } => $"{property.ContainingType?.Name}.{property.Name}",
            IMethodSymbol { MethodKind: MethodKind.Constructor } constructor =>
                $"new {constructor.ContainingType.Name}",
            _ => $"{symbol.ContainingType?.Name}.{symbol.Name}",
        };
}
