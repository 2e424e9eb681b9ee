using System.Composition;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2005: moves the route's gateway metadata to the <c>litellm_metadata</c> slot.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotCollisionCodeFix)), Shared]
public sealed class SlotCollisionCodeFix() : TracedLlmCodeFix(DiagnosticIds.SlotCollision)
{
    internal const string EquivalenceKey = DiagnosticIds.SlotCollision + ".LiteLlmSlot";
    private const string SlotArgument = "MetadataSlot";

    private protected override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute
            ? One(new SyntaxEdit("Keep gateway metadata in 'litellm_metadata'", EquivalenceKey, document.Id, attribute,
                    node => WithLiteLlmSlot((AttributeSyntax)node)))
            : None();

    private static AttributeSyntax WithLiteLlmSlot(AttributeSyntax attribute)
    {
        var value = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression,
            SyntaxFactory.Literal("litellm_metadata"));
        return WithNamedArgument(attribute, SlotArgument, value);
    }
}
