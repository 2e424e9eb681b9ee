// What the adopted routes reach, as the analyzers' call graph follows it (an approximation written here, the
// analyzers' own graph is internal): calls, constructors, property accessors and method groups to source
// methods, and a call of an interface, abstract or virtual method to every source implementation and override.
// Lambdas and local functions are reached with the method they are written in.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

internal sealed class Reach
{
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);
    private readonly HashSet<IMethodSymbol> _methods = new(SymbolEqualityComparer.Default);
    private readonly Queue<IMethodSymbol> _queue = new();

    /// <summary>The declarations reached (methods, constructors, accessors), each once.</summary>
    public List<SyntaxNode> Declarations { get; } = [];

    public int Methods => _methods.Count;

    public static Reach From(Compilation compilation, IEnumerable<IMethodSymbol> roots)
    {
        var reach = new Reach();
        reach.IndexDispatch(compilation.Assembly.GlobalNamespace);
        foreach (var root in roots)
        {
            reach.Enqueue(root);
        }

        while (reach._queue.Count > 0)
        {
            var method = reach._queue.Dequeue();
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (syntax is not (BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or ArrowExpressionClauseSyntax))
                {
                    continue;
                }

                reach.Declarations.Add(syntax);
                var operation = compilation.GetSemanticModel(reference.SyntaxTree).GetOperation(syntax);
                foreach (var node in operation?.DescendantsAndSelf() ?? [])
                {
                    switch (node)
                    {
                        case IInvocationOperation invocation:
                            reach.Enqueue(invocation.TargetMethod);
                            break;
                        case IObjectCreationOperation { Constructor: { } constructor }:
                            reach.Enqueue(constructor);
                            break;
                        case IMethodReferenceOperation reference2:
                            reach.Enqueue(reference2.Method);
                            break;
                        case IPropertyReferenceOperation property:
                            reach.Enqueue(property.Property.GetMethod);
                            reach.Enqueue(property.Property.SetMethod);
                            break;
                    }
                }
            }
        }

        return reach;
    }

    private void Enqueue(IMethodSymbol? method)
    {
        if (method is null)
        {
            return;
        }

        method = (method.ReducedFrom ?? method).OriginalDefinition;
        method = method.PartialImplementationPart ?? method;
        if (method.Locations.Any(l => l.IsInSource) && _methods.Add(method))
        {
            _queue.Enqueue(method);
        }

        if ((method.IsAbstract || method.IsVirtual || method.ContainingType?.TypeKind == TypeKind.Interface) && _implementations.TryGetValue(method, out var implementations))
        {
            foreach (var implementation in implementations)
            {
                if (_methods.Add(implementation))
                {
                    _queue.Enqueue(implementation);
                }
            }
        }
    }

    private void IndexDispatch(INamespaceOrTypeSymbol container)
    {
        foreach (var member in container.GetMembers())
        {
            if (member is INamespaceOrTypeSymbol nested)
            {
                IndexDispatch(nested);
            }

            if (member is not INamedTypeSymbol type || !type.Locations.Any(l => l.IsInSource))
            {
                continue;
            }

            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
            {
                for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    Add(overridden, method);
                }
            }

            foreach (var @interface in type.AllInterfaces)
            {
                foreach (var declared in @interface.GetMembers().OfType<IMethodSymbol>())
                {
                    if (type.FindImplementationForInterfaceMember(declared) is IMethodSymbol implementation && implementation.Locations.Any(l => l.IsInSource))
                    {
                        Add(declared, implementation);
                    }
                }
            }
        }
    }

    private void Add(IMethodSymbol declared, IMethodSymbol implementation)
    {
        declared = declared.OriginalDefinition;
        if (!_implementations.TryGetValue(declared, out var list))
        {
            _implementations[declared] = list = [];
        }

        list.Add(implementation.OriginalDefinition);
    }
}
