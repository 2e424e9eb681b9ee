using System.Composition;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2009: answers a body asking for a stream with the handler's JSON (<c>IgnoreStream =
/// true</c>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StreamRefusalCodeFix)), Shared]
public sealed class StreamRefusalCodeFix() : TracedLlmCodeFix(DiagnosticIds.StreamRefused)
{
    internal const string EquivalenceKey = DiagnosticIds.StreamRefused + ".IgnoreStream";
    private const string Argument = "IgnoreStream";

    private protected override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(
        Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute
            ? One(new SyntaxEdit(
                "Answer \"stream\": true with the handler's JSON (IgnoreStream = true)",
                EquivalenceKey,
                document.Id,
                attribute,
                node => WithIgnoreStream((AttributeSyntax)node)))
            : None();

    private static AttributeSyntax WithIgnoreStream(AttributeSyntax attribute) =>
        WithNamedArgument(attribute, Argument, SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression));
}
