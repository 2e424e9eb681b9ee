using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2003: declares the local that holds a started Activity with <c>using</c>, so it ends on every path.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SpanLifecycleCodeFix)), Shared]
public sealed class SpanLifecycleCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SpanLifecycle);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticIds.SpanProblemProperty, out var kind) || kind != "lifecycle"
                || root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is not { } declaration
                || declaration.UsingKeyword != default
                || declaration.Parent is not BlockSyntax)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "End the Activity with 'using'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(declaration, AddUsing(declaration)))),
                    equivalenceKey: DiagnosticIds.SpanLifecycle),
                diagnostic);
        }
    }

    private static LocalDeclarationStatementSyntax AddUsing(LocalDeclarationStatementSyntax declaration)
    {
        var first = declaration.GetFirstToken();
        var usingKeyword = SyntaxFactory.Token(first.LeadingTrivia, SyntaxKind.UsingKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration
            .ReplaceToken(first, first.WithLeadingTrivia())
            .WithUsingKeyword(usingKeyword);
    }
}
