using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Analyzers.Corpus.Tests;
using TracedLlm.Analyzers.Tests;

/// <summary>
/// The [LoggerMessage] generator (Microsoft.Extensions.Logging.Generators, from the ASP.NET Core reference pack; a project's build
/// runs it from Microsoft.Extensions.Logging.Abstractions): without it a partial logging method has no body (CS8795). Run only
/// over a compilation whose files name LoggerMessage, so trees without one compile as before. Its output: files, not counted.
/// </summary>
internal static class LoggingGenerator
{
    private static readonly Lazy<ImmutableArray<ISourceGenerator>> Generators = new(() =>
        CorpusProject.PackGenerators("Microsoft.AspNetCore.App.Ref", "Microsoft.Extensions.Logging.Generators.dll"));

    public static SyntaxTree[] WithGeneratedSources(string name, OutputKind kind, SyntaxTree[] trees, ImmutableArray<MetadataReference> references)
    {
        if (!trees.Any(t => t.GetText().ToString().Contains("LoggerMessage", StringComparison.Ordinal)))
        {
            return trees;
        }

        var compilation = CSharpCompilation.Create(name, trees, references, new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create(Generators.Value, parseOptions: ProjectAnalysis.GeneratedParseOptions(trees))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return output.SyntaxTrees.ToArray();
    }
}
