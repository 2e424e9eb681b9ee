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

/// <summary>
/// TLLM2009: answers a body asking for a stream with the handler's JSON (<c>IgnoreStream = true</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StreamRefusalCodeFix)), Shared]
public sealed class StreamRefusalCodeFix : TracedLlmCodeFix
{
    internal const string EquivalenceKey = DiagnosticIds.StreamRefused + ".IgnoreStream";
    private const string Argument = "IgnoreStream";

    /// <summary>Creates the fix.</summary>
    public StreamRefusalCodeFix()
        : base(DiagnosticIds.StreamRefused)
    {
    }

    private protected override Task<IReadOnlyList<SyntaxEdit>> EditsAsync(
        Document document, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        root.FindNode(diagnostic.Location.SourceSpan)?.FirstAncestorOrSelf<AttributeSyntax>() is { } attribute
            ? One(new SyntaxEdit(
                "Answer \"stream\": true with the handler's JSON (IgnoreStream = true)",
                EquivalenceKey,
                document.Id,
                attribute,
                node => WithIgnoreStream((AttributeSyntax)node)))
            : None();

    private static AttributeSyntax WithIgnoreStream(AttributeSyntax attribute) =>
        WithNamedArgument(attribute, Argument, SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression));
}
