using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

/// <summary>
/// A traced route as the analyzers see it, or (<paramref name="Entry"/>) an entry point of code a project marks
/// <c>[TracedLlmCode]</c>, whose routes are in another project: its slot is the one the attribute declares, or empty.
/// </summary>
internal sealed record TracedRoute(IMethodSymbol Handler, string Display, string Slot, string? SlotConstant, bool Entry = false)
{
    /// <summary>How a message names it: <c>route 'POST /v1/chat'</c>, or <c>traced code 'Orchestrator.RunAsync'</c>.</summary>
    public string Named => Entry ? $"traced code '{Display}'" : $"route '{Display}'";
}

/// <summary>
/// What is known of a compilation before any method body is read, from declarations and
/// attributes alone: the route → slot table, the roots of traced code (handlers, authenticator and
/// guardrail implementations) and the routes each reaches, and interface / virtual dispatch. One
/// instance per compilation start; it is what makes per-method diagnostics possible while typing.
/// </summary>
/// <remarks>
/// An editor starts a compilation for every document it analyses after an edit, so nothing here is
/// built up front from the whole compilation. Creating it reads the cached per-tree
/// <see cref="DeclarationIndex"/> (syntax only). Whether a method is a root is read from that
/// method's own attributes and type. The slot names come from syntax unless a route may name its
/// own slot. The route table binds only the methods whose syntax may carry <c>[TracedLlmRoute]</c>,
/// and only when a policy or the end of the compilation needs every route; dispatch, which needs
/// every type, only at the end of the compilation. Each lazy part is built once per instance, by
/// whichever thread asks first, while threads asking at the same time wait for it (<see cref="Once{T}"/>).
/// </remarks>
internal sealed partial class CompilationFacts
{
    private static readonly ImmutableHashSet<string> DefaultSlots = ImmutableHashSet.Create(System.StringComparer.Ordinal, RouteConventions.MetadataSlot, RouteConventions.LiteLlmMetadataSlot);

    private readonly Compilation _compilation;
    private readonly DeclaredCandidates _candidates;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<TracedRoute>> _roots = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _spanFactories = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, IOperation?> _smallBodies = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _logHelpers = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, InMemoryWork> _inMemoryHelpers = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _valueHolders = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _quietMethods = new(SymbolEqualityComparer.Default);
    private readonly Once<DeclaredRoutes> _declared = new();
    private readonly Once<DeclaredRoutes> _declaredFilters = new();
    private readonly Once<Dispatch> _dispatch = new();
    private int _messageOverridden; // 0 not known yet, 1 a source exception overrides Message, -1 none
    private readonly Once<ImmutableHashSet<string>> _slotNames = new();
    private int _hasRoutes; // 0 not known yet, 1 yes, -1 no

    private CompilationFacts(Compilation compilation, WellKnownTypes types, DeclaredCandidates candidates, Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? options)
    {
        _compilation = compilation;
        Types = types;
        _candidates = candidates;
        Intent = new DeclaredIntent(options, types);
        Handoff = new FailureHandoff(types, method => Body(compilation, method), Intent);
        // A route the declaration index cannot read (on an accessor, operator or explicit
        // implementation: the whole walk) may name any slot, so the slot names are bound then too.
        if (!candidates.CustomSlot && !candidates.NeedsWholeWalk)
        {
            _slotNames.Set(DefaultSlots);
        }
    }

    public WellKnownTypes Types { get; }

    /// <summary>What the team declares where code cannot show it (options and attributes).</summary>
    public DeclaredIntent Intent { get; }

    /// <summary>Whether code hands a failure on; its answers for wrapper methods are shared by every block.</summary>
    public FailureHandoff Handoff { get; }

    /// <summary>False when no declaration can be a route or say it holds traced code: the compilation certainly has no traced code.</summary>
    public bool MayHaveRoutes => _candidates.AnyRoute || _candidates.TracedCode;

    /// <summary>Every traced route, ordered by method and path.</summary>
    public ImmutableArray<TracedRoute> Routes(CancellationToken cancellationToken) => Declared(_declared, _candidates.RouteMethods, cancellationToken).Routes;

