using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2002: when the thrown type is declared in source, derives it from a type the failure filter accepts.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FailurePathCodeFix)), Shared]
public sealed class FailurePathCodeFix : TracedLlmCodeFix
{
    /// <summary>Creates the fix.</summary>
    public FailurePathCodeFix()
        : base(DiagnosticIds.FailurePathEscape)
    {
    }

    private protected override async Task<Fix?> CreateFixAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.AcceptedTypeProperty, out var accepted) || accepted is null
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
            || ThrownExpression(node) is not { } thrown
            || model?.GetTypeInfo(thrown, cancellationToken).Type is not INamedTypeSymbol type
            || await BaseTypeDeclarationAsync(document.Project.Solution, type, cancellationToken).ConfigureAwait(false) is not { } baseType)
        {
            return null;
        }

        return new Fix($"Derive '{type.Name}' from '{accepted}'", ct => DeriveAsync(document.Project.Solution, baseType, accepted, ct));
    }

    private static ExpressionSyntax? ThrownExpression(SyntaxNode node) => node.FirstAncestorOrSelf<SyntaxNode>(n => n is ThrowStatementSyntax or ThrowExpressionSyntax) switch
    {
        ThrowStatementSyntax statement => statement.Expression,
        ThrowExpressionSyntax expression => expression.Expression,
        _ => null,
    };

    /// <summary>The base-class entry of the type's declaration in source (for a partial type, the part that names the base class).</summary>
    private static async Task<BaseTypeSyntax?> BaseTypeDeclarationAsync(Solution solution, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is ClassDeclarationSyntax { BaseList.Types: { Count: > 0 } types }
                && solution.GetDocument(reference.SyntaxTree) is { } document
                && await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is { } model
                && model.GetTypeInfo(types[0].Type, cancellationToken).Type is { TypeKind: TypeKind.Class })
            {
                return types[0];
            }
        }

        return null;
    }

    private static async Task<Solution> DeriveAsync(Solution solution, BaseTypeSyntax baseType, string accepted, CancellationToken cancellationToken)
    {
        var document = solution.GetDocument(baseType.SyntaxTree);
        if (document is null || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
        {
            return solution;
        }

        // Replace the base class; interfaces after it stay.
        var replacement = SyntaxFactory.SimpleBaseType(SyntaxFactory.ParseTypeName(accepted).WithAdditionalAnnotations(Simplifier.Annotation)).WithTriviaFrom(baseType);
        return solution.WithDocumentSyntaxRoot(document.Id, root.ReplaceNode(baseType, replacement));
    }
}
