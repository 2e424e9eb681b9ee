using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using TracedLlm.CodeFixes;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// One Fix All over several TracedLlm IDs applies each diagnostic's own fix in one change, which compiles and leaves no
/// TLLM diagnostic.
/// </summary>
public sealed class FixAllAcrossIdsTests
{
    private const string Routes = Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
                var activity = Telemetry.Source.StartActivity("upstream");
                try
                {
                    return new Reply { Text = call.HttpContext.Items["metadata"] as string };
                }
                catch (InvalidCastException)
                {
                    return new Reply { Text = Helper.Read(call) };
                }
            }
        }
        """;

    private const string Helper = """
        namespace Contoso;

        internal static class Helper
        {
            public static string? Read(TracedLlm.LlmCall call)
            {
                try { return call.HttpContext.Items["metadata"] as string; }
                catch (System.InvalidCastException) { return null; }
            }
        }
        """;

    [Theory]
    [InlineData(FixAllScope.Document)]
    [InlineData(FixAllScope.Project)]
    [InlineData(FixAllScope.Solution)]
    public async Task EveryDiagnosticInScopeGetsItsOwnFix(FixAllScope scope)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(
            ProjectInfo.Create(
                ProjectId.CreateNewId(),
                VersionStamp.Default,
                "TracedRoutes",
                "TracedRoutes",
                LanguageNames.CSharp,
                compilationOptions: new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(
                    OutputKind.DynamicallyLinkedLibrary,
                    nullableContextOptions: NullableContextOptions.Enable).WithSpecificDiagnosticOptions(
                    new[]
                    {
                        new KeyValuePair<string, ReportDiagnostic>(
                            DiagnosticIds.HandledWithoutRecord,
                            ReportDiagnostic.Warn)
                    }),
                parseOptions: ProjectAnalysis.ParseOptions,
                metadataReferences: Testing.TestReferences.All));
        var routes = workspace.AddDocument(project.Id, "Source0.cs", SourceText.From(Routes));
        var helper = workspace.AddDocument(project.Id, "Source1.cs", SourceText.From(Helper));
        project = workspace.CurrentSolution.GetProject(project.Id)!;

        var before = await DiagnosticsAsync(project);
        // Both catches are TLLM2007's (they answer no error and give up on no model call; issue 68): on here, as a team
        // turns it on.
        Assert.Equal(
            new[] { "TLLM2001", "TLLM2001", "TLLM2003", "TLLM2007", "TLLM2007" },
            before.Select(d => d.Id).OrderBy(id => id));

        var fixer = new SlotMismatchCodeFix();
        var document = project.GetDocument(routes.Id)!;
        var ids = before.Select(d => d.Id).Distinct().ToImmutableHashSet();
        var context = new FixAllContext(
            document,
            fixer,
            scope,
            null,
            ids,
            new Provider(before),
            CancellationToken.None);
        var action = await fixer.GetFixAllProvider().GetFixAsync(context);
        Assert.NotNull(action);
        var solution = (await action!.GetOperationsAsync(CancellationToken.None))
            .OfType<ApplyChangesOperation>()
            .Single()
            .ChangedSolution;

        var fixedProject = solution.GetProject(project.Id)!;
        var compilation = (await fixedProject.GetCompilationAsync())!;
        var after = await DiagnosticsAsync(fixedProject);
        var routesText = (await fixedProject.GetDocument(routes.Id)!.GetTextAsync()).ToString();
        var helperText = (await fixedProject.GetDocument(helper.Id)!.GetTextAsync()).ToString();

        Assert.Contains(
            "using var activity = Telemetry.Source.StartActivity(\"upstream\");",
            routesText,
            System.StringComparison.Ordinal);
        Assert.Contains("call.RecordHandledFailure(exception);", routesText, System.StringComparison.Ordinal);
        Assert.Contains(
            "Items[global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot]",
            routesText,
            System.StringComparison.Ordinal);
        if (scope == FixAllScope.Document)
        {
            Assert.Equal(Helper, helperText);
            Assert.Equal(new[] { "TLLM2001", "TLLM2007" }, after.Select(d => d.Id).OrderBy(id => id));
        }
        else
        {
            Assert.Contains(
                "Items[global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot]",
                helperText,
                System.StringComparison.Ordinal);
            Assert.Contains(
                "catch (System.InvalidCastException exception) { call.RecordHandledFailure(exception); return null; }",
                helperText,
                System.StringComparison.Ordinal);
            Assert.Empty(after);
        }

        Assert.Empty(
            ProjectAnalysis
                .Compile(
                    Testing.TestReferences.All,
                    OutputKind.DynamicallyLinkedLibrary,
                    compilation.SyntaxTrees.ToArray())
                .GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Project project)
    {
        var compilation = ProjectAnalysis.Compile(
            Testing.TestReferences.All,
            OutputKind.DynamicallyLinkedLibrary,
            (await project.GetCompilationAsync())!.SyntaxTrees.ToArray());
        compilation = compilation.WithOptions(
            compilation.Options.WithSpecificDiagnosticOptions(project.CompilationOptions!.SpecificDiagnosticOptions));
        var diagnostics = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);

        // Map back to the project's own trees (the generated ones are added to a copy).
        var trees = (await project.GetCompilationAsync())!.SyntaxTrees.ToDictionary(t => t.FilePath);
        return diagnostics
            .Select(d =>
                Diagnostic.Create(
                    d.Descriptor,
                    Location.Create(trees[d.Location.SourceTree!.FilePath], d.Location.SourceSpan),
                    d.Properties,
                    d.GetMessage()))
            .ToImmutableArray();
    }

    private sealed class Provider(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(
            Document document,
            CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            return diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(
            Project project,
            CancellationToken cancellationToken) => Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(
            Project project,
            CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
