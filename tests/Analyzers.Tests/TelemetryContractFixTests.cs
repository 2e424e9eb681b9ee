using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TracedLlm.CodeFixes;
using TracedLlm.Generators;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM1011's fix rewrites the tracked TracedLlm.Telemetry.txt, an additional document, and the
/// generator is then quiet. The diagnostic comes from the generator (not an analyzer), so the
/// fix is driven on a workspace here; its ID, location and message are asserted in
/// Generators.Tests' TelemetryContractTests.
/// </summary>
public sealed class TelemetryContractFixTests
{
    private static readonly string Routes = Testing.ContractSources.PlainRoutes;

    private const string Stale = """
        # TracedLlm telemetry contract
        route POST /v1/chat/completions
          mode default semconv 1.30.0
          span litellm_request [Client]
            attribute gen_ai.request.model_name
        route POST /v1/completions
        """;

    private const string ContractPath = "/gateway/TracedLlm.Telemetry.txt";

    [Fact]
    public async Task FixWritesTheRoutesPartAndDropsStaleRoutes()
    {
        using var workspace = new AdhocWorkspace();
        var (project, contract) = AddProject(workspace, "Gateway");
        var before = await DriftAsync(project);
        Assert.Equal(2, before.Length);
        Assert.All(before, d => Assert.Equal(ContractPath, d.Properties[DiagnosticIds.ContractPathProperty]));

        var fixer = new TelemetryContractCodeFix();
        var actions = new List<CodeAction>();
        var document = project.Documents.Single();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, before[0], (action, _) => actions.Add(action), CancellationToken.None));
        var action = Assert.Single(actions);
        Assert.Equal("Update TracedLlm.Telemetry.txt to the emitted telemetry", action.Title);
        var solution = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;

        var fixedProject = solution.GetProject(project.Id)!;
        var text = (await fixedProject.GetAdditionalDocument(contract)!.GetTextAsync()).ToString();
        Assert.StartsWith("# TracedLlm telemetry contract\n\nroute POST /v1/chat/completions\n  mode default semconv ", text, System.StringComparison.Ordinal);
        Assert.Contains("    attribute gen_ai.request.model\n", text, System.StringComparison.Ordinal);
        Assert.DoesNotContain("gen_ai.request.model_name", text, System.StringComparison.Ordinal);
        Assert.DoesNotContain("/v1/completions\n", text, System.StringComparison.Ordinal);

        // Only the fixed route is quiet; the other still names its own difference.
        var after = Assert.Single(await DriftAsync(fixedProject));
        Assert.Equal("POST /v1/messages", after.Properties[DiagnosticIds.ContractRouteProperty]);
        Assert.Contains("the route is not in the file", after.GetMessage(), System.StringComparison.Ordinal);
        Assert.Equal(Routes, (await fixedProject.Documents.Single().GetTextAsync()).ToString());
    }

    [Theory]
    [InlineData(FixAllScope.Document)]
    [InlineData(FixAllScope.Project)]
    [InlineData(FixAllScope.Solution)]
    public async Task FixAllUpdatesEveryProjectsFileInScope(FixAllScope scope)
    {
        using var workspace = new AdhocWorkspace();
        var (first, firstContract) = AddProject(workspace, "Gateway");
        var (second, secondContract) = AddProject(workspace, "Admin");
        first = workspace.CurrentSolution.GetProject(first.Id)!;
        var diagnostics = new Dictionary<ProjectId, ImmutableArray<Diagnostic>> { [first.Id] = await DriftAsync(first), [second.Id] = await DriftAsync(second) };
        Assert.Equal(4, diagnostics.Values.Sum(d => d.Length));
        Assert.Contains("; and ", diagnostics[first.Id][0].GetMessage(), System.StringComparison.Ordinal);

        var fixer = new TelemetryContractCodeFix();
        var context = new FixAllContext(first.Documents.Single(), fixer, scope, DiagnosticIds.TelemetryContractDrift, new[] { DiagnosticIds.TelemetryContractDrift }, new Provider(diagnostics), CancellationToken.None);
        var action = await fixer.GetFixAllProvider().GetFixAsync(context);
        Assert.NotNull(action);
        var solution = (await action!.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;

        Assert.Empty(await DriftAsync(solution.GetProject(first.Id)!));
        Assert.NotEqual(Stale, (await solution.GetProject(first.Id)!.GetAdditionalDocument(firstContract)!.GetTextAsync()).ToString());
        var secondText = (await solution.GetProject(second.Id)!.GetAdditionalDocument(secondContract)!.GetTextAsync()).ToString();
        Assert.Contains("route POST /v1/messages\n  mode default semconv ", (await solution.GetProject(first.Id)!.GetAdditionalDocument(firstContract)!.GetTextAsync()).ToString(), System.StringComparison.Ordinal);
        if (scope == FixAllScope.Solution)
        {
            Assert.Empty(await DriftAsync(solution.GetProject(second.Id)!));
        }
        else
        {
            Assert.Equal(Stale, secondText);
        }
    }

    private static (Project Project, DocumentId Contract) AddProject(AdhocWorkspace workspace, string name)
    {
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(), VersionStamp.Default, name, name, LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: ProjectAnalysis.ParseOptions,
            metadataReferences: Testing.TestReferences.All));
        workspace.AddDocument(project.Id, "Routes.cs", SourceText.From(Routes));
        var contract = DocumentId.CreateNewId(project.Id);
        workspace.TryApplyChanges(workspace.CurrentSolution.AddAdditionalDocument(contract, "TracedLlm.Telemetry.txt", SourceText.From(Stale), filePath: ContractPath));
        return (workspace.CurrentSolution.GetProject(project.Id)!, contract);
    }

    /// <summary>TLLM1011 as a build reports it: the generator run over the project with its additional files.</summary>
    private static async Task<ImmutableArray<Diagnostic>> DriftAsync(Project project)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var texts = new List<AdditionalText>();
        foreach (var document in project.AdditionalDocuments)
        {
            texts.Add(new FileText(document.FilePath!, await document.GetTextAsync()));
        }

        var driver = CSharpGeneratorDriver.Create(new[] { new TracedLlmRouteGenerator().AsSourceGenerator() }, texts, ProjectAnalysis.ParseOptions)
            .RunGenerators(compilation);
        return driver.GetRunResult().Diagnostics.Where(d => d.Id == DiagnosticIds.TelemetryContractDrift).ToImmutableArray();
    }

    private sealed class FileText(string path, SourceText text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }

    private sealed class Provider(Dictionary<ProjectId, ImmutableArray<Diagnostic>> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            GetAllDiagnosticsAsync(document.Project, cancellationToken);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            GetAllDiagnosticsAsync(project, cancellationToken);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics[project.Id]);
    }
}
