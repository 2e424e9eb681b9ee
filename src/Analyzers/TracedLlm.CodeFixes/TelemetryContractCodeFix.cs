using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.Text;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM1011: writes the route's part of the tracked <c>TracedLlm.Telemetry.txt</c> as the build emits
/// it.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TelemetryContractCodeFix)), Shared]
public sealed class TelemetryContractCodeFix : CodeFixProvider
{
    private const string Title = "Update TracedLlm.Telemetry.txt to the emitted telemetry";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.TelemetryContractDrift);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => ContractFixAll.Instance;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var diagnostic = context.Diagnostics.First();
        var project = context.Document.Project;
        if (ContractFile(project, diagnostic) is not null)
        {
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => ApplyAsync(project.Solution, project.Id, new[] { diagnostic }, ct),
                    DiagnosticIds.TelemetryContractDrift),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static TextDocument? ContractFile(Project project, Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(DiagnosticIds.ContractPathProperty, out var path) && path is not null
            ? project.AdditionalDocuments.FirstOrDefault(d => string.Equals(d.FilePath, path, StringComparison.Ordinal))
            : null;

    /// <summary>Rewrites the project's file for every diagnostic given (all carry the same path).</summary>
    private static async Task<Solution> ApplyAsync(Solution solution, ProjectId projectId, Diagnostic[] diagnostics,
        CancellationToken cancellationToken)
    {
        var project = solution.GetProject(projectId)!;
        if (diagnostics.Length == 0 || ContractFile(project, diagnostics[0]) is not { } file)
        {
            return solution;
        }

        var text = (await file.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString();
        var (prelude, parts) = TracedLlm.ContractFile.Split(text);
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            blocks[part.Key] = part.Value;
        }

        foreach (var diagnostic in diagnostics)
        {
            var properties = diagnostic.Properties;
            if (properties.TryGetValue(DiagnosticIds.ContractRouteProperty, out var route) && route is not null
                && properties.TryGetValue(DiagnosticIds.ContractBlockProperty, out var block) && block is not null)
            {
                blocks[route] = block;
            }

            if (properties.TryGetValue(DiagnosticIds.ContractStaleRoutesProperty, out var stale)
                && !string.IsNullOrEmpty(stale))
            {
                foreach (var gone in stale!.Split('\n'))
                {
                    blocks.Remove(gone);
                }
            }

            if (prelude.Trim().Length == 0
                && properties.TryGetValue(DiagnosticIds.ContractHeaderProperty, out var header) && header is not null)
            {
                prelude = header;
            }
        }

        var written = new StringBuilder(prelude.TrimEnd('\n')).Append('\n');
        foreach (var pair in blocks.OrderBy(b => Path(b.Key), StringComparer.Ordinal)
                .ThenBy(b => b.Key, StringComparer.Ordinal))
        {
            written.Append('\n').Append(pair.Value.TrimEnd('\n')).Append('\n');
        }

        return solution.WithAdditionalDocumentText(file.Id, SourceText.From(written.ToString()));
    }

    private static string Path(string route) => route.Substring(route.IndexOf(' ') + 1);

    /// <summary>Every TLLM1011 in scope, one project at a time.</summary>
    /// <remarks>Not <see cref="TracedLlmFixAllProvider"/>'s walk: the generator reports TLLM1011 at a file path,
    /// with no syntax tree to group by.</remarks>
    private sealed class ContractFixAll : FixAllProvider
    {
        public static readonly ContractFixAll Instance = new();

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            TracedLlmFixAllProvider.Instance.GetSupportedFixAllScopes();

        public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
        {
            var projects = context.Scope == FixAllScope.Solution ? context.Solution.Projects.ToList()
                    : new List<Project> { context.Project };
            var solution = context.Solution;
            foreach (var project in projects)
            {
                IEnumerable<Diagnostic> diagnostics =
                    context.Scope == FixAllScope.Document && context.Document is { } document
                        ? await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false)
                        : await context.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
                solution = await ApplyAsync(
                        solution,
                        project.Id,
                        diagnostics.Where(d => d.Id == DiagnosticIds.TelemetryContractDrift).ToArray(),
                        context.CancellationToken)
                    .ConfigureAwait(false);
            }

            var result = solution;
            return CodeAction.Create(Title, _ => Task.FromResult(result), DiagnosticIds.TelemetryContractDrift);
        }
    }
}
