using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Analyzers.Tests.Metamorphic;

/// <summary>
/// An example of a rule: a whole source file as a test gives it, without markup, and the rule its test class covers;
/// <see cref="Cell"/> is its construct when a matrix cell gives it.
/// </summary>
internal sealed record Seed(string Rule, string Name, string Source, string? Cell = null)
{
    /// <summary>
    /// More documents the example compiles with, left as they are (a matrix cell's SDK declarations).
    /// </summary>
    public string[] Sources { get; init; } = System.Array.Empty<string>();
}

/// <summary>
/// Every example of every rule the analyzer tests hold, read from the test files themselves: the
/// source of each <c>AnalyzerAsync</c> call (true and clean examples alike) and of each
/// <c>FixAsync</c> call, before and after the fix (the fixed code is a clean example). The sources
/// are the tests' own string expressions (<c>Corpus.Header + Constants + """..."""</c>), evaluated,
/// with the markup (<c>{|ID:...|}</c>, <c>{|#0:...|}</c>) removed; and both forms of every cell of
/// every rule's construct matrix (<see cref="Matrix.ConstructMatrix"/>), faulty and sound.
/// </summary>
internal static partial class Seeds
{
    private static readonly (string File, string Rule)[] Files =
    {
        ("SlotMismatchTests.cs", "TLLM2001"),
        ("SlotMismatchValueFlowTests.cs", "TLLM2001"),
        ("SlotMismatchConstructTests.cs", "TLLM2001"),
        ("FailurePathTests.cs", "TLLM2002"),
        ("SpanLifecycleTests.cs", "TLLM2003"),
        ("SwallowedExceptionTests.cs", "TLLM2004"), ("SwallowedExceptionFlowTests.cs", "TLLM2004"),
        ("SwallowedExceptionMeasuredTests.cs", "TLLM2004"),
        ("SlotCollisionTests.cs", "TLLM2005"),
        ("UnscopedUpstreamCallTests.cs", "TLLM2006"), ("UnscopedUpstreamFlowTests.cs", "TLLM2006"),
        ("UnthrownFailureTests.cs", "TLLM2008"),
    };

    public static IReadOnlyList<Seed> All([CallerFilePath] string here = "")
    {
        var directory = Path.GetDirectoryName(Path.GetDirectoryName(here))!;
        var seeds = new List<Seed>();
        foreach (var (file, rule) in Files)
        {
            var root = CSharpSyntaxTree
                .ParseText(File.ReadAllText(Path.Combine(directory, file)))
                .GetCompilationUnitRoot();
            var constants = root.DescendantNodes()
                .OfType<FieldDeclarationSyntax>()
                .Where(f => f.Modifiers.Any(m => m.IsKind(SyntaxKind.ConstKeyword)))
                .SelectMany(f => f.Declaration.Variables)
                .Where(v => v.Initializer is not null)
                .ToDictionary(v => v.Identifier.ValueText, v => v.Initializer!.Value);
            foreach (var method in root.DescendantNodes().OfType<MethodDeclarationSyntax>())
            {
                var index = 0;
                foreach (var call in method.DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    var name = call.Expression switch
                    {
                        GenericNameSyntax generic => generic.Identifier.ValueText,
                        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                        _ => null,
                    };
                    var arguments = call.ArgumentList.Arguments;
                    var sources = name switch
                    {
                        "AnalyzerAsync" when arguments.Count > 0 => new[] { arguments[0] },
                        "FixAsync" when arguments.Count > 1 => new[] { arguments[0], arguments[1] },
                        _ => Array.Empty<ArgumentSyntax>(),
                    };
                    foreach (var argument in sources)
                    {
                        if (Evaluate(argument.Expression, constants) is { } text)
                        {
                            seeds.Add(
                                new Seed(
                                    rule,
                                    $"{Path.GetFileNameWithoutExtension(file)}.{method.Identifier.ValueText}#{index++}",
                                    StripMarkup(text)));
                        }
                    }
                }
            }
        }

        foreach (var (rule, (header, cells)) in Matrix.ConstructMatrix.Rules.OrderBy(r => r.Key, StringComparer.Ordinal)
        )
        {
            foreach (var (construct, cell) in cells)
            {
                seeds.Add(
                    new Seed(rule, $"Matrix.{rule}.{construct} (faulty)", StripMarkup(header + cell.Report), construct)
                    {
                        Sources = cell.Sources.Select(StripMarkup).ToArray()
                    });
                seeds.Add(
                    new Seed(rule, $"Matrix.{rule}.{construct} (sound)", StripMarkup(header + cell.Clean), construct)
                    {
                        Sources = cell.Sources.Select(StripMarkup).ToArray()
                    });
            }
        }

        return seeds;
    }

    /// <summary>A string expression of a test: literals, the test class's constants, and the shared header.</summary>
    private static string? Evaluate(
        ExpressionSyntax expression,
        IReadOnlyDictionary<string, ExpressionSyntax> constants) =>
        expression switch
        {
            BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } add => Evaluate(add.Left, constants)
                is { } left
            && Evaluate(add.Right, constants) is { } right
                ? left + right
                : null,
            LiteralExpressionSyntax literal when literal.Token.Value is string text => text,
            MemberAccessExpressionSyntax
            {
                Expression: IdentifierNameSyntax { Identifier.ValueText: "Corpus" },
                Name.Identifier.ValueText: "Header"
            } => Corpus.Header,
            IdentifierNameSyntax identifier
                when constants.TryGetValue(identifier.Identifier.ValueText, out var value) => Evaluate(
                value,
                constants),
            ParenthesizedExpressionSyntax parenthesized => Evaluate(parenthesized.Expression, constants),
            _ => null,
        };

    private static string StripMarkup(string text) =>
        MarkupEnd().Replace(MarkupStart().Replace(text, string.Empty), string.Empty);

    [GeneratedRegex(@"\{\|[^:|{}]*:")]
    private static partial Regex MarkupStart();

    [GeneratedRegex(@"\|\}")]
    private static partial Regex MarkupEnd();
}
