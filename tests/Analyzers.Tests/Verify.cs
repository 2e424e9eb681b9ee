using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Generators;
using TracedLlm.Testing;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A Microsoft.CodeAnalysis.Testing test as a TracedLlm build sees it: the route generator runs
/// (its constants are what the fixes use), both analyzers run, and the compilation references
/// .NET 10, ASP.NET Core and TracedLlm offline. Generated sources are checked by the generator's
/// own snapshot tests, not here.
/// </summary>
internal sealed class TracedLlmTest<TCodeFix> : CSharpCodeFixTest<TracedCodeAnalyzer, TCodeFix, DefaultVerifier>
    where TCodeFix : CodeFixProvider, new()
{
    public TracedLlmTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;

        // Each cross-method rule has a live and a compilation-end descriptor with the same ID.
        MarkupOptions = MarkupOptions.UseFirstDescriptor;

        // Diagnostics found through the call graph are reported at compilation end, so they are not
        // local to a document; their fixes work in a build and with full-solution analysis.
        CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
    }

    /// <summary>
    /// The path's calls, the last additional locations of a finding reached through calls, are left out: a test's
    /// markup names where a finding is and what else it points at (a filter), and the path is asserted by the message
    /// and by
    /// <see cref="PathTests"/>.
    /// </summary>
    protected override ImmutableArray<(Project project, Diagnostic diagnostic)> FilterDiagnostics(
        ImmutableArray<(Project project, Diagnostic diagnostic)> diagnostics) =>
        base.FilterDiagnostics(diagnostics)
            .Select(pair => (pair.project, WithoutPath(pair.diagnostic)))
            .ToImmutableArray();

    private static Diagnostic WithoutPath(Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.PathCallsProperty, out var count) || count is null)
        {
            return diagnostic;
        }

        var descriptor = diagnostic.Descriptor;
        var kept = diagnostic.AdditionalLocations.Take(
            diagnostic.AdditionalLocations.Count - int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
        return Diagnostic.Create(
            descriptor.Id,
            descriptor.Category,
            diagnostic.GetMessage(),
            diagnostic.Severity,
            descriptor.DefaultSeverity,
            descriptor.IsEnabledByDefault,
            diagnostic.WarningLevel,
            descriptor.Title,
            descriptor.Description,
            descriptor.HelpLinkUri,
            diagnostic.Location,
            kept,
            descriptor.CustomTags,
            diagnostic.Properties);
    }

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() =>
        new DiagnosticAnalyzer[] { new TracedCodeAnalyzer(), new SlotCollisionAnalyzer() };

    protected override IEnumerable<Type> GetSourceGenerators() => new[] { typeof(TracedLlmRouteGenerator) };

    /// <summary>
    /// TLLM2007 is off by default; the tests turn it on, as a team does in .editorconfig, so that its cells are
    /// asserted (<see cref="HandledWithoutRecordTests"/> asserts that a build without that setting does not report it).
    /// </summary>
    protected override CompilationOptions CreateCompilationOptions() =>
        ((CSharpCompilationOptions)base.CreateCompilationOptions())
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(
                new[]
                {
                    new KeyValuePair<string, ReportDiagnostic>(
                        DiagnosticIds.HandledWithoutRecord,
                        ReportDiagnostic.Warn)
                });

    protected override ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Latest);
}

