using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2002: when the thrown type is declared in source, derives it from a type the failure filter accepts.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FailurePathCodeFix)), Shared]
public sealed class FailurePathCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FailurePathEscape);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticIds.AcceptedTypeProperty, out var accepted) || accepted is null
                || root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
                || ThrownExpression(node) is not { } thrown
                || model?.GetTypeInfo(thrown, context.CancellationToken).Type is not INamedTypeSymbol type
                || type.DeclaringSyntaxReferences.FirstOrDefault() is not { } declaration)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Derive '{type.Name}' from '{accepted}'",
                    ct => DeriveAsync(context.Document.Project.Solution, declaration, accepted, ct),
                    equivalenceKey: DiagnosticIds.FailurePathEscape),
                diagnostic);
        }
    }

    private static ExpressionSyntax? ThrownExpression(SyntaxNode node) => node.FirstAncestorOrSelf<SyntaxNode>(n => n is ThrowStatementSyntax or ThrowExpressionSyntax) switch
    {
        ThrowStatementSyntax statement => statement.Expression,
        ThrowExpressionSyntax expression => expression.Expression,
        _ => null,
    };

    private static async Task<Solution> DeriveAsync(Solution solution, SyntaxReference declaration, string accepted, CancellationToken cancellationToken)
    {
        var document = solution.GetDocument(declaration.SyntaxTree);
        if (document is null || await declaration.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not ClassDeclarationSyntax @class)
        {
            return solution;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var baseType = SyntaxFactory.SimpleBaseType(SyntaxFactory.ParseTypeName(accepted).WithAdditionalAnnotations(Simplifier.Annotation));
        ClassDeclarationSyntax updated;
        if (@class.BaseList is { Types.Count: > 0 } list
            && model?.GetTypeInfo(list.Types[0].Type, cancellationToken).Type is { TypeKind: TypeKind.Class })
        {
            // Replace the current base class; interfaces stay.
            updated = @class.WithBaseList(list.WithTypes(list.Types.Replace(list.Types[0], baseType.WithTriviaFrom(list.Types[0]))));
        }
        else if (@class.BaseList is { } interfaces)
        {
            updated = @class.WithBaseList(interfaces.WithTypes(interfaces.Types.Insert(0, baseType)));
        }
        else
        {
            // `class X` becomes `class X : Accepted`; what followed the name (a line break) follows the base list.
            var nameEnd = @class.TypeParameterList?.GreaterThanToken ?? @class.Identifier;
            var colon = SyntaxFactory.Token(SyntaxKind.ColonToken).WithTrailingTrivia(SyntaxFactory.Space);
            updated = @class.ReplaceToken(nameEnd, nameEnd.WithTrailingTrivia(SyntaxFactory.Space));
            updated = updated.WithBaseList(SyntaxFactory.BaseList(colon, SyntaxFactory.SingletonSeparatedList<BaseTypeSyntax>(baseType)).WithTrailingTrivia(nameEnd.TrailingTrivia));
        }

        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return solution.WithDocumentSyntaxRoot(document.Id, root!.ReplaceNode(@class, updated));
    }
}
