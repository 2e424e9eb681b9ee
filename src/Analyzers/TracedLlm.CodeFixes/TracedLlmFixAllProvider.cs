using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CodeActions;

namespace TracedLlm.CodeFixes;

/// <summary>Fix All for every TracedLlm fix, in a document, a project or the solution, for one ID or
/// several.</summary>
/// <remarks>Every diagnostic in scope gets its fix's edit that matches the chosen action, and the edits are merged
/// into one change.</remarks>
internal sealed class TracedLlmFixAllProvider : FixAllProvider
{
    public static readonly TracedLlmFixAllProvider Instance = new();

    private static readonly ImmutableArray<TracedLlmCodeFix> Fixes = ImmutableArray.Create<TracedLlmCodeFix>(
        new SlotMismatchCodeFix(),
        new FailurePathCodeFix(),
        new SpanLifecycleCodeFix(),
        new SwallowedExceptionCodeFix(),
        new SlotCollisionCodeFix(),
        new StreamRefusalCodeFix(),
        new UnthrownFailureCodeFix());

    public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
        new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

    public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
    {
        var diagnostics = await DiagnosticsInScopeAsync(context).ConfigureAwait(false);
        var edits = new List<SyntaxEdit>();
        foreach (var (document, documentDiagnostics) in diagnostics)
        {
            if (await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false) is not { } root)
            {
                continue;
            }

            foreach (var diagnostic in documentDiagnostics)
            {
                if (Fixes.FirstOrDefault(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)) is not { } fix)
                {
                    continue;
                }

                var candidates = await fix.EditsAsync(document, root, diagnostic, context.CancellationToken)
                    .ConfigureAwait(false);
                var chosen = candidates.FirstOrDefault(e => e.EquivalenceKey == context.CodeActionEquivalenceKey)
                    ?? (context.CodeActionEquivalenceKey is null
                        || !context.CodeActionEquivalenceKey.StartsWith(diagnostic.Id, StringComparison.Ordinal)
                            ? (candidates.Count > 0 ? candidates[0] : null) : null);
                if (chosen is not null)
                {
                    edits.Add(chosen);
                }
            }
        }

        if (edits.Count == 0)
        {
            return null;
        }

        var solution = context.Solution;
        return CodeAction.Create(
            $"Fix all TracedLlm diagnostics in {context.Scope.ToString().ToLowerInvariant()}",
            ct => TracedLlmCodeFix.ApplyAsync(solution, edits, ct),
            context.CodeActionEquivalenceKey);
    }

    private static async Task<
        List<(Document Document, ImmutableArray<Diagnostic> Diagnostics)>
    > DiagnosticsInScopeAsync(FixAllContext context)
    {
        var result = new List<(Document, ImmutableArray<Diagnostic>)>();
        var projects = context.Scope switch
        {
            FixAllScope.Solution => context.Solution.Projects,
            FixAllScope.Project => new[] { context.Project },
            _ => Enumerable.Empty<Project>(),
        };

        if (context.Scope is FixAllScope.Document or FixAllScope.ContainingMember or FixAllScope.ContainingType
            && context.Document is { } single)
        {
            result.Add((single, await context.GetDocumentDiagnosticsAsync(single).ConfigureAwait(false)));
            return result;
        }

        foreach (var project in projects)
        {
            var all = await context.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
            foreach (var group in all.Where(d => d.Location.IsInSource).GroupBy(d => d.Location.SourceTree))
            {
                if (project.GetDocument(group.Key) is { } document)
                {
                    result.Add((document, group.ToImmutableArray()));
                }
            }
        }

        return result;
    }
}
