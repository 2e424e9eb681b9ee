using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2008: in the failure's branch, the hand-written answer becomes a throw of an
/// <c>UpstreamException</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnthrownFailureCodeFix)), Shared]
public sealed class UnthrownFailureCodeFix() : TracedLlmCodeFix(DiagnosticIds.UnthrownFailure)
{
    internal const string EquivalenceKey = DiagnosticIds.UnthrownFailure + ".Throw";

    internal override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(
        Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var properties = diagnostic.Properties;
        if (!properties.TryGetValue(DiagnosticIds.ThrownProperty, out var thrown) || thrown is null
            || !properties.TryGetValue(DiagnosticIds.ThrowFromProperty, out var text)
            || !int.TryParse(text, out var from)
            || root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<IfStatementSyntax>() is not { } test
            || (properties[DiagnosticIds.FailureBranchProperty] == "true" ? test.Statement : test.Else?.Statement)
                is not { } branch)
        {
            return None();
        }

        const string Title = "Throw an UpstreamException instead of answering by hand";
        return One(new SyntaxEdit(Title, EquivalenceKey, document.Id, branch, node =>
            {
                var statements = node is BlockSyntax block ? block.Statements
                    : SyntaxFactory.SingletonList((StatementSyntax)node);
                var parsed = SyntaxFactory.ParseStatement($"throw {thrown};");
                var @throw = parsed.ReplaceNodes(parsed.DescendantNodes().OfType<QualifiedNameSyntax>(),
                    (_, name) => name.WithAdditionalAnnotations(Simplifier.Annotation))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                var kept = SyntaxFactory.List(statements.Take(from).Append(@throw));
                return (node as BlockSyntax ?? SyntaxFactory.Block().WithAdditionalAnnotations(Formatter.Annotation))
                    .WithStatements(kept).WithTriviaFrom(node);
            }));
    }
}