    /// <summary>
    /// The entry points of traced code the compilation declares with <c>[TracedLlmCode]</c> (a library a route of another
    /// project calls), each as a route of its own; empty when it declares none. Read with the dispatch table, at the end.
    /// </summary>
    public ImmutableArray<TracedRoute> Entries(CancellationToken cancellationToken) =>
        _candidates.TracedCode ? Dispatched(cancellationToken).Entries : ImmutableArray<TracedRoute>.Empty;

    /// <summary>Methods marked [FailureLoggingPath].</summary>
    public ImmutableArray<IMethodSymbol> FilterMethods(CancellationToken cancellationToken) => Declared(_declaredFilters, _candidates.FilterMethods, cancellationToken).FilterMethods;

    /// <summary>Authenticator and guardrail implementations: traced code of every route.</summary>
    public ImmutableArray<IMethodSymbol> Policies(CancellationToken cancellationToken) => Dispatched(cancellationToken).Policies;

    /// <summary>Every name a slot has: the two defaults and each route's own.</summary>
    public ImmutableHashSet<string> SlotNames(CancellationToken cancellationToken) => _slotNames.Get(() =>
    {
        var slots = DefaultSlots.ToBuilder();
        foreach (var route in Routes(cancellationToken))
        {
            slots.Add(route.Slot);
        }

        return slots.ToImmutable();
    });

    /// <summary>
    /// Whether the compilation has a route at all: the first method whose syntax may carry
    /// <c>[TracedLlmRoute]</c> and does answers, without the route table.
    /// </summary>
    public bool HasRoutes(CancellationToken cancellationToken)
    {
        if (_declared.Known is { } declared)
        {
            return !declared.Routes.IsEmpty;
        }

        if (Volatile.Read(ref _hasRoutes) is var known and not 0)
        {
            return known > 0;
        }

        var found = _candidates.NeedsWholeWalk ? !Routes(cancellationToken).IsEmpty : FindRoute(cancellationToken);
        Volatile.Write(ref _hasRoutes, found ? 1 : -1);
        return found;
    }

    /// <summary>
    /// Whether a method is a root of traced code. For a handler this reads its own attributes; for a
    /// guardrail or authenticator, which serves every route, only whether there is a route: the
    /// route table is bound when one of its keys names a slot (<see cref="RoutesOfRoot"/>).
    /// </summary>
    public bool IsRoot(ISymbol symbol, CancellationToken cancellationToken)
    {
        if (symbol is not IMethodSymbol method)
        {
            return false;
        }

        method = method.OriginalDefinition;
        if (_roots.TryGetValue(method, out var known))
        {
            return !known.IsDefault;
        }

        return method.PartialDefinitionPart is null && IsPolicy(method, Types) ? HasRoutes(cancellationToken) : !RoutesOfRoot(method, cancellationToken).IsDefault;
    }

    /// <summary>The routes a root of traced code serves, or default when the method is no root.</summary>
    public ImmutableArray<TracedRoute> RoutesOfRoot(ISymbol symbol, CancellationToken cancellationToken)
    {
        if (symbol is not IMethodSymbol method)
        {
            return default;
        }

        method = method.OriginalDefinition;
        if (_roots.TryGetValue(method, out var known))
        {
            return known;
        }

        return _roots.GetOrAdd(method, ReadRoot(method, cancellationToken));
    }

    public static CompilationFacts? Create(Compilation compilation, CancellationToken cancellationToken, Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? options = null) =>
        WellKnownTypes.Create(compilation) is { } types ? new CompilationFacts(compilation, types, DeclaredCandidates.Of(compilation, cancellationToken), options) : null;

    /// <summary>
    /// One method's roots, as the walk of every type would find them: a policy serves every route,
    /// else a handler its own. Only a method a type lists is a root (a partial method's body is
    /// not: the type lists its declaration).
    /// </summary>
    private ImmutableArray<TracedRoute> ReadRoot(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (method.PartialDefinitionPart is not null)
        {
            return default;
        }

        if (IsPolicy(method, Types))
        {
            var all = Routes(cancellationToken);
            return all.IsEmpty ? default : all;
        }

        var own = new List<TracedRoute>();
        ReadAttributes(method, Types, own, filterMethods: null);
        return own.Count == 0 ? default : own.OrderBy(r => r.Display, System.StringComparer.Ordinal).ToImmutableArray();
    }

