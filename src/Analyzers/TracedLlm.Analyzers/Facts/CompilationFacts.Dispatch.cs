using System.Runtime.CompilerServices;

namespace TracedLlm.Analyzers.Facts;

// Interface and virtual dispatch, and the policies: one walk of every type, at the end of the compilation.
internal sealed partial class CompilationFacts
{
    /// <summary>The source implementations and overrides a call to <paramref name="method"/> may dispatch to.</summary>
    /// <remarks>Of several, where the code names some outside their own declarations (creates or registers them), the
    /// ones it never names are left out: nothing in the app makes them (an SDK's other adapter). Not where the app
    /// makes types by reflection (an assembly scan, a type activated by name) or a named one wraps another (a
    /// decorator).</remarks>
    public IReadOnlyList<IMethodSymbol> Implementations(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var all = Of(Dispatched(cancellationToken).Implementations, method);
        return all.Count > 1 && all.Where(m => Named(m.ContainingType)).ToList() is { Count: > 0 } named
            && named.Count < all.Count && !Decided(ref _reflective, () => Reflective.Any(name => Mentions(name) > 0))
            && !named.Any(m => m.ContainingType.InstanceConstructors.SelectMany(c => c.Parameters)
                .Any(p => Same(p.Type.OriginalDefinition, method.ContainingType.OriginalDefinition))) ? named : all;
    }

    // What an assembly scan or an activation by name calls (reflection, Scrutor).
    private static readonly string[] Reflective =
    {
        "CreateInstance", "GetTypes", "GetExportedTypes", "ExportedTypes", "DefinedTypes", "AddClasses",
    };

    private static readonly ConditionalWeakTable<SyntaxTree, Dictionary<string, int>> TreeNames = new();

    /// <summary>The code names <paramref name="type"/> outside its own declarations.</summary>
    private bool Named(INamedTypeSymbol type) => _named.GetOrAdd(type, t => Mentions(t.Name)
        > t.DeclaringSyntaxReferences.Sum(declared => declared.GetSyntax().DescendantNodes().OfType<SimpleNameSyntax>()
            .Count(name => name.Identifier.ValueText == t.Name)));

