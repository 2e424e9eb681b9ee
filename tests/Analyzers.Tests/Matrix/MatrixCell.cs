using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// Whether the analyzer holds a matrix cell, or which known limit (documented in the rule's page) it shows.
/// </summary>
public enum Held
{
    /// <summary>The rule reports the faulty form and is silent on the sound one.</summary>
    Yes,

    /// <summary>
    /// Known limit: the faulty form is not reported. The test asserts the silence, so fixing it flips the test.
    /// </summary>
    MissedKnownLimit,

    /// <summary>Known limit: the sound form is reported; its markup marks the false alarm the analyzer gives.</summary>
    FalseAlarmKnownLimit,
}

/// <summary>
/// One construct of the C# language carrying the value a rule follows: <see cref="Report"/> is code the
/// rule must report (its markup marks where), <see cref="Clean"/> the same construct written soundly.
/// </summary>
public sealed record MatrixCell(string Construct, string Report, string Clean, Held Held = Held.Yes)
{
    /// <summary>
    /// Diagnostics the faulty form must give besides its <c>{|TLLMxxxx:...|}</c> markup (those with several locations
    /// or a message, through <c>{|#n:...|}</c>).
    /// </summary>
    public DiagnosticResult[] Expected { get; init; } = System.Array.Empty<DiagnosticResult>();

    /// <summary>Assemblies the cell's code compiles against besides the usual references (an SDK's).</summary>
    public System.Reflection.Assembly[] Libraries { get; init; } = System.Array.Empty<System.Reflection.Assembly>();

    /// <summary>
    /// More documents of the cell's compilation, without markup (an SDK's declarations in its own namespaces).
    /// </summary>
    public string[] Sources { get; init; } = System.Array.Empty<string>();

    private static readonly Regex Markup = new(@"\{\|(?:TLLM\d{4}|#\d+):|\|\}", RegexOptions.CultureInvariant);

    /// <summary>
    /// TLLM2001's cells come in one piece: <c>@P</c> is empty in the faulty form (key <c>metadata</c> on a
    /// <c>litellm_metadata</c> route) and <c>litellm_</c> in the sound one.
    /// </summary>
    public static MatrixCell Slot(string construct, string source, Held held = Held.Yes) =>
        Pair(construct, source, "@P", string.Empty, "litellm_", held);

    /// <summary>
    /// A pair from one piece: <paramref name="token"/> is <paramref name="faulty"/> in the faulty form and
    /// <paramref name="sound"/> in the sound one.
    /// </summary>
    public static MatrixCell Pair(
        string construct,
        string source,
        string token,
        string faulty,
        string sound,
        Held held = Held.Yes) => new(construct, source.Replace(token, faulty), source.Replace(token, sound), held);

    public static string WithoutMarkup(string source) => Markup.Replace(source, string.Empty);

    public Task MustReportAsync(string header) =>
        Held == Held.MissedKnownLimit
            ? Verify.AnalyzerAsync(new[] { header + WithoutMarkup(Report) }.Concat(Sources).ToArray(), Libraries)
            : Verify.AnalyzerAsync(new[] { header + Report }.Concat(Sources).ToArray(), Libraries, Expected);

    /// <summary>
    /// What the team declares for the sound form (issue 68), where the code cannot show that its catch is designed: an
    /// <c>.editorconfig</c> line (<c>dotnet_code_quality.TLLM2004.designed_exceptions = ...</c>), or the attribute text
    /// the sound form holds (<c>[FailureHandledByDesign]</c>). The sound form's markup then marks what it gives without
    /// the declaration (TLLM2007, a designed fallback no code shows), asserted by
    /// <see cref="MustNeedDeclarationAsync"/>.
    /// </summary>
    public string? Declaration { get; init; }

    private bool DeclaredInSource =>
        Declaration is not null && Declaration.StartsWith("[", System.StringComparison.Ordinal);

    /// <summary>The sound form is silent for every rule (TLLM2007 on), with its declaration when it has one.</summary>
    public Task MustNotReportAsync(string header) =>
        Verify.DeclaredAsync(
            new[] { header + (Held == Held.FalseAlarmKnownLimit ? Clean : WithoutMarkup(Clean)) }
                .Concat(Sources)
                .ToArray(),
            Libraries,
            Declaration is null || DeclaredInSource ? null : Declaration);

    /// <summary>
    /// Where the sound form's catches are without its declaration: each match of this pattern in the sound form starts
    /// at the
    /// <c>catch</c> keyword of a catch TLLM2007 reports (its markup belongs to the faulty form, so it cannot say).
    /// </summary>
    public string? Undeclared { get; init; }

    /// <summary>
    /// Without its declaration, the sound form gives TLLM2007 at the catches <see cref="Undeclared"/> finds, and
    /// nothing else.
    /// </summary>
    public Task MustNeedDeclarationAsync(string header)
    {
        var source = header + WithoutMarkup(DeclaredInSource ? Clean.Replace(Declaration!, string.Empty) : Clean);
        var expected = Regex
            .Matches(source, Undeclared!)
            .Select(match =>
            {
                var before = source.Substring(0, match.Index);
                var line = before.Count(c => c == '\n') + 1;
                var column = match.Index - before.LastIndexOf('\n');
                return new DiagnosticResult(
                    DiagnosticIds.HandledWithoutRecord,
                    Microsoft.CodeAnalysis.DiagnosticSeverity.Warning
                ).WithSpan(line, column, line, column + "catch".Length);
            })
            .ToArray();
        Assert.NotEmpty(expected);
        return Verify.AnalyzerAsync(new[] { source }.Concat(Sources).ToArray(), Libraries, expected);
    }

    public static IReadOnlyDictionary<string, MatrixCell> ByName(params MatrixCell[] cells) =>
        cells.ToDictionary(cell => cell.Construct);

    /// <summary>The cells of another file (<paramref name="first"/>) and these, by name.</summary>
    public static IReadOnlyDictionary<string, MatrixCell> ByName(
        IEnumerable<MatrixCell> first,
        params MatrixCell[] cells) => first.Concat(cells).ToDictionary(cell => cell.Construct);
}
