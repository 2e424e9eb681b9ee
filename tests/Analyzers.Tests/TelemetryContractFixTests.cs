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
        await fixer.RegisterCodeFixesAsync(
            new CodeFixContext(document, before[0], (action, _) => actions.Add(action), CancellationToken.None));
        var action = Assert.Single(actions);
        Assert.Equal("Update TracedLlm.Telemetry.txt to the emitted telemetry", action.Title);
        var solution = (await action.GetOperationsAsync(CancellationToken.None))
            .OfType<ApplyChangesOperation>()
            .Single()
            .ChangedSolution;

        var fixedProject = solution.GetProject(project.Id)!;
        var text = (await fixedProject.GetAdditionalDocument(contract)!.GetTextAsync()).ToString();
        Assert.StartsWith(
            "# TracedLlm telemetry contract\n\nroute POST /v1/chat/completions\n  mode default semconv ",
            text,
            System.StringComparison.Ordinal);
        Assert.Contains("    attribute gen_ai.request.model\n", text, System.StringComparison.Ordinal);
        Assert.DoesNotContain("gen_ai.request.model_name", text, System.StringComparison.Ordinal);
        Assert.DoesNotContain("/v1/completions\n", text, System.StringComparison.Ordinal);

        // Only the fixed route is quiet; the other still names its own difference.
        var after = Assert.Single(await DriftAsync(fixedProject));
        Assert.Equal("POST /v1/messages", after.Properties[DiagnosticIds.ContractRouteProperty]);
        Assert.Contains("the route is not in the file", after.GetMessage(), System.StringComparison.Ordinal);
        Assert.Equal(Routes, (await fixedProject.Documents.Single().GetTextAsync()).ToString());
    }

    [Fact]
    public async Task FixingAnyRouteDropsTheStaleRoutesWhichEveryDiagnosticNames()
    {
        using var workspace = new AdhocWorkspace();
        var (project, contract) = AddProject(workspace, "Gateway");
        var before = await DriftAsync(project);
        Assert.Equal(
            new[] { "POST /v1/chat/completions", "POST /v1/messages" },
            before.Select(d => d.Properties[DiagnosticIds.ContractRouteProperty]));
        Assert.All(
            before,
            d => Assert.Equal("POST /v1/completions", d.Properties[DiagnosticIds.ContractStaleRoutesProperty]));
        Assert.All(
            before,
            d =>
                Assert.Contains(
                    "route 'POST /v1/completions' is in the file but no longer declared",
                    d.GetMessage(),
                    System.StringComparison.Ordinal));

        // The second route's fix: its part written, and the stale route gone with it.
        var solution = await FixAsync(project, before[1]);
        var text = (await solution.GetProject(project.Id)!.GetAdditionalDocument(contract)!.GetTextAsync()).ToString();
        Assert.DoesNotContain("/v1/completions\n", text, System.StringComparison.Ordinal);
        Assert.Contains("route POST /v1/messages\n  mode default semconv ", text, System.StringComparison.Ordinal);
        var after = Assert.Single(await DriftAsync(solution.GetProject(project.Id)!));
        Assert.Equal("POST /v1/chat/completions", after.Properties[DiagnosticIds.ContractRouteProperty]);
        Assert.DoesNotContain("no longer declared", after.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheGeneratorAndTheFixReadTheFileAlikeIndentedAndRepeatedRouteLinesIncluded()
    {
        using var workspace = new AdhocWorkspace();
        var (project, contract) = AddProject(workspace, "Gateway");

        // Written from the emitted file, then hand-edited: the messages route's line indented, and the
        // chat route's part cut in two with the messages part between.
        var emitted = (
            await (await FixAllAsync(project)).GetProject(project.Id)!.GetAdditionalDocument(contract)!.GetTextAsync()
        ).ToString();
        var chatAt = emitted.IndexOf("route POST /v1/chat/completions\n", System.StringComparison.Ordinal);
        var messagesAt = emitted.IndexOf("route POST /v1/messages\n", System.StringComparison.Ordinal);
        Assert.True(chatAt > 0 && messagesAt > chatAt);
        var chat = emitted[chatAt..messagesAt].TrimEnd('\n').Split('\n');
        var messages = emitted[messagesAt..];
        var edited =
            emitted[..chatAt]
            + string.Join("\n", chat.Take(4))
            + "\n"
            + "  "
            + messages
            + chat[0]
            + "\n"
            + string.Join("\n", chat.Skip(4))
            + "\n";
        var solution = workspace.CurrentSolution.WithAdditionalDocumentText(contract, SourceText.From(edited));
        project = solution.GetProject(project.Id)!;

        // The generator reads the same two routes, each whole: nothing to report.
        Assert.Empty(await DriftAsync(project));

        // A stale route added: the fix keeps the two routes' parts as the generator read them and drops only it.
        solution = solution.WithAdditionalDocumentText(
            contract,
            SourceText.From(edited + "route GET /v1/gone\n  mode default semconv 1.0\n"));
        project = solution.GetProject(project.Id)!;
        var drift = Assert.Single(await DriftAsync(project));
        var text = (
            await (await FixAsync(project, drift))
                .GetProject(project.Id)!
                .GetAdditionalDocument(contract)!
                .GetTextAsync()).ToString();
        Assert.DoesNotContain("/v1/gone", text, System.StringComparison.Ordinal);
        Assert.Equal(
            2,
            text.Split('\n').Count(line => line.TrimStart().StartsWith("route ", System.StringComparison.Ordinal)));
        Assert.Empty(await DriftAsync((await FixAsync(project, drift)).GetProject(project.Id)!));
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
        var diagnostics = new Dictionary<ProjectId, ImmutableArray<Diagnostic>>
        {
            [first.Id] = await DriftAsync(first),
            [second.Id] = await DriftAsync(second)
        };
        Assert.Equal(4, diagnostics.Values.Sum(d => d.Length));
        Assert.Contains("; and ", diagnostics[first.Id][0].GetMessage(), System.StringComparison.Ordinal);

        var fixer = new TelemetryContractCodeFix();
        var context = new FixAllContext(
            first.Documents.Single(),
            fixer,
            scope,
            DiagnosticIds.TelemetryContractDrift,
            new[] { DiagnosticIds.TelemetryContractDrift },
            new Provider(diagnostics),
            CancellationToken.None);
        var action = await fixer.GetFixAllProvider().GetFixAsync(context);
        Assert.NotNull(action);
        var solution = (await action!.GetOperationsAsync(CancellationToken.None))
            .OfType<ApplyChangesOperation>()
            .Single()
            .ChangedSolution;

        Assert.Empty(await DriftAsync(solution.GetProject(first.Id)!));
        Assert.NotEqual(
            Stale,
            (await solution.GetProject(first.Id)!.GetAdditionalDocument(firstContract)!.GetTextAsync()).ToString());
        var secondText = (
            await solution.GetProject(second.Id)!.GetAdditionalDocument(secondContract)!.GetTextAsync()).ToString();
        Assert.Contains(
            "route POST /v1/messages\n  mode default semconv ",
            (await solution.GetProject(first.Id)!.GetAdditionalDocument(firstContract)!.GetTextAsync()).ToString(),
            System.StringComparison.Ordinal);
        if (scope == FixAllScope.Solution)
        {
            Assert.Empty(await DriftAsync(solution.GetProject(second.Id)!));
        }
        else
        {
            Assert.Equal(Stale, secondText);
        }
    }

    private static async Task<Solution> FixAsync(Project project, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        await new TelemetryContractCodeFix().RegisterCodeFixesAsync(
            new CodeFixContext(
                project.Documents.Single(),
                diagnostic,
                (action, _) => actions.Add(action),
                CancellationToken.None));
        return (await Assert.Single(actions).GetOperationsAsync(CancellationToken.None))
            .OfType<ApplyChangesOperation>()
            .Single()
            .ChangedSolution;
    }

    private static async Task<Solution> FixAllAsync(Project project)
    {
        var fixer = new TelemetryContractCodeFix();
        var diagnostics = new Dictionary<ProjectId, ImmutableArray<Diagnostic>>
        {
            [project.Id] = await DriftAsync(project)
        };
        var context = new FixAllContext(
            project.Documents.Single(),
            fixer,
            FixAllScope.Project,
            DiagnosticIds.TelemetryContractDrift,
            new[] { DiagnosticIds.TelemetryContractDrift },
            new Provider(diagnostics),
            CancellationToken.None);
        var action = await fixer.GetFixAllProvider().GetFixAsync(context);
        return (await action!.GetOperationsAsync(CancellationToken.None))
            .OfType<ApplyChangesOperation>()
            .Single()
            .ChangedSolution;
    }

    private static (Project Project, DocumentId Contract) AddProject(AdhocWorkspace workspace, string name)
    {
        var project = workspace.AddProject(
            ProjectInfo.Create(
                ProjectId.CreateNewId(),
                VersionStamp.Default,
                name,
                name,
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(
                    OutputKind.DynamicallyLinkedLibrary,
                    nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: ProjectAnalysis.ParseOptions,
                metadataReferences: Testing.TestReferences.All));
        workspace.AddDocument(project.Id, "Routes.cs", SourceText.From(Routes));
        var contract = DocumentId.CreateNewId(project.Id);
        workspace.TryApplyChanges(
            workspace.CurrentSolution.AddAdditionalDocument(
                contract,
                "TracedLlm.Telemetry.txt",
                SourceText.From(Stale),
                filePath: ContractPath));
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

        var driver = CSharpGeneratorDriver
            .Create(new[] { new TracedLlmRouteGenerator().AsSourceGenerator() }, texts, ProjectAnalysis.ParseOptions)
            .RunGenerators(compilation);
        return driver
            .GetRunResult()
            .Diagnostics.Where(d => d.Id == DiagnosticIds.TelemetryContractDrift)
            .ToImmutableArray();
    }

    private sealed class FileText(string path, SourceText text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }

    private sealed class Provider(Dictionary<ProjectId, ImmutableArray<Diagnostic>> diagnostics)
        : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(
            Document document,
            CancellationToken cancellationToken) => GetAllDiagnosticsAsync(document.Project, cancellationToken);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(
            Project project,
            CancellationToken cancellationToken) => GetAllDiagnosticsAsync(project, cancellationToken);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(
            Project project,
            CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics[project.Id]);
    }
}
