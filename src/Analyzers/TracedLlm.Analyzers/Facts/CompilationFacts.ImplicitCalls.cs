namespace TracedLlm.Analyzers.Facts;

// Code the language runs without a call written for it: an object's initializers, the Dispose a `using` runs.
internal sealed partial class CompilationFacts
{
    private readonly ConcurrentDictionary<INamedTypeSymbol, ImmutableArray<ISymbol>> _instanceInitializers = new(
        SymbolEqualityComparer.Default);

    /// <summary>The fields and properties of <paramref name="type"/> and its bases given a value at their
    /// declaration.</summary>
    /// <remarks>Every creation of the type runs those initializers. Each is named by the symbol whose operation block
    /// holds it (the property, for an auto-property's backing field).</remarks>
    public ImmutableArray<ISymbol> InstanceInitializers(INamedTypeSymbol type) =>
        _instanceInitializers.GetOrAdd(type.OriginalDefinition, created =>
        {
            var found = ImmutableArray.CreateBuilder<ISymbol>();
            for (var current = created;
                current is not null && current.Locations.Any(location => location.IsInSource);
                current = current.BaseType?.OriginalDefinition)
            {
                foreach (var field in current.GetMembers().OfType<IFieldSymbol>())
                {
                    if (!field.IsStatic && !field.IsConst && Initializer(field) is not null)
                    {
                        found.Add((field.AssociatedSymbol ?? field).OriginalDefinition);
                    }
                }
            }

            return found.ToImmutable();
        });

    /// <summary>The method a <c>using</c> of a resource typed <paramref name="type"/> runs when it ends, or
    /// null.</summary>
    /// <remarks>Null for a type known only by an interface or a type parameter, which names no
    /// implementation.</remarks>
    public IMethodSymbol? DisposalOf(ITypeSymbol? type, bool asynchronous)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named)
        {
            return null;
        }

        var name = asynchronous ? "DisposeAsync" : "Dispose";
        var contract = asynchronous ? Types.AsyncDisposable : Types.Disposable;
        if (contract?.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault() is { } member
            && named.FindImplementationForInterfaceMember(member) is IMethodSymbol implementation)
        {
            return implementation;
        }

        return named.IsRefLikeType
            ? named.GetMembers(name).OfType<IMethodSymbol>()
                .FirstOrDefault(method => !method.IsStatic && method.Parameters.IsEmpty)
            : null;
    }

    /// <summary>A type's disposal: <c>Dispose()</c>, <c>Dispose(bool)</c>, <c>DisposeAsync()</c>,
    /// <c>DisposeAsyncCore()</c>, or an explicit implementation.</summary>
    public bool IsDisposal(IMethodSymbol method) =>
        method is { MethodKind: MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation, IsStatic: false }
        && (method.Name
                is "DisposeAsync" or "DisposeAsyncCore" or "System.IAsyncDisposable.DisposeAsync"
                    or "System.IDisposable.Dispose"
                ? method.Parameters.IsEmpty
                : method.Name == "Dispose"
                    && (method.Parameters.IsEmpty
                        || (method.Parameters.Length == 1
                            && method.Parameters[0].Type.SpecialType == SpecialType.System_Boolean)))
        && method.ContainingType.AllInterfaces.Any(i => Same(i, Types.Disposable) || Same(i, Types.AsyncDisposable));
}
