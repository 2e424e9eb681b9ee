using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Facts;

/// <summary>How a <c>MetadataSlot = ...</c> argument reads before binding.</summary>
internal enum SlotSyntax
{
    /// <summary>No argument, or a literal naming a default slot (or null): the slot is a default one.</summary>
    Default,

    /// <summary>Any other literal or an expression: only binding tells the slot.</summary>
    Other,
}

/// <summary>An attribute on a method declaration, as written: its last name without the <c>Attribute</c>
/// suffix.</summary>
internal readonly record struct AttributedMethod(string MethodName, string AttributeName, SlotSyntax Slot);

/// <summary>What one syntax tree declares that can make a method a route or a failure logging path.</summary>
/// <remarks>
/// Read from syntax alone: attributes on methods and on other members a method symbol comes from, and using aliases.
/// Cached per tree: a tree never changes, so after an edit only the edited file is read again.
/// <para>Methods: attributes on ordinary named methods; OtherAttributes: on other members that are methods (a route
/// there needs a walk of every type); ContainerAttributes: on the assembly and types; Aliases: alias → target.</para>
/// </remarks>
internal sealed record DeclarationIndex(
    ImmutableArray<AttributedMethod> Methods, ImmutableHashSet<string> OtherAttributes,
    ImmutableHashSet<string> ContainerAttributes, ImmutableArray<(string Alias, string Target)> Aliases)
{
    private static readonly ConditionalWeakTable<SyntaxTree, DeclarationIndex> Cache = new();

    public static DeclarationIndex Of(SyntaxTree tree, CancellationToken cancellationToken) =>
        Cache.GetValue(tree, read => Read(read.GetRoot(cancellationToken), cancellationToken));

    /// <summary>The name an attribute is written with, as the compiler matches it, without the suffix.</summary>
    public static string Normalize(string name) =>
        name.Length > "Attribute".Length && name.EndsWith("Attribute", StringComparison.Ordinal)
            ? name.Substring(0, name.Length - "Attribute".Length) : name;

    /// <summary>The ordinary method declarations of a tree with an attribute of one of the names.</summary>
    public static IEnumerable<MethodDeclarationSyntax> MethodsWith(SyntaxTree tree,
        ImmutableHashSet<string> attributeNames, CancellationToken cancellationToken)
    {
        foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes(IntoDeclarations))
        {
            if (node is MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method
                && method.AttributeLists.Any(list =>
                    list.Attributes.Any(a => attributeNames.Contains(Normalize(LastName(a.Name))))))
            {
                yield return method;
            }
        }
    }

    /// <summary>Declarations only: namespaces, types and accessor lists are entered, member bodies never are.</summary>
    private static bool IntoDeclarations(SyntaxNode node) => node
            is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax
                or BasePropertyDeclarationSyntax or AccessorListSyntax;

    private static DeclarationIndex Read(SyntaxNode root, CancellationToken cancellationToken)
    {
        var methods = ImmutableArray.CreateBuilder<AttributedMethod>();
        var other = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var containers = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var aliases = ImmutableArray.CreateBuilder<(string, string)>();
        if (root is CompilationUnitSyntax unit)
        {
            AddNames(unit.AttributeLists, containers);
        }

        foreach (var node in root.DescendantNodes(IntoDeclarations))
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (node)
            {
                case UsingDirectiveSyntax { Alias: { } alias, NamespaceOrType: { } target }:
                    aliases.Add((Normalize(alias.Name.Identifier.ValueText), Normalize(LastName(target))));
                    break;
                case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method:
                    foreach (var list in method.AttributeLists)
                    {
                        foreach (var attribute in list.Attributes)
                        {
                            methods.Add(
                                new AttributedMethod(method.Identifier.ValueText, Normalize(LastName(attribute.Name)),
                                    Slot(attribute)));
                        }
                    }

                    break;
                case MemberDeclarationSyntax member and (BaseMethodDeclarationSyntax or TypeDeclarationSyntax):
                    AddNames(member.AttributeLists, member is TypeDeclarationSyntax ? containers : other);
                    break;
                case AccessorDeclarationSyntax accessor:
                    AddNames(accessor.AttributeLists, other);
                    break;
            }
        }

        return new DeclarationIndex(methods.ToImmutable(), other.ToImmutable(), containers.ToImmutable(),
            aliases.ToImmutable());
    }

    private static void AddNames(SyntaxList<AttributeListSyntax> lists, ImmutableHashSet<string>.Builder names)
    {
        foreach (var list in lists)
        {
            foreach (var attribute in list.Attributes)
            {
                names.Add(Normalize(LastName(attribute.Name)));
            }
        }
    }

    private static SlotSyntax Slot(AttributeSyntax attribute)
    {
        if (attribute.ArgumentList is null)
        {
            return SlotSyntax.Default;
        }

        foreach (var argument in attribute.ArgumentList.Arguments)
        {
            if (argument.NameEquals?.Name.Identifier.ValueText
                != TracedLlm.Generators.HandlerBinding.MetadataSlotArgument)
            {
                continue;
            }

            return argument.Expression switch
            {
                LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression } => SlotSyntax.Default,
                LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal
                    when literal.Token.ValueText
                        is RouteConventions.MetadataSlot or RouteConventions.LiteLlmMetadataSlot => SlotSyntax.Default,
                _ => SlotSyntax.Other,
            };
        }

        return SlotSyntax.Default;
    }

    private static string LastName(SyntaxNode name) => name switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => name.ToString(),
    };
}

