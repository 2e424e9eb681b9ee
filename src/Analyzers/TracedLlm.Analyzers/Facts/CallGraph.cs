using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// The one walk of the call graph, from every root of traced code, up to <see cref="MaxDepth"/>
/// calls deep: which routes reach each method (or delegate-holding field), which methods the request
/// itself runs, and which of those are reached without passing through an attempt scope. Every
/// cross-method rule reads this walk. A call a referenced library makes later (a method group subscribed
/// to its event, a call in a lambda so subscribed: <see cref="CallEdge.ByLibrary"/>) is followed, but what
/// it reaches is not the request's: the rules about the request's failures and upstream calls
/// (TLLM2002, TLLM2004, TLLM2006) read <see cref="ReachedInRequest"/>.
/// </summary>
internal sealed class CallGraph
{
    /// <summary>How many calls deep from a route the analysis follows; the one limit of every walk.</summary>
    public const int MaxDepth = 16;

    private readonly Dictionary<ISymbol, HashSet<TracedRoute>> _reachedBy = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _inRequest = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ISymbol> _outsideAttempts = new(SymbolEqualityComparer.Default);

    private CallGraph()
    {
    }

    /// <summary>
    /// Every method reached, with the routes it is reached from, in one order whatever order the
    /// walk met them in (by name, then by where they are declared: overloads and partial parts
    /// share a name), so resolving keys through them gives the same answer every build.
    /// </summary>
    public IEnumerable<(ISymbol Symbol, IReadOnlyList<TracedRoute> Routes)> Reached =>
        _reachedBy
            .OrderBy(pair => pair.Key.ToDisplayString(), System.StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Locations.FirstOrDefault()?.SourceTree?.FilePath, System.StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1)
            .Select(pair => (pair.Key, (IReadOnlyList<TracedRoute>)pair.Value.OrderBy(r => r.Display, System.StringComparer.Ordinal).ToList()));

    public IReadOnlyList<TracedRoute> RoutesReaching(ISymbol symbol) =>
        _reachedBy.TryGetValue(symbol, out var routes) ? routes.OrderBy(r => r.Display, System.StringComparer.Ordinal).ToList() : new List<TracedRoute>();

    /// <summary>The request runs the method: some path from a route reaches it with no call a library makes later on it.</summary>
    public bool ReachedInRequest(ISymbol symbol) => _inRequest.Contains(symbol);

    /// <summary>The request runs the method outside any attempt scope on some path.</summary>
    public bool ReachedOutsideAttempts(ISymbol symbol) => _outsideAttempts.Contains(symbol);

    public static CallGraph Walk(CompilationFacts compilation, ConcurrentDictionary<ISymbol, MethodFacts> facts, System.Threading.CancellationToken cancellationToken)
    {
        var graph = new CallGraph();
        var all = compilation.Routes(cancellationToken);
        var policies = compilation.Policies(cancellationToken);
        var origins = all.Concat(compilation.Entries(cancellationToken))
            .Select(r => (Roots: (IEnumerable<ISymbol>)new[] { r.Handler }, Routes: (IReadOnlyList<TracedRoute>)new[] { r })).ToList();
        if (!policies.IsEmpty)
        {
            origins.Add((policies, all));
        }

        foreach (var (roots, routes) in origins)
        {
            var seen = new HashSet<(ISymbol, bool, bool)>();
            var frontier = roots.Select(r => (Symbol: r, Outside: true, Request: true)).Where(seen.Add).ToList();
            for (var depth = 0; frontier.Count > 0; depth++)
            {
                var next = new List<(ISymbol Symbol, bool Outside, bool Request)>();
                foreach (var (symbol, outside, request) in frontier)
                {
                    graph.Mark(symbol, outside, request, routes);
                    if (depth == MaxDepth)
                    {
                        continue;
                    }

                    foreach (var edge in Edges(symbol, outside, request, compilation, facts, cancellationToken))
                    {
                        if (seen.Add(edge))
                        {
                            next.Add(edge);
                        }
                    }
                }

                frontier = next;
            }
        }

        return graph;
    }

    private void Mark(ISymbol symbol, bool outside, bool request, IReadOnlyList<TracedRoute> routes)
    {
        if (!_reachedBy.TryGetValue(symbol, out var set))
        {
            _reachedBy[symbol] = set = new HashSet<TracedRoute>();
        }

        set.UnionWith(routes);
        if (request)
        {
            _inRequest.Add(symbol);
            if (outside)
            {
                _outsideAttempts.Add(symbol);
            }
        }
    }

    private static IEnumerable<(ISymbol, bool, bool)> Edges(ISymbol symbol, bool outside, bool request, CompilationFacts compilation, ConcurrentDictionary<ISymbol, MethodFacts> facts, System.Threading.CancellationToken cancellationToken)
    {
        if (symbol is IMethodSymbol method)
        {
            // A call of an interface or virtual method reaches its implementations, those a class inherits from a base that does
            // not declare the interface included.
            foreach (var implementation in compilation.Implementations(method, cancellationToken).Concat(compilation.InheritedImplementations(method, cancellationToken)))
            {
                yield return (implementation, outside, request);
            }
        }

        if (facts.TryGetValue(symbol, out var known))
        {
            foreach (var call in known.Calls)
            {
                yield return (call.Callee, outside && !call.InAttemptScope, request && !call.ByLibrary);
            }
        }
    }
}
