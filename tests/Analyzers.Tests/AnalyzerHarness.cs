using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TracedLlm.Generators.Tests;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Runs the generator and the analyzers the way a build does, and applies code fixes through an
/// AdhocWorkspace. Sources mark each expected diagnostic start with the comment <c>/*!*/</c>.
/// </summary>
internal static class AnalyzerHarness
{
    public const string Marker = "/*!*/";

    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new TracedCodeAnalyzer(), new SlotCollisionAnalyzer());

    /// <summary>The TLLM diagnostics of the sources, ordered by position; fails on any analyzer exception.</summary>
    public static Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(params string[] sources) =>
        DiagnosticsAsync(GeneratorHarness.Compile(sources));

    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Compilation compilation, bool requireCleanCompile = true)
    {
        var output = GeneratorHarness.Run(compilation).Output;
        if (requireCleanCompile)
        {
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }

        var failures = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (exception, _, _) => failures.Enqueue(exception),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = await output.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync(CancellationToken.None);

        Assert.Empty(failures);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics
            .Where(d => d.Id.StartsWith("TLLM", StringComparison.Ordinal))
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
    }

    /// <summary>Asserts that the diagnostics are exactly <paramref name="messages"/>, each starting at the next marker of the source.</summary>
    public static async Task VerifyAsync(string source, string id, params string[] messages)
    {
        var diagnostics = await DiagnosticsAsync(source);
        var markers = Markers(source);
        Assert.True(markers.Count == messages.Length, $"the source has {markers.Count} markers for {messages.Length} messages");
        Assert.Equal(messages.Length, diagnostics.Length);
        for (var i = 0; i < messages.Length; i++)
        {
            Assert.Equal(id, diagnostics[i].Id);
            Assert.Equal(markers[i], diagnostics[i].Location.SourceSpan.Start);
            Assert.Equal(messages[i], diagnostics[i].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal($"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md", diagnostics[i].Descriptor.HelpLinkUri);
        }
    }

    /// <summary>Positions just after each marker.</summary>
    public static List<int> Markers(string source)
    {
        var positions = new List<int>();
        for (var index = source.IndexOf(Marker, StringComparison.Ordinal); index >= 0; index = source.IndexOf(Marker, index + 1, StringComparison.Ordinal))
        {
            positions.Add(index + Marker.Length);
        }

        return positions;
    }

    /// <summary>Where a marker stands once it is removed, as messages name locations: <c>Source0.cs(line,column)</c>.</summary>
    public static string Position(string source, int marker)
    {
        var text = SourceText.From(source).Lines.GetLinePosition(Markers(source)[marker] - Marker.Length);
        return $"Source0.cs({text.Line + 1},{text.Character + 1})";
    }

    /// <summary>Applies the fix of <paramref name="fixer"/> (one diagnostic, or Fix All in the document or project) and returns every document's new text.</summary>
    public static async Task<string[]> FixAsync(CodeFixProvider fixer, string id, FixAllScope? scope, params string[] sources)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Default,
            "TracedRoutes",
            "TracedRoutes",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References));
        var documents = sources.Select((source, i) => workspace.AddDocument(project.Id, $"Source{i}.cs", SourceText.From(source))).ToList();
        project = workspace.CurrentSolution.GetProject(project.Id)!;
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = (await DiagnosticsAsync(compilation)).Where(d => d.Id == id).ToImmutableArray();
        Assert.NotEmpty(diagnostics);

        CodeAction? action;
        if (scope is { } fixAllScope)
        {
            var document = project.GetDocument(diagnostics[0].Location.SourceTree)!;
            var equivalenceKey = (await RegisteredActionsAsync(fixer, document, diagnostics[0])).First().EquivalenceKey;
            var context = fixAllScope == FixAllScope.Project
                ? new FixAllContext(project, fixer, fixAllScope, equivalenceKey, new[] { id }, new FixedDiagnostics(diagnostics), CancellationToken.None)
                : new FixAllContext(document, fixer, fixAllScope, equivalenceKey, new[] { id }, new FixedDiagnostics(diagnostics), CancellationToken.None);
            action = await fixer.GetFixAllProvider()!.GetFixAsync(context);
        }
        else
        {
            var document = project.GetDocument(diagnostics[0].Location.SourceTree)!;
            action = (await RegisteredActionsAsync(fixer, document, diagnostics[0])).FirstOrDefault();
        }

        Assert.NotNull(action);
        var operations = await action!.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var texts = new string[documents.Count];
        for (var i = 0; i < documents.Count; i++)
        {
            texts[i] = (await solution.GetDocument(documents[i].Id)!.GetTextAsync()).ToString();
        }

        return texts;
    }

    public static async Task<List<CodeAction>> RegisteredActionsAsync(CodeFixProvider fixer, Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        return actions;
    }

    private sealed class FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