internal static class Verify
{
    /// <summary>
    /// The diagnostics of <paramref name="source"/> are exactly its markup (<c>{|TLLM2001:...|}</c>) plus
    /// <paramref name="expected"/>.
    /// </summary>
    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) =>
        AnalyzerAsync(source, System.Array.Empty<System.Reflection.Assembly>(), expected);

    /// <summary>
    /// As <see cref="AnalyzerAsync(string, DiagnosticResult[])"/>, the source also referencing
    /// <paramref name="libraries"/> (an SDK's assemblies).
    /// </summary>
    public static Task AnalyzerAsync(
        string source,
        System.Reflection.Assembly[] libraries,
        params DiagnosticResult[] expected) => AnalyzerAsync(new[] { source }, libraries, expected);

    /// <summary>
    /// As <see cref="AnalyzerAsync(string, System.Reflection.Assembly[], DiagnosticResult[])"/>, over several
    /// documents: the first with markup, the others a library's declarations.
    /// </summary>
    public static Task AnalyzerAsync(
        string[] sources,
        System.Reflection.Assembly[] libraries,
        params DiagnosticResult[] expected) => DeclaredAsync(sources, libraries, editorConfig: null, expected);

    /// <summary>
    /// As <see cref="AnalyzerAsync(string[], System.Reflection.Assembly[], DiagnosticResult[])"/>, with
    /// <paramref name="editorConfig"/>'s lines (when given) in a <c>[*.cs]</c> section of the solution's
    /// <c>.editorconfig</c>: what a team declares.
    /// </summary>
    public static Task DeclaredAsync(
        string[] sources,
        System.Reflection.Assembly[] libraries,
        string? editorConfig,
        params DiagnosticResult[] expected)
    {
        var test = new TracedLlmTest<EmptyCodeFixProvider> { TestCode = sources[0] };
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig + "\n"));
        }

        foreach (var more in sources.Skip(1))
        {
            test.TestState.Sources.Add(more);
        }

        foreach (var library in libraries)
        {
            test.TestState.AdditionalReferences.Add(Reference(library));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>
    /// As <see cref="AnalyzerAsync(string, DiagnosticResult[])"/>, with <paramref name="editorConfig"/>'s lines in a
    /// <c>[*.cs]</c> section of the solution's <c>.editorconfig</c>: what a team declares.
    /// </summary>
    public static Task DeclaredAsync(string source, string editorConfig, params DiagnosticResult[] expected) =>
        DeclaredAsync(new[] { source }, System.Array.Empty<System.Reflection.Assembly>(), editorConfig, expected);

    /// <summary>
    /// Each diagnostic fixed one at a time, and all at once by Fix All in document, project and solution, give
    /// <paramref name="fixedSource"/>, which compiles and has no TLLM diagnostic left.
    /// </summary>
    public static Task FixAsync<TFix>(string source, string fixedSource, string? equivalenceKey = null,
        int? fixAllIterations = null, System.Reflection.Assembly[]? libraries = null)
        where TFix : CodeFixProvider, new()
    {
        var test = new TracedLlmTest<TFix>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey
        };
        foreach (var library in libraries ?? System.Array.Empty<System.Reflection.Assembly>())
        {
            test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(library.Location));
        }

        if (fixAllIterations is { } iterations)
        {
            test.NumberOfFixAllIterations = iterations;
            test.NumberOfFixAllInDocumentIterations = iterations;
            test.NumberOfFixAllInProjectIterations = iterations;
        }

        return test.RunAsync();
    }

    /// <summary>
    /// One reference per library for the whole run: a reference made once keeps its metadata and lets Roslyn reuse
    /// the library's symbols from one test's compilation to the next (made per test, an SDK was read every time).
    /// </summary>
    private static readonly ConcurrentDictionary<Assembly, MetadataReference> LibraryReferences = new();

    private static MetadataReference Reference(Assembly library) =>
        LibraryReferences.GetOrAdd(library, static assembly => MetadataReference.CreateFromFile(assembly.Location));

    /// <summary>The source with its <c>@n...@</c> marks as markup (<paramref name="markup"/>) or left out.</summary>
    public static string Marked(string source, bool markup)
    {
        for (var n = 0; n < 10; n++)
        {
            source = source.Replace($"@{n}", markup ? $"{{|#{n}:" : string.Empty, System.StringComparison.Ordinal);
        }

        return source.Replace("@;", markup ? "|};" : ";", System.StringComparison.Ordinal)
            .Replace("@)", markup ? "|})" : ")", System.StringComparison.Ordinal);
    }

    /// <summary>TLLM2008's suggestion at an SDK's model call (markup location <c>{|#n:...|}</c>) whose finish reason
    /// its method never reads, with the route's path (<paramref name="path"/>, as the message ends).</summary>
    public static DiagnosticResult Unfinished(int location, string path = "") =>
        new DiagnosticResult("TLLM2008", DiagnosticSeverity.Info).WithLocation(location).WithMessage(
            "The model call's finish reason is never read, and a filtered or cut answer (content_filter, length) "
            + "reaches the client and the trace as complete (or make the call an attempt, whose span records why it "
            + "stopped): no exception carries the failure, so no span, failure logger or error format sees it; throw "
            + "(an UpstreamException) or record it (LlmCall.RecordHandledFailure)" + path);

    /// <summary>A diagnostic at markup location <c>{|#n:...|}</c> with its full message.</summary>
    public static DiagnosticResult Diagnostic(string id, int location, string message) =>
        new DiagnosticResult(id, DefaultSeverity(id)).WithLocation(location).WithMessage(message);

    /// <summary>
    /// The severity a rule is reported at by default (TLLM2004 is a suggestion, the others warnings).
    /// </summary>
    public static DiagnosticSeverity DefaultSeverity(string id) => DefaultSeverities.Value[id];

    private static readonly System.Lazy<System.Collections.Generic.Dictionary<
        string,
        DiagnosticSeverity
    >> DefaultSeverities = new(() =>
        typeof(TracedLlm.Analyzers.TracedCodeAnalyzer)
            .Assembly.GetTypes()
            .Where(t =>
                !t.IsAbstract && typeof(Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer).IsAssignableFrom(t))
            .SelectMany(t =>
                ((Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)System.Activator.CreateInstance(t)!
                ).SupportedDiagnostics)
            .GroupBy(d => d.Id)
            .ToDictionary(g => g.Key, g => g.First().DefaultSeverity));
}
