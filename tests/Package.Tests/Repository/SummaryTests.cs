using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Package.Tests;

/// <summary>
/// Every <c>&lt;summary&gt;</c> under src/ opens with one sentence a reader can stop after, of at most 30 words.
/// </summary>
/// <remarks>
/// What follows the first sentence may stay; the reasoning belongs in <c>&lt;remarks&gt;</c>, the rule or reference
/// page, or a comment where the decision is made.
/// </remarks>
public sealed partial class SummaryTests
{
    private const int MaxWords = 30;

    [Fact]
    public void EverySummaryOpensWithASentenceOfAtMost30Words()
    {
        var offenders = new List<(string File, int Line, int Words, string Sentence)>();
        foreach (var file in RepositoryFiles.Under("src", ".cs"))
        {
            var relative = RepositoryFiles.Relative(file);
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file), Options, file).GetRoot();
            foreach (var summary in Summaries(root))
            {
                var sentence = FirstSentence(PlainText(summary.Content));
                var words = Words(sentence);
                if (words > MaxWords)
                {
                    var line = summary.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                    offenders.Add((relative, line, words, sentence));
                }
            }
        }

        var found = offenders.Select(o => $"{o.File}:{o.Line}: {o.Words} words: {o.Sentence}").ToList();
        Assert.True(found.Count == 0, $"Summaries whose first sentence is over {MaxWords} words:\n"
            + string.Join("\n", found));
    }

    [Theory]
    [InlineData("Reads the body. Then the rest.", "Reads the body.")]
    [InlineData("The key, e.g. <c>metadata</c>, as sent. More.", "The key, e.g. metadata, as sent.")]
    [InlineData("Waits 1.5 s at most; then gives up", "Waits 1.5 s at most; then gives up")]
    [InlineData("Names <see cref=\"A.B\"/>. Why it exists.", "Names A.B.")]
    [InlineData("One line<para>A second paragraph.</para>", "One line")]
    public void TheFirstSentenceEndsAtAStopThatEndsASentence(string summary, string first)
    {
        var root = CSharpSyntaxTree.ParseText($"/// <summary>{summary}</summary>\nclass C {{ }}", Options).GetRoot();

        Assert.Equal(first, FirstSentence(PlainText(Summaries(root).Single().Content)));
    }

    private static readonly CSharpParseOptions Options = new(LanguageVersion.Latest, DocumentationMode.Parse);

    private static IEnumerable<XmlElementSyntax> Summaries(SyntaxNode root) =>
        root.DescendantTrivia()
            .Select(trivia => trivia.GetStructure())
            .OfType<DocumentationCommentTriviaSyntax>()
            .SelectMany(doc => doc.Content.OfType<XmlElementSyntax>())
            .Where(element => element.StartTag.Name.LocalName.Text == "summary");

    /// <summary>The text a reader sees: tags dropped, a reference as its name, up to the first paragraph.</summary>
    private static string PlainText(SyntaxList<XmlNodeSyntax> nodes)
    {
        var text = new StringBuilder();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case XmlTextSyntax plain:
                    foreach (var token in plain.TextTokens)
                    {
                        text.Append(token.IsKind(SyntaxKind.XmlTextLiteralNewLineToken) ? " " : token.Text);
                    }

                    break;
                case XmlElementSyntax { StartTag.Name.LocalName.Text: "para" or "list" or "code" } when text.Length > 0:
                    return Normalized(text);
                case XmlElementSyntax element:
                    text.Append(PlainText(element.Content));
                    break;
                case XmlEmptyElementSyntax empty:
                    text.Append(ReferenceName(empty));
                    break;
            }
        }

        return Normalized(text);
    }

    private static string ReferenceName(XmlEmptyElementSyntax element)
    {
        foreach (var attribute in element.Attributes)
        {
            switch (attribute)
            {
                case XmlCrefAttributeSyntax cref:
                    return cref.Cref.ToString();
                case XmlNameAttributeSyntax name:
                    return name.Identifier.ToString();
                case XmlTextAttributeSyntax text:
                    return string.Concat(text.TextTokens.Select(t => t.Text)).Split(':')[^1];
            }
        }

        return string.Empty;
    }

    private static string Normalized(StringBuilder text) => Whitespace().Replace(text.ToString(), " ").Trim();

    /// <summary>Up to the first '.', '!' or '?' followed by a space or the end, not one of an abbreviation.</summary>
    private static string FirstSentence(string text)
    {
        foreach (Match stop in SentenceStop().Matches(text))
        {
            var end = stop.Index + 1;
            if (!Abbreviation().IsMatch(text[..end]))
            {
                return text[..end];
            }
        }

        return text;
    }

    private static int Words(string sentence) =>
        sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(word => word.Any(char.IsLetterOrDigit));

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"[.!?](?=\s|$)")]
    private static partial Regex SentenceStop();

    [GeneratedRegex(@"(?:\b(?:e\.g|i\.e|cf|vs|etc|approx|incl)\.)$", RegexOptions.IgnoreCase)]
    private static partial Regex Abbreviation();
}
