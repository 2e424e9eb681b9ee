using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// What Microsoft.CodeAnalysis.Testing does not cover: a whole project (the sample gateway), and an
/// editor's per-document analysis, which runs no compilation-end action.
/// </summary>
internal static class ProjectAnalysis
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(
        new TracedCodeAnalyzer(),
        new SlotCollisionAnalyzer());

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>
    /// The options a generator's output is parsed with beside <paramref name="trees"/>: <see cref="ParseOptions"/>, in
    /// the trees' language version where it is another (a compilation takes one; bench/analyzers-wide parses net10.0
    /// trees as C# 14).
    /// </summary>
    public static CSharpParseOptions GeneratedParseOptions(IEnumerable<SyntaxTree> trees) =>
        trees.FirstOrDefault()?.Options is CSharpParseOptions { LanguageVersion: var version }
        && version != ParseOptions.LanguageVersion
            ? ParseOptions.WithLanguageVersion(version)
            : ParseOptions;

    /// <summary>The sources with the route generator's output, as a build compiles them.</summary>
    public static Compilation Compile(
        ImmutableArray<MetadataReference> references,
        OutputKind kind,
        params SyntaxTree[] trees)
    {
        var compilation = CSharpCompilation.Create(
            "TracedRoutes",
            trees,
            references,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver
            .Create(
                new[] { new TracedLlmRouteGenerator().AsSourceGenerator() },
                parseOptions: GeneratedParseOptions(trees))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return output;
    }

    public static Compilation Compile(params string[] sources) =>
        Compile(
            Testing.TestReferences.All,
            OutputKind.DynamicallyLinkedLibrary,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, $"Source{i}.cs")).ToArray());

    /// <summary>
    /// Every TLLM diagnostic, as a build reports them (compilation-end ones included), with the <c>.editorconfig</c>
    /// options a build gives the analyzers (<paramref name="options"/>); fails on an analyzer exception.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> BuildDiagnosticsAsync(
        Compilation compilation,
        AnalyzerConfigOptionsProvider? options = null)
    {
        var failures = new ConcurrentQueue<Exception>();
        var diagnostics = await compilation
            .WithAnalyzers(Analyzers, Options(failures, options))
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        return Checked(diagnostics, failures);
    }

    /// <summary>The TLLM diagnostics an editor shows for one open document without full-solution analysis.</summary>
    public static async Task<ImmutableArray<Diagnostic>> DocumentDiagnosticsAsync(
        Compilation compilation,
        SyntaxTree tree)
    {
        var failures = new ConcurrentQueue<Exception>();
        var diagnostics = await compilation
            .WithAnalyzers(Analyzers, Options(failures))
            .GetAnalyzerSemanticDiagnosticsAsync(
                compilation.GetSemanticModel(tree),
                filterSpan: null,
                CancellationToken.None);
        return Checked(diagnostics, failures);
    }

    private static CompilationWithAnalyzersOptions Options(
        ConcurrentQueue<Exception> failures,
        AnalyzerConfigOptionsProvider? options = null) =>
        new(
            options is null
                ? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty)
                : new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, options),
            (exception, _, _) => failures.Enqueue(exception),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);

    private static ImmutableArray<Diagnostic> Checked(
        ImmutableArray<Diagnostic> diagnostics,
        ConcurrentQueue<Exception> failures)
    {
        Assert.Empty(failures);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics
            .Where(d => d.Id.StartsWith("TLLM", StringComparison.Ordinal))
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
    }
}
