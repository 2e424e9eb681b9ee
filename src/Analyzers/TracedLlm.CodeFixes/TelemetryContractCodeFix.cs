using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;

namespace TracedLlm.CodeFixes;

/// <summary>
/// TLLM1011: writes the contract the build emits into the tracked <c>TracedLlm.Telemetry.txt</c>
/// (an additional document). Every TLLM1011 of a build carries the same whole file, so one fix, or
/// Fix All in any scope, updates every route at once.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TelemetryContractCodeFix)), Shared]
public sealed class TelemetryContractCodeFix : CodeFixProvider
{
    private const string Title = "Update TracedLlm.Telemetry.txt to the emitted telemetry";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.TelemetryContractDrift);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => ContractFixAll.Instance;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics.First();
        if (Action(context.Document.Project.Solution, context.Document.Project, diagnostic) is { } action)
        {
            context.RegisterCodeFix(action, diagnostic);
        }

        return Task.CompletedTask;
    }

    private static CodeAction? Action(Solution solution, Project project, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.ContractPathProperty, out var path)
            || !diagnostic.Properties.TryGetValue(DiagnosticIds.ContractTextProperty, out var text)
            || text is null
            || project.AdditionalDocuments.FirstOrDefault(d => d.FilePath == path) is not { } file)
        {
            return null;
        }

        return CodeAction.Create(
            Title,
            _ => Task.FromResult(solution.WithAdditionalDocumentText(file.Id, SourceText.From(text))),
            DiagnosticIds.TelemetryContractDrift);
    }

    /// <summary>Any one diagnostic in scope per project rewrites that project's file; the others carry the same text.</summary>
    private sealed class ContractFixAll : FixAllProvider
    {
        public static readonly ContractFixAll Instance = new();

        public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
        {
            var projects = context.Scope == FixAllScope.Solution ? context.Solution.Projects : new[] { context.Project };
            var solution = context.Solution;
            foreach (var project in projects)
            {
                var diagnostics = await context.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
                if (diagnostics.FirstOrDefault(d => d.Id == DiagnosticIds.TelemetryContractDrift) is { } diagnostic
                    && Action(solution, solution.GetProject(project.Id)!, diagnostic) is { } action)
                {
                    solution = await Apply(action, context.CancellationToken).ConfigureAwait(false);
                }
            }

            var result = solution;
            return CodeAction.Create(Title, _ => Task.FromResult(result), DiagnosticIds.TelemetryContractDrift);
        }

        private static async Task<Solution> Apply(CodeAction action, CancellationToken cancellationToken)
        {
            var operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
            return operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        }
    }
}
