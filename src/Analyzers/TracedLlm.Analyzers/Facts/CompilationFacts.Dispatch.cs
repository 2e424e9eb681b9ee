using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

// Interface and virtual dispatch, and the policies: one walk of every type, at the end of the
// compilation (or when syntax cannot find every route).
internal sealed partial class CompilationFacts
{
    /// <summary>The source implementations and overrides a call to <paramref name="method"/> may dispatch to.</summary>
    public IReadOnlyList<IMethodSymbol> Implementations(IMethodSymbol method, CancellationToken cancellationToken) =>
        Dispatched(cancellationToken).Implementations.TryGetValue(method.OriginalDefinition, out var list) ? list : System.Array.Empty<IMethodSymbol>();

    /// <summary>
    /// The methods a type of source runs for an interface's <paramref name="method"/> that it inherits from a base type not declaring
    /// the interface (<c>class Mirror : PauseBase, IDownloads</c>): not among <see cref="Implementations"/>, which the upstream and answer
    /// readings follow, but a call may run them all the same.
    /// </summary>
    public IReadOnlyList<IMethodSymbol> InheritedImplementations(IMethodSymbol method, CancellationToken cancellationToken) =>
        Dispatched(cancellationToken).Inherited.TryGetValue(method.OriginalDefinition, out var list) ? list : System.Array.Empty<IMethodSymbol>();

    /// <summary>
    /// The interface methods <paramref name="method"/> runs for a type of source that inherits it from a base not declaring the
    /// interface (<c>class Backend : BackendBase, IBackend</c>): a call of such an interface method may reach it.
    /// </summary>
    public IReadOnlyList<IMethodSymbol> InheritedInterfaceMembers(IMethodSymbol method, CancellationToken cancellationToken) =>
        Dispatched(cancellationToken).InheritedFor.TryGetValue(method.OriginalDefinition, out var list) ? list : System.Array.Empty<IMethodSymbol>();

    private Dispatch Dispatched(CancellationToken cancellationToken) =>
        _dispatch.Get(() => Dispatch.Walk(_compilation, Types, withDeclarations: _candidates.NeedsWholeWalk, cancellationToken));

    /// <summary>Interface and virtual dispatch and the policies, from a walk of every type; the declarations too when syntax cannot find them all.</summary>
    private sealed class Dispatch
    {
        private Dispatch(Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations, Dictionary<IMethodSymbol, List<IMethodSymbol>> inherited, ImmutableArray<IMethodSymbol> policies, DeclaredRoutes? declared, ImmutableArray<TracedRoute> entries)
        {
            Entries = entries;
            Implementations = implementations;
            Inherited = inherited;
            InheritedFor = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            foreach (var pair in inherited)
            {
                foreach (var implementation in pair.Value)
                {
                    Add(InheritedFor, implementation, pair.Key);
                }
            }

            Policies = policies;
            Declared = declared;
        }

        public Dictionary<IMethodSymbol, List<IMethodSymbol>> Implementations { get; }

        public Dictionary<IMethodSymbol, List<IMethodSymbol>> Inherited { get; }

        /// <summary><see cref="Inherited"/> the other way: for a base's method, the interface methods it runs for derived classes.</summary>
        public Dictionary<IMethodSymbol, List<IMethodSymbol>> InheritedFor { get; }

        public ImmutableArray<IMethodSymbol> Policies { get; }

        public DeclaredRoutes? Declared { get; }

        /// <summary>The entry points <c>[TracedLlmCode]</c> marks (<see cref="CompilationFacts.Entries"/>).</summary>
        public ImmutableArray<TracedRoute> Entries { get; }

        public static Dispatch Walk(Compilation compilation, WellKnownTypes types, bool withDeclarations, CancellationToken cancellationToken)
        {
            var routes = new List<TracedRoute>();
            var filterMethods = new List<IMethodSymbol>();
            var policies = new List<IMethodSymbol>();
            var implementations = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var inherited = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var entries = new List<TracedRoute>();
            var assemblyMark = types.TracedCodeAttribute is { } mark ? TracedCodeEntries.Mark(compilation.Assembly, mark) : null;
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
                            ReadType(type, types, withDeclarations ? routes : null, filterMethods, policies, implementations, inherited);
                            TracedCodeEntries.Read(type, types, assemblyMark, entries);
                        }
                    }
                }
            }

            return new Dispatch(implementations, inherited, policies.ToImmutableArray(), withDeclarations ? DeclaredRoutes.Create(routes, filterMethods) : null,
                entries.OrderBy(e => e.Display, System.StringComparer.Ordinal).ThenBy(e => e.Handler.ToDisplayString(), System.StringComparer.Ordinal).ToImmutableArray());
        }

        private static void ReadType(INamedTypeSymbol type, WellKnownTypes types, List<TracedRoute>? routes, List<IMethodSymbol> filterMethods, List<IMethodSymbol> policies, Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations, Dictionary<IMethodSymbol, List<IMethodSymbol>> inherited)
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
                    if (interfaceMember is not IMethodSymbol interfaceMethod || type.FindImplementationForInterfaceMember(interfaceMethod) is not IMethodSymbol implementation)
                    {
                        continue;
                    }

                    if (!WellKnownTypes.Same(implementation.ContainingType, type))
                    {
                        // Inherited from a base type; the base's own declaration of the interface, if any, records it there.
                        if (type.TypeKind is TypeKind.Class or TypeKind.Struct && !implementation.ContainingType.AllInterfaces.Any(i => WellKnownTypes.Same(i, @interface)))
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
