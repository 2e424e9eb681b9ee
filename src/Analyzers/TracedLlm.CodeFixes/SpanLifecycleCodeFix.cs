using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2003: declares the local that holds a started Activity with <c>using</c>, so it ends on every path.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SpanLifecycleCodeFix)), Shared]
public sealed class SpanLifecycleCodeFix : TracedLlmCodeFix
{
    /// <summary>Creates the fix.</summary>
    public SpanLifecycleCodeFix()
        : base(DiagnosticIds.SpanLifecycle)
    {
    }

    private protected override Task<Fix?> CreateFixAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult(
            diagnostic.Properties.TryGetValue(DiagnosticIds.SpanProblemProperty, out var kind) && kind == "lifecycle"
            && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is { Parent: BlockSyntax } declaration
            && declaration.UsingKeyword == default
                ? Replace("End the Activity with 'using'", document, root, declaration, AddUsing(declaration))
                : null);

    private static LocalDeclarationStatementSyntax AddUsing(LocalDeclarationStatementSyntax declaration)
    {
        var first = declaration.GetFirstToken();
        var usingKeyword = SyntaxFactory.Token(first.LeadingTrivia, SyntaxKind.UsingKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration
            .ReplaceToken(first, first.WithLeadingTrivia())
            .WithUsingKeyword(usingKeyword);
    }
}
