using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CodeActions;

namespace TracedLlm.CodeFixes;

/// <summary>What every TracedLlm code fix shares: each fix is an edit that rewrites one syntax node.</summary>
/// <remarks>So Fix All can merge the edits of many diagnostics, of several IDs, into one change
/// (<see cref="TracedLlmFixAllProvider"/>).</remarks>
public abstract class TracedLlmCodeFix : CodeFixProvider
{
    /// <summary>Creates the fix for <paramref name="ids"/>.</summary>
    private protected TracedLlmCodeFix(params string[] ids)
    {
        FixableDiagnosticIds = ImmutableArray.Create(ids);
    }

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => TracedLlmFixAllProvider.Instance;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false) is not { } root)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var edit in await EditsAsync(context.Document, root, diagnostic, context.CancellationToken)
                    .ConfigureAwait(false))
            {
                var solution = context.Document.Project.Solution;
                context.RegisterCodeFix(
                    CodeAction.Create(edit.Title, ct => ApplyAsync(solution, new[] { edit }, ct), edit.EquivalenceKey),
                    diagnostic);
            }
        }
    }

    /// <summary>The edits that fix one diagnostic, the preferred first; none when no fix applies.</summary>
    internal abstract Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken);

    private protected static Task<IReadOnlyList<SyntaxEdit>> None() =>
        Task.FromResult<IReadOnlyList<SyntaxEdit>>(Array.Empty<SyntaxEdit>());

    private protected static Task<IReadOnlyList<SyntaxEdit>> One(SyntaxEdit edit) =>
        Task.FromResult<IReadOnlyList<SyntaxEdit>>(new[] { edit });

    /// <summary>The edit that sets the named argument <paramref name="name"/> of the diagnostic's attribute to
    /// <paramref name="value"/>.</summary>
    private protected static Task<IReadOnlyList<SyntaxEdit>> SetNamedArgument(Document document, SyntaxNode root,
        Diagnostic diagnostic, string title, string key, string name, ExpressionSyntax value) =>
        root.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute
            ? One(new SyntaxEdit(title, key, document.Id, attribute,
                node => WithNamedArgument((AttributeSyntax)node, name, value)))
            : None();

    /// <summary>The first line break in <paramref name="node"/>, else <paramref name="fallback"/>.</summary>
    private protected static SyntaxTrivia LineBreak(SyntaxNode node, SyntaxTrivia fallback) =>
        node.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is var found
        && found.IsKind(SyntaxKind.EndOfLineTrivia) ? found : fallback;

    /// <summary>The whitespace that starts the last line of <paramref name="trivia"/>.</summary>
    private protected static SyntaxTriviaList Indentation(SyntaxTriviaList trivia) =>
        SyntaxFactory.TriviaList(trivia.Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());

    /// <summary><paramref name="indentation"/> one level deeper, in its own tabs or spaces.</summary>
    private protected static SyntaxTriviaList Deeper(SyntaxTriviaList indentation) =>
        indentation.Add(SyntaxFactory.Whitespace(indentation.ToFullString().IndexOf('\t') >= 0 ? "\t" : "    "));

    private static AttributeSyntax WithNamedArgument(AttributeSyntax attribute, string name, ExpressionSyntax value)
    {
        var arguments = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        var existing = arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        if (existing is not null)
        {
            var replaced = existing.WithExpression(value.WithTriviaFrom(existing.Expression));
            return attribute.WithArgumentList(arguments.ReplaceNode(existing, replaced));
        }

        var equals = SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(name));
        var named = SyntaxFactory.AttributeArgument(equals, nameColon: null, value);
        return attribute.WithArgumentList(arguments.AddArguments(named));
    }

    /// <summary>Applies edits to the solution: per document, every edited node at once, inner edits inside
    /// outer.</summary>
    internal static async Task<Solution> ApplyAsync(Solution solution, IEnumerable<SyntaxEdit> edits,
        CancellationToken cancellationToken)
    {
        var byDocument = new Dictionary<DocumentId, Dictionary<SyntaxNode, SyntaxEdit>>();
        foreach (var edit in edits)
        {
            if (!byDocument.TryGetValue(edit.DocumentId, out var nodes))
            {
                byDocument[edit.DocumentId] = nodes = new Dictionary<SyntaxNode, SyntaxEdit>();
            }

            // Two diagnostics with the same fix (two throws of one type, say) edit the node once.
            if (!nodes.ContainsKey(edit.Node))
            {
                nodes[edit.Node] = edit;
            }
        }

        foreach (var pair in byDocument)
        {
            var document = solution.GetDocument(pair.Key);
            if (document is null
                || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
            {
                continue;
            }

            var edited = root.ReplaceNodes(pair.Value.Keys,
                (original, rewritten) => pair.Value[original].Rewrite(rewritten));
            solution = solution.WithDocumentSyntaxRoot(pair.Key, edited);
        }

        return solution;
    }
}

/// <summary>One fix as an edit: <paramref name="Rewrite"/> turns <paramref name="Node"/> into its
/// replacement.</summary>
/// <remarks>Rewrites are syntactic; what they need from the semantic model is computed before.</remarks>
internal sealed record SyntaxEdit(string Title, string EquivalenceKey, DocumentId DocumentId, SyntaxNode Node,
    Func<SyntaxNode, SyntaxNode> Rewrite);
