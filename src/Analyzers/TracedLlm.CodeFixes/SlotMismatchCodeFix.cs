namespace TracedLlm.CodeFixes;

/// <summary>TLLM2001: replaces the hard-coded slot key with the generated constant of the route that reaches
/// it.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotMismatchCodeFix)), Shared]
public sealed class SlotMismatchCodeFix() : TracedLlmCodeFix(DiagnosticIds.SlotMismatch)
{
    internal const string EquivalenceKey = DiagnosticIds.SlotMismatch + ".SlotConstant";

    internal override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax key
            || !diagnostic.Properties.TryGetValue(DiagnosticIds.SlotConstantProperty, out var constant)
            || constant is null)
        {
            return None();
        }

        // A UTF-8 key ("..."u8) becomes the string constant: every JSON API that takes one takes a string too.
        var replacement = SyntaxFactory.ParseExpression(constant);
        return One(new SyntaxEdit("Use the route's generated metadata-slot constant", EquivalenceKey, document.Id, key,
                node => replacement.WithTriviaFrom(node)));
    }
}
