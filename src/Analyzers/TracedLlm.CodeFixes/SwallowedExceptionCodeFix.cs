using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2004: rethrows at the end of the catch, so the failure reaches the pipeline's failure path.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SwallowedExceptionCodeFix)), Shared]
public sealed class SwallowedExceptionCodeFix : TracedLlmCodeFix
{
    /// <summary>Creates the fix.</summary>
    public SwallowedExceptionCodeFix()
        : base(DiagnosticIds.SwallowedException)
    {
    }

    private protected override Task<Fix?> CreateFixAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult(
            root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is CatchClauseSyntax @catch
                ? Replace("Rethrow to the failure path", document, root, @catch.Block, @catch.Block.AddStatements(SyntaxFactory.ThrowStatement().WithAdditionalAnnotations(Formatter.Annotation)))
                : null);
}
