using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2001: replaces the hard-coded slot key with the generated constant of the route that reaches the code.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotMismatchCodeFix)), Shared]
public sealed class SlotMismatchCodeFix : TracedLlmCodeFix
{
    /// <summary>Creates the fix.</summary>
    public SlotMismatchCodeFix()
        : base(DiagnosticIds.SlotMismatch)
    {
    }

    private protected override Task<Fix?> CreateFixAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult(
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is ExpressionSyntax key
            && diagnostic.Properties.TryGetValue(DiagnosticIds.SlotConstantProperty, out var constant) && constant is not null
                ? Replace("Use the route's generated metadata-slot constant", document, root, key, SyntaxFactory.ParseExpression(constant).WithTriviaFrom(key))
                : null);
}
