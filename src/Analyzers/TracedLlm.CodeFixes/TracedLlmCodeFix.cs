using System;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TracedLlm.CodeFixes;

/// <summary>What every TracedLlm code fix shares: one diagnostic ID, batch Fix All, and one action per diagnostic it can fix.</summary>
public abstract class TracedLlmCodeFix : CodeFixProvider
{
    private readonly string _id;

    /// <summary>Creates the fix for <paramref name="id"/>.</summary>
    private protected TracedLlmCodeFix(string id)
    {
        _id = id;
        FixableDiagnosticIds = ImmutableArray.Create(id);
    }

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false) is not { } root)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (await CreateFixAsync(context.Document, root, diagnostic, context.CancellationToken).ConfigureAwait(false) is { } fix)
            {
                context.RegisterCodeFix(CodeAction.Create(fix.Title, fix.Apply, equivalenceKey: _id), diagnostic);
            }
        }
    }

    /// <summary>The fix for one diagnostic, or null when none applies.</summary>
    private protected abstract Task<Fix?> CreateFixAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken);

    /// <summary>A fix that replaces one node of the document.</summary>
    private protected static Fix Replace(string title, Document document, SyntaxNode root, SyntaxNode node, SyntaxNode replacement) =>
        new(title, _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(node, replacement)).Project.Solution));

    /// <summary>A title and what applying it does to the solution.</summary>
    private protected sealed record Fix(string Title, Func<CancellationToken, Task<Solution>> Apply);
}
