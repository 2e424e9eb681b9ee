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
using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>
/// TLLM2004, two fixes. Preferred, when an <c>LlmCall</c> is in scope: record the handled failure
/// first thing in the catch (<c>call.RecordHandledFailure(exception)</c>), so the recovery stays
/// and the failure reaches the span. Otherwise (or as the second choice): rethrow. A catch whose
/// end is reachable gets <c>throw;</c> at its end; a catch that ends in a jump (return, break,
/// continue) has that jump replaced by <c>throw;</c>, never an unreachable <c>throw;</c> after it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SwallowedExceptionCodeFix)), Shared]
public sealed class SwallowedExceptionCodeFix : TracedLlmCodeFix
{
    /// <summary>The equivalence key of the "record the handled failure" fix.</summary>
    public const string RecordKey = DiagnosticIds.SwallowedException + ".Record";
    /// <summary>The equivalence key of the rethrow fix.</summary>
    public const string RethrowKey = DiagnosticIds.SwallowedException + ".Rethrow";

    /// <summary>Creates the fix.</summary>
    public SwallowedExceptionCodeFix()
        : base(DiagnosticIds.SwallowedException)
    {
    }

    private protected override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var edits = new List<SyntaxEdit>();
        if (root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not CatchClauseSyntax @catch
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model)
        {
            return edits;
        }

        var position = @catch.Block.OpenBraceToken.Span.End;
        if (LlmCallInScope(model, position) is { } call)
        {
            var variable = @catch.Declaration?.Identifier.ValueText is { Length: > 0 } declared ? declared : FreeName(model, position);
            edits.Add(new SyntaxEdit("Record the handled failure on the span (LlmCall.RecordHandledFailure)", RecordKey, document.Id, @catch, node => Record((CatchClauseSyntax)node, call, variable)));
        }

        var statements = @catch.Block.Statements;
        var endReachable = statements.Count == 0 || model.AnalyzeControlFlow(statements.First(), statements.Last()) is { Succeeded: true, EndPointIsReachable: true };
        if (endReachable)
        {
            edits.Add(new SyntaxEdit("Rethrow to the failure path", RethrowKey, document.Id, @catch, node => AppendRethrow((CatchClauseSyntax)node)));
        }
        else if (statements.Last() is ReturnStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax)
        {
            edits.Add(new SyntaxEdit("Rethrow to the failure path instead of recovering", RethrowKey, document.Id, @catch, node => ReplaceJump((CatchClauseSyntax)node)));
        }

        return edits;
    }

    private static string? LlmCallInScope(SemanticModel model, int position)
    {
        foreach (var symbol in model.LookupSymbols(position))
        {
            var type = symbol switch
            {
                ILocalSymbol local => local.Type,
                IParameterSymbol parameter => parameter.Type,
                IFieldSymbol field when !field.IsStatic || model.GetEnclosingSymbol(position)?.IsStatic == true => field.Type,
                IPropertySymbol property when !property.IsIndexer => property.Type,
                _ => null,
            };
            if (type?.ToDisplayString() == "TracedLlm.LlmCall")
            {
                return symbol.Name;
            }
        }

        return null;
    }

    private static string FreeName(SemanticModel model, int position)
    {
        var taken = new HashSet<string>(model.LookupSymbols(position).Select(s => s.Name));
        var name = "exception";
        for (var i = 2; taken.Contains(name); i++)
        {
            name = "exception" + i;
        }

        return name;
    }

    private static CatchClauseSyntax Record(CatchClauseSyntax @catch, string call, string variable)
    {
        var declaration = @catch.Declaration switch
        {
            null => SyntaxFactory.CatchDeclaration(SyntaxFactory.ParseTypeName("global::System.Exception").WithAdditionalAnnotations(Simplifier.Annotation), SyntaxFactory.Identifier(variable)),
            { Identifier.RawKind: 0 } typed => typed.WithType(typed.Type.WithoutTrailingTrivia()).WithIdentifier(SyntaxFactory.Identifier(variable)),
            var existing => existing,
        };
        var withDeclaration = @catch.Declaration is null
            ? @catch.WithCatchKeyword(@catch.CatchKeyword.WithTrailingTrivia(SyntaxFactory.Space)).WithDeclaration(declaration.WithTrailingTrivia(@catch.CatchKeyword.TrailingTrivia))
            : @catch.WithDeclaration(declaration);
        var record = SyntaxFactory.ParseStatement($"{call}.RecordHandledFailure({variable});");
        return withDeclaration.WithBlock(Insert(withDeclaration.Block, 0, record));
    }

    private static CatchClauseSyntax AppendRethrow(CatchClauseSyntax @catch) =>
        @catch.WithBlock(Insert(@catch.Block, @catch.Block.Statements.Count, SyntaxFactory.ThrowStatement()));

    /// <summary>Inserts a statement laid out like the block: on the block's line when it is one line, else on a line of its own.</summary>
    private static BlockSyntax Insert(BlockSyntax block, int index, StatementSyntax statement)
    {
        if (block.ToString().IndexOf('\n') < 0)
        {
            return block.WithStatements(block.Statements.Insert(index, statement.WithLeadingTrivia().WithTrailingTrivia(SyntaxFactory.Space)));
        }

        if (index < block.Statements.Count)
        {
            // Before an existing statement: its indentation, then a line break.
            var next = block.Statements[index];
            var lineBreak = block.OpenBraceToken.TrailingTrivia.FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var laidOut = statement.WithLeadingTrivia(next.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)))
                .WithTrailingTrivia(lineBreak.IsKind(SyntaxKind.EndOfLineTrivia) ? lineBreak : SyntaxFactory.ElasticLineFeed);
            return block.WithStatements(block.Statements.Insert(index, laidOut));
        }

        return block.WithStatements(block.Statements.Insert(index, statement.WithAdditionalAnnotations(Formatter.Annotation)));
    }

    private static CatchClauseSyntax ReplaceJump(CatchClauseSyntax @catch)
    {
        var last = @catch.Block.Statements.Last();
        return @catch.WithBlock(@catch.Block.ReplaceNode(last, SyntaxFactory.ThrowStatement().WithTriviaFrom(last)));
    }
}
