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

/// <summary>TLLM2005: moves the route's gateway metadata to the <c>litellm_metadata</c> slot.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SlotCollisionCodeFix)), Shared]
public sealed class SlotCollisionCodeFix : CodeFixProvider
{
    private const string SlotArgument = "MetadataSlot";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SlotCollision);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    "Keep gateway metadata in 'litellm_metadata'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(attribute, WithLiteLlmSlot(attribute)))),
                    equivalenceKey: DiagnosticIds.SlotCollision),
                diagnostic);
        }
    }

    private static AttributeSyntax WithLiteLlmSlot(AttributeSyntax attribute)
    {
        var value = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal("litellm_metadata"));
        var arguments = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        var existing = arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == SlotArgument);
        if (existing is not null)
        {
            return attribute.WithArgumentList(arguments.ReplaceNode(existing, existing.WithExpression(value.WithTriviaFrom(existing.Expression))));
        }

        var named = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(SlotArgument)),
            nameColon: null,
            value);
        return attribute.WithArgumentList(arguments.AddArguments(named));
    }
}
