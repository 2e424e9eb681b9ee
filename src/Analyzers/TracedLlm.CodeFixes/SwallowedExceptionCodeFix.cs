using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2004 and TLLM2007, three fixes: record the handled failure, rethrow, or declare it designed.</summary>
/// <remarks>
/// Recording (<c>call.RecordHandledFailure(exception)</c>) keeps the recovery and is preferred where an <c>LlmCall</c>
/// is in scope. The rethrow covers every way out of the catch (a jump is replaced by <c>throw;</c>) or is not offered.
/// The declaration, <c>[FailureHandledByDesign("...")]</c>, is for a designed skip or fallback.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SwallowedExceptionCodeFix)), Shared]
public sealed class SwallowedExceptionCodeFix()
    : TracedLlmCodeFix(DiagnosticIds.SwallowedException, DiagnosticIds.HandledWithoutRecord)
{
    /// <summary>The equivalence key of the "record the handled failure" fix.</summary>
    public const string RecordKey = DiagnosticIds.SwallowedException + ".Record";
    /// <summary>The equivalence key of the rethrow fix.</summary>
    public const string RethrowKey = DiagnosticIds.SwallowedException + ".Rethrow";
    /// <summary>The equivalence key of the fix that declares the failure handled by design.</summary>
    public const string DeclareKey = DiagnosticIds.SwallowedException + ".HandledByDesign";

    /// <summary>The reason the declaration is given, for its author to replace.</summary>
    internal const string ReasonToWrite = "TODO: say why this failure needs no record";

    internal override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var edits = new List<SyntaxEdit>();
        if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not CatchClauseSyntax @catch
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model)
        {
            return edits;
        }

        var position = @catch.Block.OpenBraceToken.Span.End;
        if (LlmCallInScope(model, @catch, position) is { } call)
        {
            var variable = @catch.Declaration?.Identifier.ValueText is { Length: > 0 } declared ? declared
                : VariableName(model, @catch);
            edits.Add(new SyntaxEdit("Record the handled failure on the span (LlmCall.RecordHandledFailure)", RecordKey,
                    document.Id, @catch, node => Record((CatchClauseSyntax)node, call, variable)));
        }

        // The rethrow covers every way out of the catch, or it is not offered: a catch that also leaves by another
        // return, break, continue or goto would still recover there.
        var statements = @catch.Block.Statements;
        var flow = statements.Count == 0 ? null : model.AnalyzeControlFlow(statements.First(), statements.Last());
        if (statements.Count == 0 || flow is { Succeeded: true, EndPointIsReachable: true, ExitPoints.Length: 0 })
        {
            edits.Add(new SyntaxEdit("Rethrow to the failure path", RethrowKey, document.Id, @catch,
                    node => AppendRethrow((CatchClauseSyntax)node)));
        }
        else if (statements.Last() is ReturnStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax
            && flow is { Succeeded: true, EndPointIsReachable: false, ExitPoints.Length: 1 }
            && flow.ExitPoints[0] == statements.Last())
        {
            edits.Add(
                new SyntaxEdit("Rethrow to the failure path instead of recovering", RethrowKey, document.Id, @catch,
                    node => ReplaceJump((CatchClauseSyntax)node)));
        }

        // A field's initializer has no member to carry the declaration.
        if (@catch.Ancestors().FirstOrDefault(n => n is LocalFunctionStatementSyntax or AccessorDeclarationSyntax
                or BaseMethodDeclarationSyntax or PropertyDeclarationSyntax) is { } member)
        {
            edits.Add(new SyntaxEdit("Declare the failure handled by design ([FailureHandledByDesign])", DeclareKey,
                    document.Id, member, Declare));
        }

        return edits;
    }

    /// <summary><c>[FailureHandledByDesign("...")]</c> on its own line above the member, after its
    /// documentation.</summary>
    private static SyntaxNode Declare(SyntaxNode member)
    {
        var first = member.GetFirstToken();
        var attribute = SyntaxFactory
            .AttributeList(SyntaxFactory.SingletonSeparatedList(
                    SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::TracedLlm.FailureHandledByDesign")
                            .WithAdditionalAnnotations(Simplifier.Annotation),
                        SyntaxFactory.ParseAttributeArgumentList($"(\"{ReasonToWrite}\")"))))
            .WithLeadingTrivia(first.LeadingTrivia)
            .WithTrailingTrivia(LineBreak(member, SyntaxFactory.ElasticLineFeed));
        var rest = member.ReplaceToken(first, first.WithLeadingTrivia(Indentation(first.LeadingTrivia)));
        return rest switch
        {
            MemberDeclarationSyntax method => method.WithAttributeLists(method.AttributeLists.Insert(0, attribute)),
            LocalFunctionStatementSyntax local => local.WithAttributeLists(local.AttributeLists.Insert(0, attribute)),
            AccessorDeclarationSyntax accessor => accessor.WithAttributeLists(
                accessor.AttributeLists.Insert(0, attribute)),
            _ => member,
        };
    }

    /// <summary>A free name for the exception of a catch that has none (not an outer catch's new one).</summary>
    private static string VariableName(SemanticModel model, CatchClauseSyntax @catch)
    {
        var outer = @catch.Ancestors().OfType<CatchClauseSyntax>()
            .Where(c => c.Declaration is not { Identifier.RawKind: not 0 }
                && LlmCallInScope(model, c, c.Block.OpenBraceToken.Span.End) is not null)
            .Select(c => VariableName(model, c));
        return FreeNames.Find(model, @catch.Block.OpenBraceToken.Span.End, @catch, "exception", outer);
    }

    /// <summary>The name of an <c>LlmCall</c> the catch can use: a local, a parameter, a member, a primary
    /// constructor's parameter.</summary>
    /// <remarks>A member only in an instance member of its type; nothing captured into a static function.</remarks>
    private static string? LlmCallInScope(SemanticModel model, CatchClauseSyntax @catch, int position)
    {
        // The functions around the catch, innermost first: lambdas and local functions, then the member.
        var functions = new List<ISymbol>();
        for (var symbol = model.GetEnclosingSymbol(position); symbol is not null; symbol = symbol.ContainingSymbol)
        {
            functions.Add(symbol);
            if (symbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
            {
                break;
            }
        }

        var member = functions.LastOrDefault();
        var inStaticFunction = functions.Take(functions.Count - 1).Any(f => f.IsStatic);
        var instance = !inStaticFunction && member is IMethodSymbol { IsStatic: false };
        DataFlowAnalysis? flow = null;

        // A local or a parameter of the method first, then a field or property, then a primary constructor's parameter.
        var usable = new List<(int Rank, string Name)>();
        foreach (var symbol in model.LookupSymbols(position))
        {
            var (type, rank, fits) = symbol switch
            {
                ILocalSymbol local => (local.Type, 0,
                    Captured(local.ContainingSymbol) && DeclaredBefore(local) && AssignedOnEntry(local)),
                IParameterSymbol parameter
                    when functions.Contains(parameter.ContainingSymbol, SymbolEqualityComparer.Default) =>
                    (parameter.Type, 0, Captured(parameter.ContainingSymbol)),
                IParameterSymbol parameter => (parameter.Type, 2, instance
                        && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol.ContainingType,
                            member?.ContainingType)
                        && !Initializes(parameter)),
                IFieldSymbol field => (field.Type, 1, field.IsStatic || (instance && OfThis(field))),
                IPropertySymbol { IsIndexer: false } property => (property.Type, 1,
                    property.IsStatic || (instance && OfThis(property))),
                _ => (null, 0, false),
            };
            if (fits && type?.ToDisplayString() == "TracedLlm.LlmCall")
            {
                usable.Add((rank, symbol.Name));
            }
        }

        return usable.Count == 0 ? null : usable.OrderBy(u => u.Rank).First().Name;

        // A primary constructor's parameter that is also the value of a member's initializer or of a base argument
        // would be kept twice once captured (warnings CS9124, CS9107): that member is used instead.
        bool Initializes(IParameterSymbol parameter) => parameter.ContainingType
                .DeclaringSyntaxReferences.Select(r => r.GetSyntax())
                .Any(declaration => declaration.DescendantNodes()
                        .Select(n => n switch
                            {
                                EqualsValueClauseSyntax
                                {
                                    Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax }
                                        or PropertyDeclarationSyntax
                                } initializer => initializer.Value,
                                ArgumentSyntax { Parent.Parent: PrimaryConstructorBaseTypeSyntax } argument =>
                                    argument.Expression,
                                _ => null,
                            })
                        .Any(value => Bare(value) is IdentifierNameSyntax identifier
                            && identifier.Identifier.ValueText == parameter.Name
                            && SymbolEqualityComparer.Default.Equals(
                                model.Compilation.GetSemanticModel(identifier.SyntaxTree).GetSymbolInfo(identifier)
                                    .Symbol,
                                parameter)));

        // The value itself, out of parentheses and '!'.
        static ExpressionSyntax? Bare(ExpressionSyntax? value)
        {
            while (value
                    is ParenthesizedExpressionSyntax
                        or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression })
            {
                value = value is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression
                    : ((PostfixUnaryExpressionSyntax)value).Operand;
            }

            return value;
        }

        // A local or parameter of an outer function is usable unless a static lambda or local function lies between.
        bool Captured(ISymbol owner)
        {
            var index = functions.FindIndex(f => SymbolEqualityComparer.Default.Equals(f, owner));
            return index >= 0 && !functions.Take(index).Any(f => f.IsStatic);
        }

        bool DeclaredBefore(ILocalSymbol local) => local.DeclaringSyntaxReferences.All(r =>
                r.SyntaxTree == @catch.SyntaxTree && r.Span.End <= @catch.SpanStart);

        bool AssignedOnEntry(ILocalSymbol local)
        {
            flow ??= model.AnalyzeDataFlow(@catch.Block);
            return flow is { Succeeded: true }
                && flow.DefinitelyAssignedOnEntry.Contains(local, SymbolEqualityComparer.Default);
        }

        bool OfThis(ISymbol instanceMember) => DerivesFrom(member?.ContainingType, instanceMember.ContainingType);
    }

    private static CatchClauseSyntax Record(CatchClauseSyntax @catch, string call, string variable)
    {
        // Tokens with trivia of their own, none elastic: the formatter would lay the catch's lines out again.
        var identifier = SyntaxFactory.Identifier(SyntaxTriviaList.Empty, variable, SyntaxTriviaList.Empty);
        var declaration = @catch.Declaration switch
        {
            null => SyntaxFactory.CatchDeclaration(
                SyntaxFactory.Token(SyntaxTriviaList.Empty, SyntaxKind.OpenParenToken, SyntaxTriviaList.Empty),
                SyntaxFactory.ParseTypeName("global::System.Exception")
                    .WithAdditionalAnnotations(Simplifier.Annotation).WithTrailingTrivia(SyntaxFactory.Space),
                identifier,
                SyntaxFactory.Token(SyntaxTriviaList.Empty, SyntaxKind.CloseParenToken, SyntaxTriviaList.Empty)),
            { Identifier.RawKind: 0 } typed => typed.WithType(typed.Type.WithTrailingTrivia(SyntaxFactory.Space))
                .WithIdentifier(identifier.WithTrailingTrivia(typed.Type.GetTrailingTrivia())),
            var existing => existing,
        };
        var withDeclaration = @catch.Declaration is null
            ? @catch.WithCatchKeyword(@catch.CatchKeyword.WithTrailingTrivia(SyntaxFactory.Space))
                .WithDeclaration(declaration.WithTrailingTrivia(@catch.CatchKeyword.TrailingTrivia))
            : @catch.WithDeclaration(declaration);
        var record = SyntaxFactory.ParseStatement($"{call}.RecordHandledFailure({variable});");
        return withDeclaration.WithBlock(Insert(withDeclaration.Block, 0, record));
    }

    private static CatchClauseSyntax AppendRethrow(CatchClauseSyntax @catch) =>
        @catch.WithBlock(Insert(@catch.Block, @catch.Block.Statements.Count, Rethrow()));

    /// <summary><c>throw;</c> with no elastic trivia, so the formatter does not lay its line out again.</summary>
    private static StatementSyntax Rethrow() => SyntaxFactory.ParseStatement("throw;");

    /// <summary>Inserts a statement laid out like the block, with its line breaks and indentation.</summary>
    /// <remarks>At the end it goes after the directives and comments that close the block.</remarks>
    private static BlockSyntax Insert(BlockSyntax block, int index, StatementSyntax statement)
    {
        if (block.ToString().IndexOf('\n') < 0)
        {
            return block.WithStatements(
                block.Statements.Insert(index, statement.WithLeadingTrivia().WithTrailingTrivia(SyntaxFactory.Space)));
        }

        var ending = LineBreak(block, SyntaxFactory.ElasticLineFeed);
        if (index < block.Statements.Count)
        {
            // Before an existing statement (and the comments and directives above it): its indentation.
            var next = block.Statements[index];
            var laidOut = statement.WithLeadingTrivia(Indentation(next.GetLeadingTrivia())).WithTrailingTrivia(ending);
            return block.WithStatements(block.Statements.Insert(index, laidOut));
        }

        var closing = block.CloseBraceToken.LeadingTrivia;
        var braceIndentation = Indentation(closing);
        var indentation = block.Statements.Count > 0 ? Indentation(block.Statements.Last().GetLeadingTrivia())
                : Deeper(braceIndentation);
        var appended = statement
            .WithLeadingTrivia(closing.Take(closing.Count - braceIndentation.Count).Concat(indentation))
            .WithTrailingTrivia(ending);
        return block.WithStatements(block.Statements.Add(appended))
            .WithCloseBraceToken(block.CloseBraceToken.WithLeadingTrivia(braceIndentation));
    }

    private static CatchClauseSyntax ReplaceJump(CatchClauseSyntax @catch)
    {
        var last = @catch.Block.Statements.Last();
        return @catch.WithBlock(@catch.Block.ReplaceNode(last, Rethrow().WithTriviaFrom(last)));
    }
}
