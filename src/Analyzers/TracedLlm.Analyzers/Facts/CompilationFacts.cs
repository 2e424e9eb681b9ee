using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

/// <summary>A traced route as the analyzers see it, or (<paramref name="Entry"/>) an entry point of
/// <c>[TracedLlmCode]</c>.</summary>
internal sealed record TracedRoute(
    IMethodSymbol Handler, string Display, string Slot, string? SlotConstant, bool Entry = false)
{
    /// <summary>How a message names it: <c>route 'POST /v1/chat'</c>, or <c>traced code
    /// 'Orchestrator.RunAsync'</c>.</summary>
    public string Named => Entry ? $"traced code '{Display}'" : $"route '{Display}'";
}

/// <summary>What is known of a compilation from declarations and attributes alone, before any body is read.</summary>
/// <remarks>
/// The route table, the roots of traced code and the routes each reaches, dispatch. An editor starts a compilation for
/// every document it analyses after an edit, so nothing is built up front: creating it reads the cached per-tree
/// <see cref="DeclarationIndex"/>; a root is read from its own attributes and type; the route table is bound only when
/// a policy or the end of the compilation needs it, dispatch only at the end. Each lazy part is built once
/// (<see cref="Once{T}"/>).
/// </remarks>
internal sealed partial class CompilationFacts
{
    private static readonly ImmutableHashSet<string> DefaultSlots = ImmutableHashSet.Create(StringComparer.Ordinal,
        RouteConventions.MetadataSlot, RouteConventions.LiteLlmMetadataSlot);

