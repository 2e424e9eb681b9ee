using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>Whether the analyzer holds a matrix cell, or which known limit (documented in the rule's page) it shows.</summary>
public enum Held
{
    /// <summary>The rule reports the faulty form and is silent on the sound one.</summary>
    Yes,

    /// <summary>Known limit: the faulty form is not reported. The test asserts the silence, so fixing it flips the test.</summary>
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
    /// <summary>Diagnostics the faulty form must give besides its <c>{|TLLMxxxx:...|}</c> markup (those with several locations or a message, through <c>{|#n:...|}</c>).</summary>
    public DiagnosticResult[] Expected { get; init; } = System.Array.Empty<DiagnosticResult>();

    /// <summary>Assemblies the cell's code compiles against besides the usual references (an SDK's).</summary>
    public System.Reflection.Assembly[] Libraries { get; init; } = System.Array.Empty<System.Reflection.Assembly>();

    /// <summary>More documents of the cell's compilation, without markup (an SDK's declarations in its own namespaces).</summary>
    public string[] Sources { get; init; } = System.Array.Empty<string>();

    private static readonly Regex Markup = new(@"\{\|(?:TLLM\d{4}|#\d+):|\|\}", RegexOptions.CultureInvariant);

    /// <summary>TLLM2001's cells come in one piece: <c>@P</c> is empty in the faulty form (key <c>metadata</c> on a <c>litellm_metadata</c> route) and <c>litellm_</c> in the sound one.</summary>
    public static MatrixCell Slot(string construct, string source, Held held = Held.Yes) =>
        Pair(construct, source, "@P", string.Empty, "litellm_", held);

    /// <summary>A pair from one piece: <paramref name="token"/> is <paramref name="faulty"/> in the faulty form and <paramref name="sound"/> in the sound one.</summary>
    public static MatrixCell Pair(string construct, string source, string token, string faulty, string sound, Held held = Held.Yes) =>
        new(construct, source.Replace(token, faulty), source.Replace(token, sound), held);

    public static string WithoutMarkup(string source) => Markup.Replace(source, string.Empty);

    public Task MustReportAsync(string header) =>
        Held == Held.MissedKnownLimit
            ? Verify.AnalyzerAsync(new[] { header + WithoutMarkup(Report) }.Concat(Sources).ToArray(), Libraries)
            : Verify.AnalyzerAsync(new[] { header + Report }.Concat(Sources).ToArray(), Libraries, Expected);

    public Task MustNotReportAsync(string header) =>
        Verify.DeclaredAsync(new[] { header + (Held == Held.FalseAlarmKnownLimit ? Clean : WithoutMarkup(Clean)) }.Concat(Sources).ToArray(), Libraries,
            header == SwallowedExceptionMatrix.Header ? BuildDefaults : null);

    /// <summary>
    /// TLLM2004's sound forms are asserted as a build reports them by default, TLLM2007 off: since issue 68 a catch that answers
    /// no error and gives up on no model call (a designed skip, the sound form of the readings that went,
    /// bench/analyzers-wide/readings-2026-11-28.md) is TLLM2007's, which only a team that turns it on sees. The faulty forms
    /// still assert TLLM2007 where they mark it, and <see cref="HandledWithoutRecordTests"/> asserts its own cases.
    /// </summary>
    private const string BuildDefaults = "dotnet_diagnostic.TLLM2007.severity = none";


    public static IReadOnlyDictionary<string, MatrixCell> ByName(params MatrixCell[] cells) => cells.ToDictionary(cell => cell.Construct);

    /// <summary>The cells of another file (<paramref name="first"/>) and these, by name.</summary>
    public static IReadOnlyDictionary<string, MatrixCell> ByName(IEnumerable<MatrixCell> first, params MatrixCell[] cells) => first.Concat(cells).ToDictionary(cell => cell.Construct);
}
