using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2004: rethrows at the end of the catch, so the failure reaches the pipeline's failure path.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SwallowedExceptionCodeFix)), Shared]
public sealed class SwallowedExceptionCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SwallowedException);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not CatchClauseSyntax @catch)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Rethrow to the failure path",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(
                        @catch.Block,
                        @catch.Block.AddStatements(SyntaxFactory.ThrowStatement().WithAdditionalAnnotations(Formatter.Annotation))))),
                    equivalenceKey: DiagnosticIds.SwallowedException),
                diagnostic);
        }
    }
}
