using Microsoft.CodeAnalysis.Formatting;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2003: ends the Activity with <c>using</c>.</summary>
/// <remarks>A local gets <c>using</c>; a dropped Activity becomes a <c>using</c> local; an expression body that only
/// starts one gets a block body to hold it.</remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SpanLifecycleCodeFix)), Shared]
public sealed class SpanLifecycleCodeFix() : TracedLlmCodeFix(DiagnosticIds.SpanLifecycle)
{
    internal const string EquivalenceKey = DiagnosticIds.SpanLifecycle + ".Using";
    private const string Title = "End the Activity with 'using'";

    internal override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.SpanProblemProperty, out var kind)
            || kind != DiagnosticIds.SpanLifecycleKind
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } start)
        {
            return Array.Empty<SyntaxEdit>();
        }

        SyntaxEdit[] Edit(SyntaxNode node, Func<SyntaxNode, SyntaxNode> rewrite) =>
            new[] { new SyntaxEdit(Title, EquivalenceKey, document.Id, node, rewrite) };

        // The nearest statement or expression body that holds the start decides the shape of the fix.
        var holder = start.FirstAncestorOrSelf<SyntaxNode>(n =>
            n is StatementSyntax or ArrowExpressionClauseSyntax or LambdaExpressionSyntax);

        if (await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model)
        {
            return Array.Empty<SyntaxEdit>();
        }

        // var activity = source.StartActivity(...); -> using var activity = ...; (not for a local written again)
        if (holder is LocalDeclarationStatementSyntax
                {
                    Parent: BlockSyntax or GlobalStatementSyntax, UsingKeyword.RawKind: 0
                } declaration
            && declaration.Declaration.Variables.Count == 1)
        {
            return
                model.GetDeclaredSymbol(declaration.Declaration.Variables[0], cancellationToken) is ILocalSymbol local
                && !WrittenAfterDeclaration(model, declaration, local, cancellationToken)
                ? Edit(declaration, node => AddUsing((LocalDeclarationStatementSyntax)node))
                : Array.Empty<SyntaxEdit>();
        }

        // source.StartActivity(...); or _ = ...; in a block: only when the statement's value is the Activity.
        if (holder is ExpressionStatementSyntax { Parent: BlockSyntax or GlobalStatementSyntax } statement)
        {
            if (!IsActivity(model, Started(statement.Expression), cancellationToken))
            {
                return Array.Empty<SyntaxEdit>();
            }

            var name = LocalName(model, statement, Scope(statement), cancellationToken);
            return Edit(statement, node =>
                UsingDeclaration(Started(((ExpressionStatementSyntax)node).Expression), name).WithTriviaFrom(node));
        }

        // void Record() => source.StartActivity(...);: a new scope, for a body whose Activity is dropped.
        switch (holder)
        {
            case ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax or LocalFunctionStatementSyntax } clause
                when model.GetDeclaredSymbol(clause.Parent!, cancellationToken) is IMethodSymbol { ReturnsVoid: true }
                    && IsActivity(model, Started(clause.Expression), cancellationToken):
                var name = LocalName(model, clause.Parent!, clause.Parent!, cancellationToken);
                var lineBreak = LineBreak(root, SyntaxFactory.LineFeed);
                return Edit(clause.Parent!, node => WithBlockBody(node, name, lineBreak));
            case LambdaExpressionSyntax { ExpressionBody: ExpressionSyntax body } lambda
                when model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { ReturnsVoid: true }
                    && IsActivity(model, Started(body), cancellationToken):
                var lambdaName = LocalName(model, lambda, lambda, cancellationToken);
                return Edit(lambda, node => LambdaWithBlock((LambdaExpressionSyntax)node, lambdaName));
        }

        return Array.Empty<SyntaxEdit>();
    }

    /// <summary>A free name for the local the fix declares at <paramref name="fixedNode"/>.</summary>
    /// <remarks>Fix All declares every such local at once: the earlier ones whose scope meets this one keep their
    /// names out of it.</remarks>
    private static string LocalName(SemanticModel model, SyntaxNode fixedNode, SyntaxNode scope,
        CancellationToken cancellationToken, Dictionary<SyntaxNode, string>? named = null)
    {
        named ??= new Dictionary<SyntaxNode, string>();
        if (named.TryGetValue(fixedNode, out var known))
        {
            return known;
        }

        var member =
            fixedNode.AncestorsAndSelf().FirstOrDefault(n => n is MemberDeclarationSyntax and not GlobalStatementSyntax)
            ?? fixedNode.SyntaxTree.GetRoot(cancellationToken);
        var earlier = member.DescendantNodes()
            .Where(n => n.SpanStart < fixedNode.SpanStart && PendingScope(model, n, cancellationToken) is { } other
                && (other.Span.Contains(scope.Span) || scope.Span.Contains(other.Span)))
            .Select(n => LocalName(model, n, PendingScope(model, n, cancellationToken)!, cancellationToken, named))
            .ToList();
        var position = fixedNode is StatementSyntax ? fixedNode.SpanStart : fixedNode switch
        {
            LambdaExpressionSyntax { ExpressionBody: { } body } => body.SpanStart,
            MethodDeclarationSyntax { ExpressionBody: { } clause } => clause.Expression.SpanStart,
            LocalFunctionStatementSyntax { ExpressionBody: { } clause } => clause.Expression.SpanStart,
            _ => fixedNode.SpanStart,
        };
        return named[fixedNode] = FreeNames.Find(model, position, scope, "activity", earlier);
    }

    /// <summary>The scope of the local this fix would declare at <paramref name="node"/>, or null.</summary>
    private static SyntaxNode? PendingScope(SemanticModel model, SyntaxNode node,
        CancellationToken cancellationToken) =>
        node switch
        {
            ExpressionStatementSyntax { Parent: BlockSyntax or GlobalStatementSyntax } statement
                when DropsAnActivity(statement.Expression)
                    && IsActivity(model, Started(statement.Expression), cancellationToken) => Scope(statement),
            LambdaExpressionSyntax { ExpressionBody: ExpressionSyntax body } lambda
                when DropsAnActivity(body) && IsActivity(model, Started(body), cancellationToken)
                    && model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol { ReturnsVoid: true } =>
                lambda,
            LocalFunctionStatementSyntax { ExpressionBody: { } clause } function
                when DropsAnActivity(clause.Expression)
                    && IsActivity(model, Started(clause.Expression), cancellationToken)
                    && model.GetDeclaredSymbol(function, cancellationToken) is IMethodSymbol { ReturnsVoid: true } =>
                function,
            _ => null,
        };

    /// <summary>Where a local declared by the statement lives: its block, or the file's top-level statements.</summary>
    private static SyntaxNode Scope(StatementSyntax statement) =>
        statement.Parent is GlobalStatementSyntax global ? global.Parent! : statement.Parent!;

    private static bool IsActivity(SemanticModel model, ExpressionSyntax expression,
        CancellationToken cancellationToken) =>
        model.GetTypeInfo(expression, cancellationToken).Type
            is {
                Name: "Activity",
                ContainingNamespace:
                {
                    Name: "Diagnostics",
                    ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true }
                }
            };

    /// <summary>Whether the local is written after its declaration (a using local cannot be).</summary>
    private static bool WrittenAfterDeclaration(SemanticModel model, LocalDeclarationStatementSyntax declaration,
        ILocalSymbol local, CancellationToken cancellationToken) =>
        Scope(declaration).DescendantNodes().OfType<IdentifierNameSyntax>()
            .Any(identifier => identifier.Identifier.ValueText == local.Name && IsWritten(identifier)
                && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol,
                    local));

    private static bool IsWritten(ExpressionSyntax expression)
    {
        // Through parentheses and the elements of a deconstruction: (activity, other) = ...
        while (expression.Parent
                is ParenthesizedExpressionSyntax
                    or ArgumentSyntax { Parent: TupleExpressionSyntax, RefKindKeyword.RawKind: 0 }
                    or TupleExpressionSyntax)
        {
            expression = expression.Parent is ArgumentSyntax argument ? (ExpressionSyntax)argument.Parent!
                : (ExpressionSyntax)expression.Parent;
        }

        return expression.Parent switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left == expression,
            PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax => expression.Parent.Kind()
                is SyntaxKind.PreIncrementExpression or SyntaxKind.PreDecrementExpression
                    or SyntaxKind.PostIncrementExpression or SyntaxKind.PostDecrementExpression,
            ArgumentSyntax argument => argument.RefKindKeyword.Kind() is SyntaxKind.RefKeyword or SyntaxKind.OutKeyword,
            RefExpressionSyntax => true,
            _ => false,
        };
    }

    private static LocalDeclarationStatementSyntax AddUsing(LocalDeclarationStatementSyntax declaration)
    {
        var first = declaration.GetFirstToken();
        var usingKeyword = SyntaxFactory.Token(first.LeadingTrivia, SyntaxKind.UsingKeyword,
            SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration.ReplaceToken(first, first.WithLeadingTrivia()).WithUsingKeyword(usingKeyword);
    }

    /// <summary><c>using var name = started;</c>, laid out with single spaces.</summary>
    private static LocalDeclarationStatementSyntax UsingDeclaration(ExpressionSyntax started, string name)
    {
        var parsed = (LocalDeclarationStatementSyntax)SyntaxFactory.ParseStatement($"using var {name} = _;");
        return parsed.ReplaceNode(parsed.Declaration.Variables[0].Initializer!.Value, started.WithoutTrivia());
    }

    private static ExpressionSyntax Started(ExpressionSyntax expression) =>
        expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard
            ? discard.Right : expression;

    /// <summary>The member with a block body holding the using local, laid out with the file's line breaks.</summary>
    private static SyntaxNode WithBlockBody(SyntaxNode member, string name, SyntaxTrivia lineBreak)
    {
        var (clause, semicolon) = member switch
        {
            MethodDeclarationSyntax method => (method.ExpressionBody!, method.SemicolonToken),
            LocalFunctionStatementSyntax local => (local.ExpressionBody!, local.SemicolonToken),
            _ => (null!, default),
        };
        var indentation = Indentation(member.GetLeadingTrivia());
        var body = SyntaxFactory.Block(
            SyntaxFactory.Token(indentation, SyntaxKind.OpenBraceToken, SyntaxFactory.TriviaList(lineBreak)),
            SyntaxFactory.SingletonList<StatementSyntax>(
                UsingDeclaration(Started(clause.Expression), name).WithLeadingTrivia(Deeper(indentation))
                    .WithTrailingTrivia(lineBreak)),
            SyntaxFactory.Token(indentation, SyntaxKind.CloseBraceToken, semicolon.TrailingTrivia));

        // The token before '=>' ends its line.
        var beforeArrow = clause.ArrowToken.GetPreviousToken();
        member = member.ReplaceToken(beforeArrow, beforeArrow.WithTrailingTrivia(lineBreak));
        return member switch
        {
            MethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(body),
            LocalFunctionStatementSyntax local => local.WithExpressionBody(null).WithSemicolonToken(default)
                .WithBody(body),
            _ => member,
        };
    }

    private static LambdaExpressionSyntax LambdaWithBlock(LambdaExpressionSyntax lambda, string name) => lambda
            .WithExpressionBody(null)
            .WithBlock(SyntaxFactory.Block(UsingDeclaration(Started((ExpressionSyntax)lambda.ExpressionBody!), name))
                    .WithAdditionalAnnotations(Formatter.Annotation));

    private static bool DropsAnActivity(ExpressionSyntax expression) =>
        expression.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(i =>
            i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" or "Start" });
}
