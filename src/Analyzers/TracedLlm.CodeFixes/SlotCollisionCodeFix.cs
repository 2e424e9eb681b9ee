namespace TracedLlm.CodeFixes;

/// <summary>TLLM2005: moves the route's gateway metadata to the <c>litellm_metadata</c> slot.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotCollisionCodeFix)), Shared]
public sealed class SlotCollisionCodeFix() : TracedLlmCodeFix(DiagnosticIds.SlotCollision)
{
    internal const string EquivalenceKey = DiagnosticIds.SlotCollision + ".LiteLlmSlot";

    internal override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken) => SetNamedArgument(document, root, diagnostic,
        "Keep gateway metadata in 'litellm_metadata'", EquivalenceKey, "MetadataSlot",
        SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("litellm_metadata")));
}