/// <summary>The declaration indexes of a whole compilation, joined: a superset of the routes, binding
/// decides.</summary>
/// <remarks>Which method names carry an attribute that may be <c>[TracedLlmRoute]</c> or <c>[FailureLoggingPath]</c>
/// (by its name or a using alias), and whether every such route keeps a default slot. NeedsWholeWalk: a possible
/// route or filter sits where a method name does not find it (an accessor...); CustomSlot: one names a slot not
/// certainly a default one.</remarks>
internal sealed record DeclaredCandidates(ImmutableHashSet<string> RouteAttributes,
    ImmutableArray<SyntaxTree> RouteTrees, ImmutableHashSet<string> RouteMethods,
    ImmutableHashSet<string> FilterMethods, bool AnyRoute, bool CustomSlot, bool NeedsWholeWalk, bool TracedCode)
{
    // "TracedLlm.TracedLlmRouteAttribute" -> "TracedLlmRouteAttribute": the name as source may write it.
    private static HashSet<string> Names(string metadataName) => new(StringComparer.Ordinal)
    {
        DeclarationIndex.Normalize(metadataName.Substring(metadataName.LastIndexOf('.') + 1))
    };

    public static DeclaredCandidates Of(Compilation compilation, CancellationToken cancellationToken)
    {
        var indexes = new List<(SyntaxTree Tree, DeclarationIndex Index)>();
        var routeNames = Names(TracedLlm.Generators.HandlerBinding.AttributeMetadataName);
        var filterNames = Names(WellKnownTypes.FailureLoggingPathMetadataName);
        var codeNames = Names(WellKnownTypes.TracedCodeMetadataName);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var index = DeclarationIndex.Of(tree, cancellationToken);
            indexes.Add((tree, index));
            foreach (var (alias, target) in index.Aliases)
            {
                foreach (var names in new[] { routeNames, filterNames, codeNames }.Where(n => n.Contains(target)))
                {
                    names.Add(alias);
                }
            }
        }

        var routeMethods = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var filterMethods = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var routeTrees = ImmutableArray.CreateBuilder<SyntaxTree>();
        bool customSlot = false, wholeWalk = false, tracedCode = false;
        foreach (var (tree, index) in indexes)
        {
            foreach (var method in index.Methods)
            {
                if (routeNames.Contains(method.AttributeName))
                {
                    if (routeTrees.Count == 0 || routeTrees[routeTrees.Count - 1] != tree)
                    {
                        routeTrees.Add(tree);
                    }

                    routeMethods.Add(method.MethodName);
                    customSlot |= method.Slot == SlotSyntax.Other;
                }

                if (filterNames.Contains(method.AttributeName))
                {
                    filterMethods.Add(method.MethodName);
                }

                tracedCode |= codeNames.Contains(method.AttributeName);
            }

            tracedCode |= index.ContainerAttributes.Overlaps(codeNames) || index.OtherAttributes.Overlaps(codeNames);

            wholeWalk |= index.OtherAttributes.Overlaps(routeNames) || index.OtherAttributes.Overlaps(filterNames);
        }

        return new DeclaredCandidates(routeNames.ToImmutableHashSet(StringComparer.Ordinal), routeTrees.ToImmutable(),
            routeMethods.ToImmutable(), filterMethods.ToImmutable(), routeMethods.Count > 0 || wholeWalk, customSlot,
            wholeWalk, tracedCode);
    }
}
