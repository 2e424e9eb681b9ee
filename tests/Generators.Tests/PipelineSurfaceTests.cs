using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// Keeps <c>TracedLlm.Pipeline</c> to what generated code uses: generated code or a doc page names each of its
/// public members.
/// </summary>
/// <remarks>
/// The namespace is hidden with <c>[EditorBrowsable(Never)]</c> and exists for generated code, so a public
/// member nothing generated names is surface the runtime keeps for itself: it should be internal. The public
/// side is read from the tracked PublicAPI files. The generated side is what the generated code of every
/// snapshot scenario binds to (calls, types in their signatures, constructors, overrides, so a name in a
/// comment does not count), plus the text of the emitter's string literals, which covers the branches no scenario
/// takes: "Type.Member", and "Member = " opening an object initializer's line (<c>RefusesStream = true,</c>), which
/// names that member of each type that has it. A doc counts when it shows "Type.Member".
/// </remarks>
public sealed partial class PipelineSurfaceTests
{
    private const string Namespace = "TracedLlm.Pipeline";

    private static readonly string Root = RepositoryRoot();

    private static readonly Lazy<HashSet<string>> Public = new(() => PublicPipelineMembers(Root));

    private static readonly Lazy<HashSet<string>> Generated = new(() => BoundByGeneratedCode());

    [Fact]
    public void EveryPublicPipelineMemberIsNamedByGeneratedCodeOrADoc()
    {
        var emitted = NamedByEmitterStrings(Root, Public.Value);
        var docs = DocText(Root);

        var unused = Public.Value
            .Where(member => !Generated.Value.Contains(member) && !emitted.Contains(member))
            .Where(member => !docs.Contains(member, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(
            unused.Count == 0,
            $"Public in {Namespace} yet named by no generated code and no doc (make them internal): "
            + string.Join(", ", unused));
    }

    [Fact]
    public void BothSidesSeeTheMembersEveryRouteCalls()
    {
        // Guards the readers themselves: an empty side would make the test above pass, or fail, for nothing.
        string[] everyRoute = ["RequestStage.CreateCall", "AuthStage.AuthenticateAsync", "FailurePath.HandleAsync"];

        Assert.All(everyRoute, member => Assert.Contains(member, Public.Value));
        Assert.All(everyRoute, member => Assert.Contains(member, Generated.Value));
        Assert.Contains("TracedActionTableAttribute.Actions", Generated.Value);
        Assert.Contains("ParameterStage.ParseOrNull", NamedByEmitterStrings(Root, Public.Value));
        Assert.Contains("TracedAction.RefusesStream", NamedByEmitterStrings(Root, Public.Value));
    }

    /// <summary>"Type" or "Type.Member" for each public entry of the namespace in the PublicAPI files.</summary>
    private static HashSet<string> PublicPipelineMembers(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src"), "PublicAPI.*.txt", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => PublicApiEntry().Match(line))
            .Where(match => match.Success)
            .Select(match => Key(
                WithoutTypeArguments(match.Groups["type"].Value),
                match.Groups["member"].Success ? WithoutTypeArguments(match.Groups["member"].Value) : null))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The namespace's types and members the generated code of every snapshot scenario binds to.</summary>
    private static HashSet<string> BoundByGeneratedCode()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sources in SnapshotScenarios.All.Values)
        {
            var run = GeneratorHarness.Run(sources);
            var generated = run.Result.Results.Single().GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
            foreach (var tree in run.Output.SyntaxTrees.Where(generated.Contains))
            {
                var model = run.Output.GetSemanticModel(tree);
                foreach (var node in tree.GetRoot().DescendantNodes())
                {
                    foreach (var symbol in Bound(model, node))
                    {
                        Add(used, symbol);
                    }
                }
            }
        }

        return used;
    }

    private static IEnumerable<ISymbol> Bound(SemanticModel model, SyntaxNode node)
    {
        switch (node)
        {
            case SimpleNameSyntax or BaseObjectCreationExpressionSyntax or ConstructorInitializerSyntax:
                var info = model.GetSymbolInfo(node);
                return info.Symbol is { } symbol ? [symbol] : info.CandidateSymbols;
            case BaseTypeDeclarationSyntax type
                when model.GetDeclaredSymbol(type) is { BaseType: { } baseType } declared
                    && declared.InstanceConstructors.Any(c => c.IsImplicitlyDeclared):
                // A class with no constructor of its own calls its base's parameterless one.
                return baseType.InstanceConstructors.Where(c => c.Parameters.IsEmpty);
            case MemberDeclarationSyntax member when model.GetDeclaredSymbol(member) is { } declared:
                return declared switch
                {
                    IMethodSymbol { OverriddenMethod: { } overridden } => [overridden],
                    IPropertySymbol { OverriddenProperty: { } overridden } => [overridden],
                    _ => [],
                };
            default:
                return [];
        }
    }

    private static void Add(HashSet<string> used, ISymbol symbol)
    {
        symbol = symbol.OriginalDefinition;
        if (symbol is IMethodSymbol { AssociatedSymbol: IPropertySymbol accessed })
        {
            symbol = accessed;
        }

        if (symbol is ITypeSymbol type)
        {
            AddType(used, type);
            return;
        }

        if (symbol.ContainingType is not { } container || !InNamespace(container))
        {
            return;
        }

        AddType(used, container);
        var name = symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } ? container.Name : symbol.Name;
        used.Add(Key(container.Name, name));

        // A type a used member takes or returns is needed public with it (a parser delegate, an envelope).
        var signature = symbol switch
        {
            IMethodSymbol method => method.Parameters.Select(p => p.Type).Append(method.ReturnType),
            IPropertySymbol property => [property.Type],
            _ => [],
        };
        foreach (var part in signature)
        {
            AddType(used, part);
        }
    }

