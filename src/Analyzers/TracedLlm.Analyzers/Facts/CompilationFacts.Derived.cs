using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Facts;

// The classes of the program that other classes derive from: what a serializer that writes a value's runtime type may meet.
internal sealed partial class CompilationFacts
{
    private readonly ConcurrentDictionary<IAssemblySymbol, HashSet<INamedTypeSymbol>> _derivedFrom = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// Whether a class of the program derives from <paramref name="type"/>: one declared in this compilation, or in the
    /// type's own assembly or an assembly referenced here that references it (only those can name it as a base). The program
    /// is this compilation and what it references; a class a plugin loaded at run time declares is not known here.
    /// </summary>
    public bool HasDerivedClasses(INamedTypeSymbol type)
    {
        type = type.OriginalDefinition;
        var bases = _derivedFrom.GetOrAdd(type.ContainingAssembly, assembly =>
        {
            var found = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            ReadBases(_compilation.Assembly.GlobalNamespace, found);
            if (!SymbolEqualityComparer.Default.Equals(assembly, _compilation.Assembly))
            {
                foreach (var referenced in _compilation.SourceModule.ReferencedAssemblySymbols.Where(r => SymbolEqualityComparer.Default.Equals(r, assembly)
                    || r.Modules.Any(m => m.ReferencedAssemblies.Any(identity => identity.Name == assembly.Identity.Name))))
                {
                    ReadBases(referenced.GlobalNamespace, found);
                }
            }

            return found;
        });
        return bases.Contains(type);
    }

    private static void ReadBases(INamespaceSymbol root, HashSet<INamedTypeSymbol> bases)
    {
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var container = stack.Pop();
            var members = container is INamespaceSymbol space ? space.GetMembers() : container.GetTypeMembers().Cast<INamespaceOrTypeSymbol>();
            foreach (var member in members)
            {
                stack.Push(member);
                if (member is INamedTypeSymbol { TypeKind: TypeKind.Class, BaseType: { } baseType })
                {
                    bases.Add(baseType.OriginalDefinition);
                }
            }
        }
    }
}
