using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

/// <summary>A traced route as the analyzers see it.</summary>
internal sealed record TracedRoute(IMethodSymbol Handler, string Display, string Slot, string SlotConstant);

/// <summary>
/// What is known of a compilation before any method body is read, from declarations and
/// attributes alone: the route → slot table, the roots of traced code (handlers, authenticator and
/// guardrail implementations) and the routes each reaches, and interface / virtual dispatch. One
/// instance per compilation, built at compilation start; it is what makes per-method diagnostics
/// possible while typing.
/// </summary>
internal sealed class CompilationFacts
{
    private readonly Dictionary<IMethodSymbol, ImmutableArray<TracedRoute>> _roots;
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _implementations;

    private CompilationFacts(WellKnownTypes types, ImmutableArray<TracedRoute> routes, Dictionary<IMethodSymbol, ImmutableArray<TracedRoute>> roots, Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations, ImmutableArray<IMethodSymbol> policies, ImmutableArray<IMethodSymbol> filterMethods)
    {
        FilterMethods = filterMethods;
        Types = types;
        Routes = routes;
        _roots = roots;
        _implementations = implementations;
        Policies = policies;
        var slots = new HashSet<string>(System.StringComparer.Ordinal) { RouteConventions.MetadataSlot, RouteConventions.LiteLlmMetadataSlot };
        foreach (var route in routes)
        {
            slots.Add(route.Slot);
        }

        SlotNames = slots.ToImmutableHashSet(System.StringComparer.Ordinal);
    }

    public WellKnownTypes Types { get; }

    /// <summary>Every traced route, ordered by method and path.</summary>
    public ImmutableArray<TracedRoute> Routes { get; }

    /// <summary>Authenticator and guardrail implementations: traced code of every route.</summary>
    public ImmutableArray<IMethodSymbol> Policies { get; }

    /// <summary>Methods marked [FailureLoggingPath].</summary>
    public ImmutableArray<IMethodSymbol> FilterMethods { get; }

    /// <summary>Every name a slot has: the two defaults and each route's own.</summary>
    public ImmutableHashSet<string> SlotNames { get; }

    /// <summary>The routes a root of traced code serves, or default when the method is no root.</summary>
    public ImmutableArray<TracedRoute> RoutesOfRoot(ISymbol symbol) =>
        symbol is IMethodSymbol method && _roots.TryGetValue(method.OriginalDefinition, out var routes) ? routes : default;

    /// <summary>The source implementations and overrides a call to <paramref name="method"/> may dispatch to.</summary>
    public IReadOnlyList<IMethodSymbol> Implementations(IMethodSymbol method) =>
        _implementations.TryGetValue(method.OriginalDefinition, out var list) ? list : System.Array.Empty<IMethodSymbol>();

    public static CompilationFacts? Create(Compilation compilation, System.Threading.CancellationToken cancellationToken)
    {
        if (WellKnownTypes.Create(compilation) is not { } types)
        {
            return null;
        }

        var routes = new List<TracedRoute>();
        var policies = new List<IMethodSymbol>();
        var filterMethods = new List<IMethodSymbol>();
        var implementations = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var container = stack.Pop();
            foreach (var member in container.GetMembers())
            {
                switch (member)
                {
                    case INamespaceOrTypeSymbol nested:
                        stack.Push(nested);
                        if (nested is INamedTypeSymbol type)
                        {
                            ReadType(type, types, routes, policies, filterMethods, implementations);
                        }

                        break;
                }
            }
        }

        routes.Sort((a, b) => string.CompareOrdinal(a.Display, b.Display));
        var all = routes.ToImmutableArray();
        var roots = new Dictionary<IMethodSymbol, ImmutableArray<TracedRoute>>(SymbolEqualityComparer.Default);
        foreach (var route in all)
        {
            roots[route.Handler] = roots.TryGetValue(route.Handler, out var existing) ? existing.Add(route) : ImmutableArray.Create(route);
        }

        foreach (var policy in policies)
        {
            roots[policy] = all;
        }

        return new CompilationFacts(types, all, roots, implementations, policies.ToImmutableArray(), filterMethods.ToImmutableArray());
    }

    private static void ReadType(INamedTypeSymbol type, WellKnownTypes types, List<TracedRoute> routes, List<IMethodSymbol> policies, List<IMethodSymbol> filterMethods, Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations)
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

            foreach (var attribute in method.GetAttributes())
            {
                if (WellKnownTypes.Same(attribute.AttributeClass, types.RouteAttribute))
                {
                    var data = RouteAttributeData.Read(attribute);
                    var display = $"{data.HttpMethod?.ToUpperInvariant()} {data.Pattern}";
                    routes.Add(new TracedRoute(method.OriginalDefinition, display, data.Slot, $"global::TracedLlm.Generated.{HandlerBinding.GeneratedClassName(method)}.MetadataSlot"));
                }
                else if (WellKnownTypes.Same(attribute.AttributeClass, types.FailureLoggingPathAttribute))
                {
                    filterMethods.Add(method.OriginalDefinition);
                }
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