    private static void AddType(HashSet<string> used, ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                AddType(used, array.ElementType);
                break;
            case INamedTypeSymbol named:
                foreach (var argument in named.TypeArguments)
                {
                    AddType(used, argument);
                }

                if (InNamespace(named) && used.Add(named.Name) && named.TypeKind == TypeKind.Delegate)
                {
                    // A delegate's Invoke comes with it.
                    used.Add(Key(named.Name, "Invoke"));
                }

                break;
        }
    }

    private static bool InNamespace(ITypeSymbol type) => type.ContainingNamespace?.ToDisplayString() == Namespace;

    /// <summary>The members the string literals of the generator's source name: the text it emits.</summary>
    private static HashSet<string> NamedByEmitterStrings(string root, IReadOnlySet<string> members)
    {
        var types = members.Where(member => !member.Contains('.', StringComparison.Ordinal)).ToHashSet();
        var literals = Directory
            .EnumerateFiles(Path.Combine(root, "src", "Generators"), "*.cs", SearchOption.TopDirectoryOnly)
            .SelectMany(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path)).GetRoot().DescendantTokens())
            .Where(token => token.Kind() is SyntaxKind.StringLiteralToken or SyntaxKind.InterpolatedStringTextToken
                or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken)
            .Select(token => token.Text)
            .ToList();
        var qualified = literals
            .SelectMany(text => QualifiedName().Matches(text))
            .Where(match => types.Contains(match.Groups["type"].Value))
            .Select(match => Key(match.Groups["type"].Value, match.Groups["member"].Value));
        var initialized = literals
            .Select(text => InitializerLine().Match(text))
            .Where(match => match.Success)
            .SelectMany(match => types.Select(type => Key(type, match.Groups["member"].Value)))
            .Where(members.Contains);
        return qualified.Concat(initialized).ToHashSet(StringComparer.Ordinal);
    }

    private static string Key(string type, string? member) => member is null ? type : $"{type}.{member}";

    private static string WithoutTypeArguments(string name) => TypeArguments().Replace(name, string.Empty);

    /// <summary>The pages a user reads: README.md and docs/**.md.</summary>
    private static string DocText(string root) => string.Join(
        "\n",
        Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories)
            .Append(Path.Combine(root, "README.md"))
            .Select(File.ReadAllText));

    private static string RepositoryRoot([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    // "static TracedLlm.Pipeline.Type<T>.Member<T>(...) -> ...", "TracedLlm.Pipeline.Type.Prop.get -> ...",
    // "TracedLlm.Pipeline.Type": the type and, when there is one, the member (a constructor is named as its type).
    private const string PublicApiLine =
        @"^(?:(?:static|abstract|virtual|override|sealed|const|readonly) )*TracedLlm\.Pipeline\."
        + @"(?<type>\w+(?:<[^>]*>)?)(?:\.(?<member>\w+(?:<[^>]*>)?))?(?:\.(?:get|set|init))?(?:\(| ->|$)";

    [GeneratedRegex(PublicApiLine)]
    private static partial Regex PublicApiEntry();

    [GeneratedRegex(@"\b(?<type>[A-Z]\w*)\.(?<member>[A-Z]\w*)")]
    private static partial Regex QualifiedName();

    // A literal (its quote included) or an interpolation's text that opens an object initializer's line.
    [GeneratedRegex(@"^""?(?<member>[A-Z]\w*) = ")]
    private static partial Regex InitializerLine();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex TypeArguments();
}