    private bool FindRoute(CancellationToken cancellationToken)
    {
        foreach (var tree in _candidates.RouteTrees)
        {
#pragma warning disable RS1030 // Only the declarations of possible routes are bound, until the first real one: it tells whether a guardrail is traced code.
            var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var declaration in DeclarationIndex.MethodsWith(tree, _candidates.RouteAttributes, cancellationToken))
            {
                if (model.GetDeclaredSymbol(declaration, cancellationToken) is IMethodSymbol method
                    && (method.PartialDefinitionPart ?? method).GetAttributes().Any(a => WellKnownTypes.Same(a.AttributeClass, Types.RouteAttribute)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsPolicy(IMethodSymbol method, WellKnownTypes types)
    {
        var type = method.ContainingType;
        foreach (var @interface in type.AllInterfaces)
        {
            if (!WellKnownTypes.Same(@interface, types.Authenticator) && !WellKnownTypes.Same(@interface, types.Guardrail))
            {
                continue;
            }

            foreach (var interfaceMember in @interface.GetMembers())
            {
                if (interfaceMember is IMethodSymbol interfaceMethod
                    && type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation
                    && WellKnownTypes.Same(implementation.ContainingType, type)
                    && WellKnownTypes.Same(implementation.OriginalDefinition, method))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The routes and filter methods among the methods with the given names, or of every type when syntax cannot find them all.</summary>
    private DeclaredRoutes Declared(Once<DeclaredRoutes> field, ImmutableHashSet<string> names, CancellationToken cancellationToken) => field.Get(() =>
    {
        if (_candidates.NeedsWholeWalk)
        {
            return Dispatched(cancellationToken).Declared!;
        }

        var routes = new List<TracedRoute>();
        var filterMethods = new List<IMethodSymbol>();
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var name in names.OrderBy(n => n, System.StringComparer.Ordinal))
        {
            foreach (var symbol in _compilation.GetSymbolsWithName(name, SymbolFilter.Member, cancellationToken))
            {
                if (symbol is IMethodSymbol method && seen.Add(method))
                {
                    ReadAttributes(method, Types, routes, filterMethods);
                }
            }
        }

        return DeclaredRoutes.Create(routes, filterMethods);
    });

    private static void ReadAttributes(IMethodSymbol method, WellKnownTypes types, List<TracedRoute> routes, List<IMethodSymbol>? filterMethods)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (WellKnownTypes.Same(attribute.AttributeClass, types.RouteAttribute))
            {
                var data = RouteAttributeData.Read(attribute, method);
                var display = $"{data.HttpMethod?.ToUpperInvariant()} {data.Pattern}";
                routes.Add(new TracedRoute(method.OriginalDefinition, display, data.Slot, $"global::TracedLlm.Generated.{HandlerBinding.GeneratedClassName(method)}.MetadataSlot"));
            }
            else if (filterMethods is not null && WellKnownTypes.Same(attribute.AttributeClass, types.FailureLoggingPathAttribute))
            {
                filterMethods.Add(method.OriginalDefinition);
            }
        }
    }

    /// <summary>The routes and the [FailureLoggingPath] methods of the compilation.</summary>
    private sealed class DeclaredRoutes
    {
        private DeclaredRoutes(ImmutableArray<TracedRoute> routes, ImmutableArray<IMethodSymbol> filterMethods)
        {
            Routes = routes;
            FilterMethods = filterMethods;
        }

        public ImmutableArray<TracedRoute> Routes { get; }

        public ImmutableArray<IMethodSymbol> FilterMethods { get; }

        public static DeclaredRoutes Create(List<TracedRoute> routes, List<IMethodSymbol> filterMethods)
        {
            // A stable order, whichever way the declarations were found.
            var ordered = routes
                .OrderBy(r => r.Display, System.StringComparer.Ordinal)
                .ThenBy(r => r.Handler.ToDisplayString(), System.StringComparer.Ordinal)
                .ToImmutableArray();
            return new DeclaredRoutes(ordered, filterMethods.ToImmutableArray());
        }
    }
}
