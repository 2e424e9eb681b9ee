namespace TracedLlm.Analyzers.Facts;

/// <summary>The entry points of code a project marks <c>[TracedLlmCode]</c>, whose routes are in another
/// project.</summary>
/// <remarks>
/// On the assembly or a type: every method another project can call, public or protected all the way out, or an
/// implementation or override; not a hosted service's. A method marked itself is one whatever its accessibility.
/// </remarks>
internal static class TracedCodeEntries
{
    /// <summary>The <c>[TracedLlmCode]</c> a symbol carries itself, or null.</summary>
    public static AttributeData? Mark(ISymbol symbol, INamedTypeSymbol attribute) =>
        symbol.GetAttributes().FirstOrDefault(a => Same(a.AttributeClass, attribute));

    public static void Read(INamedTypeSymbol type, WellKnownTypes types, AttributeData? assemblyMark,
        List<TracedRoute> entries)
    {
        if (types.TracedCodeAttribute is not { } attribute)
        {
            return;
        }

        var own = Mark(type, attribute);
        var mark = own ?? assemblyMark ?? Lists.Chain(type.ContainingType, outer => outer.ContainingType)
            .Select(outer => Mark(outer, attribute)).FirstOrDefault(outerMark => outerMark is not null);

        var hosted = types.HostedService is { } service && WellKnownTypes.Implements(type, service);
        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol method || method.IsImplicitlyDeclared
                || !method.Locations.Any(l => l.IsInSource))
            {
                continue;
            }

            var marked = Mark(method, attribute);
            if (marked is not null
                || (mark is not null && !hosted && IsEntryPoint(method, type, interfaceMarked: own is not null)))
            {
                var slot =
                    (marked ?? mark)!.NamedArguments.FirstOrDefault(a => a.Key == "MetadataSlot").Value.Value as string;
                entries.Add(
                    new TracedRoute(method.OriginalDefinition, $"{type.Name}.{method.Name}", slot ?? string.Empty, null,
                        Entry: true));
            }
        }
    }

    private static bool IsEntryPoint(IMethodSymbol method, INamedTypeSymbol type, bool interfaceMarked) =>
        method.MethodKind
            is MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation or MethodKind.PropertyGet
                or MethodKind.PropertySet
        && (type.TypeKind == TypeKind.Interface ? interfaceMarked : !method.IsAbstract)
        && (Visible(method) || method.IsOverride || method.ExplicitInterfaceImplementations.Length > 0
            || Implements(method, type));

    /// <summary>Public or protected, and so is every type it is declared in: another assembly can call it.</summary>
    private static bool Visible(ISymbol? symbol) => symbol is null or INamespaceSymbol
        || (symbol.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected
                or Accessibility.ProtectedOrInternal
            && Visible(symbol.ContainingSymbol));

    private static bool Implements(IMethodSymbol method, INamedTypeSymbol type) => type.AllInterfaces.Any(i =>
            i.GetMembers(method.Name).OfType<IMethodSymbol>()
                .Any(m =>
                    Same(type.FindImplementationForInterfaceMember(m)?.OriginalDefinition, method.OriginalDefinition)));
}
