using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace TracedLlm.CodeFixes;

/// <summary>
/// TLLM2003: ends the Activity with <c>using</c>. A local gets <c>using</c>; a started-and-dropped
/// Activity (a statement, or <c>_ = ...</c>) becomes a <c>using</c> local; an expression-bodied
/// method, local function or lambda that only starts one gets a block body to hold it. Top-level
/// statements are blocks too.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SpanLifecycleCodeFix)), Shared]
public sealed class SpanLifecycleCodeFix : TracedLlmCodeFix
{
    internal const string EquivalenceKey = DiagnosticIds.SpanLifecycle + ".Using";
    private const string Title = "End the Activity with 'using'";

    /// <summary>Creates the fix.</summary>
    public SpanLifecycleCodeFix()
        : base(DiagnosticIds.SpanLifecycle)
    {
    }

    private protected override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.SpanProblemProperty, out var kind) || kind != DiagnosticIds.SpanLifecycleKind
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } start)
        {
            return System.Array.Empty<SyntaxEdit>();
        }

        // The nearest statement or expression body that holds the start decides the shape of the fix.
        var holder = start.FirstAncestorOrSelf<SyntaxNode>(n => n is StatementSyntax or ArrowExpressionClauseSyntax or LambdaExpressionSyntax);

        // var activity = source.StartActivity(...);  ->  using var activity = ...;
        if (holder is LocalDeclarationStatementSyntax { Parent: BlockSyntax or GlobalStatementSyntax, UsingKeyword.RawKind: 0 } declaration
            && declaration.Declaration.Variables.Count == 1)
        {
            return new[] { new SyntaxEdit(Title, EquivalenceKey, document.Id, declaration, node => AddUsing((LocalDeclarationStatementSyntax)node)) };
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null)
        {
            return System.Array.Empty<SyntaxEdit>();
        }

        // source.StartActivity(...);  or  _ = source.StartActivity(...);  in a block.
        if (holder is ExpressionStatementSyntax { Parent: BlockSyntax or GlobalStatementSyntax } statement)
        {
            // Fix All turns every such statement of the block into a local: each takes the next free name.
            var earlier = statement.Parent is BlockSyntax block ? block.Statements.TakeWhile(s => s != statement).Count(DropsAnActivity) : 0;
            var name = FreeName(model, start.SpanStart, earlier);
            return new[] { new SyntaxEdit(Title, EquivalenceKey, document.Id, statement, node => UsingLocal((ExpressionStatementSyntax)node, name)) };
        }

        // void Record() => source.StartActivity(...);  and  () => source.StartActivity(...): a new scope.
        var name2 = "activity";
        switch (holder)
        {
            case ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax or LocalFunctionStatementSyntax } clause:
                return new[] { new SyntaxEdit(Title, EquivalenceKey, document.Id, clause.Parent!, node => WithBlockBody(node, name2)) };
            case LambdaExpressionSyntax { ExpressionBody: { } } lambda:
                return new[] { new SyntaxEdit(Title, EquivalenceKey, document.Id, lambda, node => LambdaWithBlock((LambdaExpressionSyntax)node, name2)) };
        }

        return System.Array.Empty<SyntaxEdit>();
    }

    private static LocalDeclarationStatementSyntax AddUsing(LocalDeclarationStatementSyntax declaration)
    {
        var first = declaration.GetFirstToken();
        var usingKeyword = SyntaxFactory.Token(first.LeadingTrivia, SyntaxKind.UsingKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration.ReplaceToken(first, first.WithLeadingTrivia()).WithUsingKeyword(usingKeyword);
    }

    private static LocalDeclarationStatementSyntax UsingDeclaration(ExpressionSyntax started, string name) =>
        SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName(SyntaxFactory.Identifier(SyntaxFactory.TriviaList(), "var", SyntaxFactory.TriviaList(SyntaxFactory.Space))),
                    SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(SyntaxFactory.TriviaList(), name, SyntaxFactory.TriviaList(SyntaxFactory.Space)))
                        .WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.Token(SyntaxKind.EqualsToken).WithTrailingTrivia(SyntaxFactory.Space), started.WithoutTrivia())))))
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithTrailingTrivia(SyntaxFactory.Space));

    private static ExpressionSyntax Started(ExpressionSyntax expression) =>
        expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard ? discard.Right : expression;

    private static LocalDeclarationStatementSyntax UsingLocal(ExpressionStatementSyntax statement, string name) =>
        UsingDeclaration(Started(statement.Expression), name).WithTriviaFrom(statement);

    private static SyntaxNode WithBlockBody(SyntaxNode member, string name)
    {
        var (clause, semicolon) = member switch
        {
            MethodDeclarationSyntax method => (method.ExpressionBody!, method.SemicolonToken),
            LocalFunctionStatementSyntax local => (local.ExpressionBody!, local.SemicolonToken),
            _ => (null!, default),
        };
        var body = SyntaxFactory.Block(UsingDeclaration(Started(clause.Expression), name)).WithAdditionalAnnotations(Formatter.Annotation).WithTrailingTrivia(semicolon.TrailingTrivia);
        return member switch
        {
            MethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
            LocalFunctionStatementSyntax local => local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
            _ => member,
        };
    }

    private static LambdaExpressionSyntax LambdaWithBlock(LambdaExpressionSyntax lambda, string name) =>
        lambda.WithExpressionBody(null).WithBlock(SyntaxFactory.Block(UsingDeclaration(Started((ExpressionSyntax)lambda.ExpressionBody!), name)).WithAdditionalAnnotations(Formatter.Annotation));

    private static bool DropsAnActivity(StatementSyntax statement) =>
        statement is ExpressionStatementSyntax expression && expression.Expression.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(i =>
            i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" or "Start" });

    /// <summary>"activity", or "activity2", "activity3"... : the first name not taken where the local goes, after skipping <paramref name="skip"/> free ones.</summary>
    private static string FreeName(SemanticModel model, int position, int skip)
    {
        var taken = new HashSet<string>(model.LookupSymbols(position).Select(s => s.Name));
        for (var i = 1; ; i++)
        {
            var name = i == 1 ? "activity" : "activity" + i;
            if (!taken.Contains(name) && skip-- == 0)
            {
                return name;
            }
        }
    }
}
