namespace TracedLlm.CodeFixes;

/// <summary>TLLM2009: answers a body asking for a stream with the handler's JSON (<c>IgnoreStream =
/// true</c>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StreamRefusalCodeFix)), Shared]
public sealed class StreamRefusalCodeFix() : TracedLlmCodeFix(DiagnosticIds.StreamRefused)
{
    internal const string EquivalenceKey = DiagnosticIds.StreamRefused + ".IgnoreStream";

    internal override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken) => SetNamedArgument(document, root, diagnostic,
        "Answer \"stream\": true with the handler's JSON (IgnoreStream = true)", EquivalenceKey, "IgnoreStream",
        SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression));
}
