using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

/// <summary>A traced route as the analyzers see it.</summary>
internal sealed record TracedRoute(IMethodSymbol Handler, string Display, string Slot, string SlotConstant);

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
internal sealed class CompilationFacts
{
    private static readonly ImmutableHashSet<string> DefaultSlots = ImmutableHashSet.Create(System.StringComparer.Ordinal, RouteConventions.MetadataSlot, RouteConventions.LiteLlmMetadataSlot);

    private readonly Compilation _compilation;
    private readonly DeclaredCandidates _candidates;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<TracedRoute>> _roots = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _spanFactories = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, IOperation?> _smallBodies = new(SymbolEqualityComparer.Default);
    private readonly Once<DeclaredRoutes> _declared = new();
    private readonly Once<DeclaredRoutes> _declaredFilters = new();
    private readonly Once<Dispatch> _dispatch = new();
    private readonly Once<ImmutableHashSet<string>> _slotNames = new();
    private int _hasRoutes; // 0 not known yet, 1 yes, -1 no

    private CompilationFacts(Compilation compilation, WellKnownTypes types, DeclaredCandidates candidates)
    {
        _compilation = compilation;
        Types = types;
        _candidates = candidates;
        Handoff = new FailureHandoff(types, method => Body(compilation, method));
        // A route the declaration index cannot read (on an accessor, operator or explicit
        // implementation: the whole walk) may name any slot, so the slot names are bound then too.
        if (!candidates.CustomSlot && !candidates.NeedsWholeWalk)
        {
            _slotNames.Set(DefaultSlots);
        }
    }

    public WellKnownTypes Types { get; }

    /// <summary>Whether code hands a failure on; its answers for wrapper methods are shared by every block.</summary>
    public FailureHandoff Handoff { get; }

    /// <summary>False when no declaration can be a route: the compilation certainly has none.</summary>
    public bool MayHaveRoutes => _candidates.AnyRoute;

    /// <summary>Every traced route, ordered by method and path.</summary>
    public ImmutableArray<TracedRoute> Routes(CancellationToken cancellationToken) => Declared(_declared, _candidates.RouteMethods, cancellationToken).Routes;

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

    /// <summary>
    /// A source method that starts an Activity and returns it to its caller (directly, through a
    /// local, or from another such method, a few calls deep): its caller owns the span and must end it.
    /// </summary>
    public bool IsSpanFactory(IMethodSymbol method) => IsSpanFactory(method.OriginalDefinition, 0);

    private bool IsSpanFactory(IMethodSymbol method, int depth)
    {
        if (!WellKnownTypes.Same(method.ReturnType, Types.Activity) || !method.Locations.Any(l => l.IsInSource) || method.IsAbstract)
        {
            return false;
        }

        if (depth == 0 && _spanFactories.TryGetValue(method, out var known))
        {
            return known;
        }

        var result = depth < 4 && Body(_compilation, method) is { } body && ValueFlow.OwnReturns(body).Any(r => r.ReturnedValue is { } value && StartsHere(value, body, depth));
        return depth == 0 ? _spanFactories.GetOrAdd(method, result) : result;
    }

    private bool StartsHere(IOperation value, IOperation body, int depth)
    {
        value = ValueFlow.Unwrap(value);
        if (value is ILocalReferenceOperation local)
        {
            // The local's initializer or assignments in the body.
            return body.DescendantsAndSelf().Any(o => o switch
            {
                IVariableDeclaratorOperation declarator when WellKnownTypes.Same(declarator.Symbol, local.Local) => declarator.GetVariableInitializer() is { } initializer && StartsHere(initializer.Value, body, depth),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when WellKnownTypes.Same(target.Local, local.Local) => StartsHere(assignment.Value, body, depth),
                _ => false,
            });
        }

        return value is IInvocationOperation call
            && (Collectors.SpanCollector.IsStart(call.TargetMethod, Types) || IsSpanFactory(call.TargetMethod.OriginalDefinition, depth + 1));
    }

    /// <summary>The source implementations and overrides a call to <paramref name="method"/> may dispatch to.</summary>
    public IReadOnlyList<IMethodSymbol> Implementations(IMethodSymbol method, CancellationToken cancellationToken) =>
        Dispatched(cancellationToken).Implementations.TryGetValue(method.OriginalDefinition, out var list) ? list : System.Array.Empty<IMethodSymbol>();

