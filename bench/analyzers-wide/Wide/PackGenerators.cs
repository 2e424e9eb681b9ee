using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Analyzers.Corpus.Tests;
using TracedLlm.Analyzers.Tests;

/// <summary>
/// The source generators of the SDK's reference packs that a project's build runs and its code needs to bind: [LoggerMessage]'s and
/// System.Text.Json's [JsonSerializable] contexts'.
/// </summary>
/// <remarks>
/// Without the first a partial logging method has no body (CS8795); without the second a JsonSerializerContext lacks its members
/// (CS0534, and CS0117 at every use of its Default). A build runs them from Microsoft.Extensions.Logging.Abstractions and
/// System.Text.Json; the same generators ship in the reference packs. Each runs only over a compilation whose files name its
/// attribute, so trees without one compile as before. Their output: files, not counted.
/// </remarks>
internal static class PackGenerators
{
    private static readonly (string Attribute, Lazy<ImmutableArray<ISourceGenerator>> Generators)[] ByAttribute =
    [
        ("LoggerMessage", new(() => CorpusProject.PackGenerators("Microsoft.AspNetCore.App.Ref", "Microsoft.Extensions.Logging.Generators.dll"))),
        ("JsonSerializable", new(() => CorpusProject.PackGenerators("Microsoft.NETCore.App.Ref", "System.Text.Json.SourceGeneration.dll"))),
    ];

    public static SyntaxTree[] WithGeneratedSources(string name, OutputKind kind, SyntaxTree[] trees, ImmutableArray<MetadataReference> references)
    {
        var texts = trees.Select(t => t.GetText().ToString()).ToArray();
        var generators = ByAttribute
            .Where(g => texts.Any(text => text.Contains(g.Attribute, StringComparison.Ordinal)))
            .SelectMany(g => g.Generators.Value)
            .ToImmutableArray();
        if (generators.IsEmpty)
        {
            return trees;
        }

        var compilation = CSharpCompilation.Create(name, trees, references, new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create(generators, parseOptions: ProjectAnalysis.GeneratedParseOptions(trees))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return output.SyntaxTrees.ToArray();
    }
}
