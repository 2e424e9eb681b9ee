using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2005: moves the route's gateway metadata to the <c>litellm_metadata</c> slot.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotCollisionCodeFix)), Shared]
public sealed class SlotCollisionCodeFix : TracedLlmCodeFix
{
    internal const string EquivalenceKey = DiagnosticIds.SlotCollision + ".LiteLlmSlot";
    private const string SlotArgument = "MetadataSlot";

    /// <summary>Creates the fix.</summary>
    public SlotCollisionCodeFix()
        : base(DiagnosticIds.SlotCollision)
    {
    }

    private protected override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute
            ? One(new SyntaxEdit("Keep gateway metadata in 'litellm_metadata'", EquivalenceKey, document.Id, attribute, node => WithLiteLlmSlot((AttributeSyntax)node)))
            : None();

    private static AttributeSyntax WithLiteLlmSlot(AttributeSyntax attribute)
    {
        var value = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("litellm_metadata"));
        return WithNamedArgument(attribute, SlotArgument, value);
    }
}