    /// <summary>How many simple names in the compilation are <paramref name="name"/>, counted once per tree (an edit
    /// counts its own tree again).</summary>
    private int Mentions(string name) => _compilation.SyntaxTrees.Sum(tree => TreeNames.GetValue(tree, static tree =>
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>()
            .Select(simple => simple.Identifier.ValueText))
        {
            counts[text] = counts.TryGetValue(text, out var seen) ? seen + 1 : 1;
        }

        return counts;
    }).TryGetValue(name, out var count) ? count : 0);

    /// <summary>The methods a type runs for an interface's <paramref name="method"/> that it inherits from a base not
    /// declaring the interface.</summary>
    /// <remarks><c>class Mirror : PauseBase, IDownloads</c>: not among <see cref="Implementations"/>, which the
    /// upstream and answer readings follow, but a call may run them all the same.</remarks>
    public IReadOnlyList<IMethodSymbol> InheritedImplementations(IMethodSymbol method,
        CancellationToken cancellationToken) => Of(Dispatched(cancellationToken).Inherited, method);

    /// <summary>The interface methods <paramref name="method"/> runs for a type that inherits it from a base not
    /// declaring the interface.</summary>
    public IReadOnlyList<IMethodSymbol> InheritedInterfaceMembers(IMethodSymbol method,
        CancellationToken cancellationToken) => Of(Dispatched(cancellationToken).InheritedFor, method);

    private static IReadOnlyList<IMethodSymbol> Of(Dictionary<IMethodSymbol, List<IMethodSymbol>> map,
        IMethodSymbol method) => map.TryGetValue(method.OriginalDefinition, out var list) ? list
            : Array.Empty<IMethodSymbol>();

    private Dispatch Dispatched(CancellationToken cancellationToken) => _dispatch.Get(() =>
            Dispatch.Walk(_compilation, Types, withDeclarations: _candidates.NeedsWholeWalk, cancellationToken));

    /// <summary>Interface and virtual dispatch and the policies, from a walk of every type (and the declarations when
    /// syntax cannot find them all).</summary>
    private sealed record Dispatch(Dictionary<IMethodSymbol, List<IMethodSymbol>> Implementations,
        Dictionary<IMethodSymbol, List<IMethodSymbol>> Inherited, ImmutableArray<IMethodSymbol> Policies,
        DeclaredRoutes? Declared, ImmutableArray<TracedRoute> Entries)
    {
        /// <summary><see cref="Inherited"/> the other way: a base's method, the interface methods it runs.</summary>
        public Dictionary<IMethodSymbol, List<IMethodSymbol>> InheritedFor { get; } = Inverted(Inherited);

        private static Dictionary<IMethodSymbol, List<IMethodSymbol>> Inverted(
            Dictionary<IMethodSymbol, List<IMethodSymbol>> map)
        {
            var inverted = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            foreach (var (declared, implementation) in map.SelectMany(pair => pair.Value, (pair, i) => (pair.Key, i)))
            {
                Add(inverted, implementation, declared);
            }

            return inverted;
        }

        public static Dispatch Walk(Compilation compilation, WellKnownTypes types, bool withDeclarations,
            CancellationToken cancellationToken)
        {
            var routes = new List<TracedRoute>();
            var filterMethods = new List<IMethodSymbol>();
            var policies = new List<IMethodSymbol>();
            var implementations = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var inherited = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var entries = new List<TracedRoute>();
            var assemblyMark = types.TracedCodeAttribute is { } mark
                ? TracedCodeEntries.Mark(compilation.Assembly, mark) : null;
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
                            ReadType(type, types, withDeclarations ? routes : null, filterMethods, policies,
                                implementations, inherited);
                            TracedCodeEntries.Read(type, types, assemblyMark, entries);
                        }
                    }
                }
            }

            return new Dispatch(implementations, inherited, policies.ToImmutableArray(),
                withDeclarations ? DeclaredRoutes.Create(routes, filterMethods) : null,
                entries.OrderBy(e => e.Display, StringComparer.Ordinal)
                    .ThenBy(e => e.Handler.ToDisplayString(), StringComparer.Ordinal).ToImmutableArray());
        }

        private static void ReadType(INamedTypeSymbol type, WellKnownTypes types, List<TracedRoute>? routes,
            List<IMethodSymbol> filterMethods, List<IMethodSymbol> policies,
            Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations,
            Dictionary<IMethodSymbol, List<IMethodSymbol>> inherited)
        {
            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
            {
                for (var overridden = method.OverriddenMethod;
                    overridden is not null;
                    overridden = overridden.OverriddenMethod)
                {
                    Add(implementations, overridden, method);

                    // A library's class implements an interface with it (DelegatingChatClient): its calls reach this
                    // (unless the type declares the interface again: read below).
                    foreach (var declared in overridden.Locations.Any(l => l.IsInSource) ? Enumerable.Empty<ISymbol>()
                        : overridden.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers()).Where(m =>
                            Same(overridden.ContainingType.FindImplementationForInterfaceMember(m), overridden)
                            && !Same(type.FindImplementationForInterfaceMember(m), method)))
                    {
                        Add(implementations, (IMethodSymbol)declared, method);
                    }
                }

                if (routes is not null)
                {
                    ReadAttributes(method, types, routes, filterMethods);
                }
            }

            foreach (var @interface in type.AllInterfaces)
            {
                var isPolicy = Same(@interface, types.Authenticator) || Same(@interface, types.Guardrail);
                foreach (var interfaceMethod in @interface.GetMembers().OfType<IMethodSymbol>())
                {
                    if (type.FindImplementationForInterfaceMember(interfaceMethod) is not IMethodSymbol implementation)
                    {
                        continue;
                    }

                    if (!Same(implementation.ContainingType, type))
                    {
                        // Inherited from a base type; the base's own declaration of the interface, if any, records it
                        // there.
                        if (type.TypeKind is TypeKind.Class or TypeKind.Struct
                            && !implementation.ContainingType.AllInterfaces.Any(i => Same(i, @interface)))
                        {
                            Add(inherited, interfaceMethod, implementation);
                        }

                        continue;
                    }

                    Add(implementations, interfaceMethod, implementation);
                    if (isPolicy)
                    {
                        policies.Add(implementation.OriginalDefinition);
                    }
                }
            }
        }

        private static void Add(
            Dictionary<IMethodSymbol, List<IMethodSymbol>> map, IMethodSymbol declared, IMethodSymbol implementation) =>
            map.For(declared.OriginalDefinition).Add(implementation.OriginalDefinition);
    }
}
