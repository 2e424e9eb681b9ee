using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2001: replaces the hard-coded slot key with the generated constant of the route that reaches the code.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotMismatchCodeFix)), Shared]
public sealed class SlotMismatchCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SlotMismatch);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax key
                || !diagnostic.Properties.TryGetValue(DiagnosticIds.SlotConstantProperty, out var constant) || constant is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Use the route's generated metadata-slot constant",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(key, SyntaxFactory.ParseExpression(constant).WithTriviaFrom(key)))),
                    equivalenceKey: DiagnosticIds.SlotMismatch),
                diagnostic);
        }
    }
}