    /// <summary>
    /// The operations of a source method's or local function's body, bound from its own tree.
    /// Used for the few methods a rule must read beyond the block being analysed (failure filters,
    /// wrappers of the failure path), once each per compilation.
    /// </summary>
    public static IOperation? Body(Compilation compilation, IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            var body = syntax switch
            {
                BaseMethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };
            if (body is not null)
            {
#pragma warning disable RS1030 // A method's body, bound once per compilation (see the summary).
                var operation = compilation.GetSemanticModel(reference.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
                return operation switch
                {
                    IMethodBodyOperation methodBody => (IOperation?)methodBody.BlockBody ?? methodBody.ExpressionBody,
                    ILocalFunctionOperation localFunction => localFunction.Body,
                    _ => operation,
                };
            }
        }

        return null;
    }

    /// <summary>The operations of a small source method's body (at most a few statements), cached; null for a longer one.</summary>
    public IOperation? BodyOf(IMethodSymbol method) =>
        _smallBodies.GetOrAdd(method, m => m.DeclaringSyntaxReferences.Length == 1 && m.DeclaringSyntaxReferences[0].Span.Length <= 400 ? Body(_compilation, m) : null);

    public static CompilationFacts? Create(Compilation compilation, CancellationToken cancellationToken) =>
        WellKnownTypes.Create(compilation) is { } types ? new CompilationFacts(compilation, types, DeclaredCandidates.Of(compilation, cancellationToken)) : null;

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

    private Dispatch Dispatched(CancellationToken cancellationToken) =>
        _dispatch.Get(() => Dispatch.Walk(_compilation, Types, withDeclarations: _candidates.NeedsWholeWalk, cancellationToken));

    private static void ReadAttributes(IMethodSymbol method, WellKnownTypes types, List<TracedRoute> routes, List<IMethodSymbol>? filterMethods)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (WellKnownTypes.Same(attribute.AttributeClass, types.RouteAttribute))
            {
                var data = RouteAttributeData.Read(attribute);
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

    /// <summary>Interface and virtual dispatch and the policies, from a walk of every type; the declarations too when syntax cannot find them all.</summary>
    private sealed class Dispatch
    {
        private Dispatch(Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations, ImmutableArray<IMethodSymbol> policies, DeclaredRoutes? declared)
        {
            Implementations = implementations;
            Policies = policies;
            Declared = declared;
        }

        public Dictionary<IMethodSymbol, List<IMethodSymbol>> Implementations { get; }

        public ImmutableArray<IMethodSymbol> Policies { get; }

        public DeclaredRoutes? Declared { get; }

        public static Dispatch Walk(Compilation compilation, WellKnownTypes types, bool withDeclarations, CancellationToken cancellationToken)
        {
            var routes = new List<TracedRoute>();
            var filterMethods = new List<IMethodSymbol>();
            var policies = new List<IMethodSymbol>();
            var implementations = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var stack = new Stack<INamespaceOrTypeSymbol>();
            stack.Push(compilation.Assembly.GlobalNamespace);
            while (stack.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var container = stack.Pop();
                foreach (var member in container.GetMembers())
                {
                    if (member is INamespaceOrTypeSymbol nested)
                    {
                        stack.Push(nested);
                        if (nested is INamedTypeSymbol type)
                        {
                            ReadType(type, types, withDeclarations ? routes : null, filterMethods, policies, implementations);
                        }
                    }
                }
            }

            return new Dispatch(implementations, policies.ToImmutableArray(), withDeclarations ? DeclaredRoutes.Create(routes, filterMethods) : null);
        }

        private static void ReadType(INamedTypeSymbol type, WellKnownTypes types, List<TracedRoute>? routes, List<IMethodSymbol> filterMethods, List<IMethodSymbol> policies, Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is not IMethodSymbol method)
                {
                    continue;
                }

                for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    Add(implementations, overridden, method);
                }

                if (routes is not null)
                {
                    ReadAttributes(method, types, routes, filterMethods);
                }
            }

            foreach (var @interface in type.AllInterfaces)
            {
                var isPolicy = WellKnownTypes.Same(@interface, types.Authenticator) || WellKnownTypes.Same(@interface, types.Guardrail);
                foreach (var interfaceMember in @interface.GetMembers())
                {
                    if (interfaceMember is IMethodSymbol interfaceMethod
                        && type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation
                        && WellKnownTypes.Same(implementation.ContainingType, type))
                    {
                        Add(implementations, interfaceMethod, implementation);
                        if (isPolicy)
                        {
                            policies.Add(implementation.OriginalDefinition);
                        }
                    }
                }
            }
        }

        private static void Add(Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations, IMethodSymbol declared, IMethodSymbol implementation)
        {
            var key = declared.OriginalDefinition;
            if (!implementations.TryGetValue(key, out var list))
            {
                implementations[key] = list = new List<IMethodSymbol>();
            }

            list.Add(implementation.OriginalDefinition);
        }
    }
}