    private readonly Compilation _compilation;
    private readonly DeclaredCandidates _candidates;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<TracedRoute>> _roots = new(
        SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _spanFactories = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, IOperation?> _smallBodies = new(
        SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _logHelpers = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, InMemoryWork> _inMemoryHelpers = new(
        SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _valueHolders = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _quietMethods = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ITypeSymbol, bool> _named = new(SymbolEqualityComparer.Default);
    private readonly Once<DeclaredRoutes> _declared = new();
    private readonly Once<DeclaredRoutes> _declaredFilters = new();
    private readonly Once<Dispatch> _dispatch = new();
    private int _messageOverridden; // 0 not known yet, 1 a source exception overrides Message, -1 none
    private readonly Once<ImmutableHashSet<string>> _slotNames = new();
    private int _hasRoutes; // 0 not known yet, 1 yes, -1 no
    private int _reflective; // the same: the code makes types by reflection

    private CompilationFacts(Compilation compilation, WellKnownTypes types, DeclaredCandidates candidates,
        Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? options)
    {
        _compilation = compilation;
        Types = types;
        _candidates = candidates;
        Intent = new DeclaredIntent(options, types);
        Handoff = new FailureHandoff(types, method => Body(compilation, method), Intent);
        // A route the declaration index cannot read (the whole walk) may name any slot: the names are bound then.
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

    /// <summary>False when no declaration can be a route or say it holds traced code.</summary>
    public bool MayHaveRoutes => _candidates.AnyRoute || _candidates.TracedCode;

    /// <summary>Every traced route, ordered by method and path.</summary>
    public ImmutableArray<TracedRoute> Routes(CancellationToken cancellationToken) =>
        Declared(_declared, _candidates.RouteMethods, cancellationToken).Routes;

    /// <summary>The entry points of traced code the compilation declares with <c>[TracedLlmCode]</c>, each as a
    /// route.</summary>
    public ImmutableArray<TracedRoute> Entries(CancellationToken cancellationToken) =>
        _candidates.TracedCode ? Dispatched(cancellationToken).Entries : ImmutableArray<TracedRoute>.Empty;

    /// <summary>Methods marked [FailureLoggingPath].</summary>
    public ImmutableArray<IMethodSymbol> FilterMethods(CancellationToken cancellationToken) =>
        Declared(_declaredFilters, _candidates.FilterMethods, cancellationToken).FilterMethods;

    /// <summary>Authenticator and guardrail implementations: traced code of every route.</summary>
    public ImmutableArray<IMethodSymbol> Policies(CancellationToken cancellationToken) =>
        Dispatched(cancellationToken).Policies;

    /// <summary>Every name a slot has: the two defaults and each route's own.</summary>
    public ImmutableHashSet<string> SlotNames(CancellationToken cancellationToken) =>
        _slotNames.Get(() => DefaultSlots.Union(Routes(cancellationToken).Select(route => route.Slot)));

    /// <summary>Whether the compilation has a route at all, read without the route table.</summary>
    public bool HasRoutes(CancellationToken cancellationToken) => _declared.Known is { } declared
        ? !declared.Routes.IsEmpty
        : Decided(ref _hasRoutes,
            () => _candidates.NeedsWholeWalk ? !Routes(cancellationToken).IsEmpty : FindRoute(cancellationToken));

    /// <summary>A yes or no of the whole compilation, by the first caller that asks: <paramref name="known"/> is 0
    /// until then, 1 yes, -1 no.</summary>
    private static bool Decided(ref int known, Func<bool> decide)
    {
        if (Volatile.Read(ref known) is var value and not 0)
        {
            return value > 0;
        }

        var yes = decide();
        Volatile.Write(ref known, yes ? 1 : -1);
        return yes;
    }

    /// <summary>Whether a method is a root of traced code.</summary>
    /// <remarks>A handler's own attributes; for a policy, which serves every route, whether there is a route.</remarks>
    public bool IsRoot(ISymbol symbol, CancellationToken cancellationToken) =>
        symbol is IMethodSymbol { OriginalDefinition: var method }
        && (_roots.TryGetValue(method, out var known) ? !known.IsDefault
            : method.PartialDefinitionPart is null && IsPolicy(method, Types) ? HasRoutes(cancellationToken)
            : !RoutesOfRoot(method, cancellationToken).IsDefault);

    /// <summary>The routes a root of traced code serves, or default when the method is no root.</summary>
    public ImmutableArray<TracedRoute> RoutesOfRoot(ISymbol symbol, CancellationToken cancellationToken) =>
        symbol is IMethodSymbol method ? _roots.GetOrAdd(method.OriginalDefinition, m => ReadRoot(m, cancellationToken))
            : default;

    public static CompilationFacts? Create(Compilation compilation, CancellationToken cancellationToken,
        Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? options = null) =>
        WellKnownTypes.Create(compilation) is { } types
            ? new CompilationFacts(compilation, types, DeclaredCandidates.Of(compilation, cancellationToken), options)
            : null;

    /// <summary>One method's roots: a policy serves every route, a handler its own.</summary>
    /// <remarks>A partial method's body is no root: the type lists its declaration.</remarks>
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
        return own.Count == 0 ? default : own.OrderBy(r => r.Display, StringComparer.Ordinal).ToImmutableArray();
    }

    private bool FindRoute(CancellationToken cancellationToken) => _candidates.RouteTrees.Any(tree =>
    {
// Only the declarations of possible routes are bound, until the first real one: it tells whether a guardrail is traced.
#pragma warning disable RS1030
        var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
        return DeclarationIndex.MethodsWith(tree, _candidates.RouteAttributes, cancellationToken).Any(declaration =>
            model.GetDeclaredSymbol(declaration, cancellationToken) is IMethodSymbol method
            && (method.PartialDefinitionPart ?? method).GetAttributes()
                .Any(a => Same(a.AttributeClass, Types.RouteAttribute)));
    });

    private static bool IsPolicy(IMethodSymbol method, WellKnownTypes types)
    {
        var type = method.ContainingType;
        return type.AllInterfaces
            .Where(i => Same(i, types.Authenticator) || Same(i, types.Guardrail))
            .SelectMany(i => i.GetMembers().OfType<IMethodSymbol>())
            .Any(member => type.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation
                && Same(implementation.ContainingType, type)
                && Same(implementation.OriginalDefinition, method));
    }

    /// <summary>The routes and filter methods among the methods with the given names (or every type's).</summary>
    private DeclaredRoutes Declared(
        Once<DeclaredRoutes> field, ImmutableHashSet<string> names, CancellationToken cancellationToken) =>
        field.Get(() => _candidates.NeedsWholeWalk
            ? Dispatched(cancellationToken).Declared!
            : ReadDeclared(names, cancellationToken));

    private DeclaredRoutes ReadDeclared(ImmutableHashSet<string> names, CancellationToken cancellationToken)
    {
        var routes = new List<TracedRoute>();
        var filterMethods = new List<IMethodSymbol>();
        foreach (var method in names.OrderBy(n => n, StringComparer.Ordinal)
            .SelectMany(name => _compilation.GetSymbolsWithName(name, SymbolFilter.Member, cancellationToken))
            .OfType<IMethodSymbol>().Distinct<IMethodSymbol>(SymbolEqualityComparer.Default))
        {
            ReadAttributes(method, Types, routes, filterMethods);
        }

        return DeclaredRoutes.Create(routes, filterMethods);
    }

    private static void ReadAttributes(IMethodSymbol method, WellKnownTypes types, List<TracedRoute> routes,
        List<IMethodSymbol>? filterMethods)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (Same(attribute.AttributeClass, types.RouteAttribute))
            {
                var data = RouteAttributeData.Read(attribute, method);
                var display = $"{data.HttpMethod?.ToUpperInvariant()} {data.Pattern}";
                routes.Add(new TracedRoute(method.OriginalDefinition, display, data.Slot,
                        $"global::TracedLlm.Generated.{HandlerBinding.GeneratedClassName(method)}.MetadataSlot"));
            }
            else if (filterMethods is not null && Same(attribute.AttributeClass, types.FailureLoggingPathAttribute))
            {
                filterMethods.Add(method.OriginalDefinition);
            }
        }
    }

    /// <summary>The routes and the [FailureLoggingPath] methods of the compilation.</summary>
    private sealed record DeclaredRoutes(ImmutableArray<TracedRoute> Routes,
        ImmutableArray<IMethodSymbol> FilterMethods)
    {
        // A stable order, whichever way the declarations were found.
        public static DeclaredRoutes Create(List<TracedRoute> routes, List<IMethodSymbol> filterMethods) => new(
            routes.OrderBy(r => r.Display, StringComparer.Ordinal)
                .ThenBy(r => r.Handler.ToDisplayString(), StringComparer.Ordinal).ToImmutableArray(),
            filterMethods.ToImmutableArray());
    }
}
