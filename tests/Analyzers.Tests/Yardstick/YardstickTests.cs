using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace TracedLlm.Analyzers.Tests.Yardstick;

/// <summary>
/// The recall and precision yardstick: generated true and clean cases of TLLM2001 and TLLM2003
/// (<see cref="KeyCases"/>, <see cref="SpanCases"/>), compiled in batches with the route
/// generator, analyzed as a build does. A case holds when its rule's diagnostics in its file are
/// exactly the marked ones (ID and span) and no other TLLM rule reports there. Prints recall and
/// precision per rule and the cases that hold per family (bench/results/2026-11-24-analyzers-dataflow.md),
/// and fails on any TLLM2003 case that does not hold, on any TLLM2001 false alarm,
/// and when TLLM2001 finds fewer keys than it did when the yardstick was written.
/// </summary>
public sealed class YardstickTests(ITestOutputHelper output)
{
    private const int CasesPerCompilation = 40;

    // TLLM2001 found 231 of the 252 misused keys with ValueContentAnalysis behind its own flow (203 with the own flow
    // alone; bench/results/2026-11-24-analyzers-dataflow.md).
    private const int KeysFound = 238;

    private const string Header = """
        global using System;
        global using System.Collections.Generic;
        global using System.Diagnostics;
        global using System.Text.Json.Nodes;
        global using System.Threading.Tasks;
        global using TracedLlm;
        global using Yardstick;

        namespace Yardstick;

        internal sealed class ChatRequest { public string? Model { get; set; } }

        internal sealed class MessagesRequest { public string? Model { get; set; } }

        internal sealed class Reply { public string? Text { get; set; } }

        internal static class Telemetry { public static readonly ActivitySource Source = new("Yardstick"); }
        """;

    [Fact]
    public async Task RecallAndPrecisionOnGeneratedCases()
    {
        var cases = SpanCases.All().Concat(KeyCases.All()).ToList();
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var results = await Run(cases);
        output.WriteLine(Report(results));
        output.WriteLine(
            $"{cases.Count} cases in {watch.Elapsed.TotalSeconds:F1} s, "
            + $"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU");
        foreach (var failure in results
                .Where(r => !r.Holds)
                .OrderBy(r => r.Case.Rule, StringComparer.Ordinal)
                .ThenBy(r => r.Case.Name, StringComparer.Ordinal))
        {
            output.WriteLine($"{failure.Case.Rule} {failure.Case.Name}: {failure.Why}");
        }

        Assert.All(results.Where(r => r.Case.Rule == "TLLM2003"), r => Assert.True(r.Holds, $"{r.Case.Name}: {r.Why}"));
        var keys = results.Where(r => r.Case.Rule == "TLLM2001").ToList();
        Assert.All(
            keys,
            r =>
                Assert.True(
                    r.FalseAlarms == 0 && (r.Why is null || r.Why.StartsWith("missed", StringComparison.Ordinal)),
                    $"{r.Case.Name}: {r.Why}"));
        Assert.True(
            keys.Sum(r => r.Found) >= KeysFound,
            $"TLLM2001 found {keys.Sum(r => r.Found)} of {keys.Sum(r => r.Expected)} keys, fewer than {KeysFound}");
    }

    internal sealed record Result(YardstickCase Case, int Expected, int Found, int Missed, int FalseAlarms, string? Why)
    {
        public bool Holds => Why is null;
    }

    internal static async Task<IReadOnlyList<Result>> Run(IReadOnlyList<YardstickCase> cases)
    {
        var results = new ConcurrentBag<Result>();
        var batches = cases.Select((c, i) => (c, i)).GroupBy(x => x.i / CasesPerCompilation, x => x.c).Select(g =>
            g.ToList()).ToList();
        await Parallel.ForEachAsync(batches, async (batch, _) =>
        {
            var parsed = batch.Select(c => (Case: c, Parsed: c.Parse())).ToList();
            var trees = parsed.Select((p, i) => CSharpSyntaxTree.ParseText(p.Parsed.Source,
                ProjectAnalysis.ParseOptions, $"Case{i}.cs")).ToList();
            var compilation = ProjectAnalysis.Compile(Testing.TestReferences.All, OutputKind.DynamicallyLinkedLibrary,
                trees.Prepend(CSharpSyntaxTree.ParseText(Header, ProjectAnalysis.ParseOptions, "Header.cs")).ToArray());
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var diagnostics = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);
            for (var i = 0; i < parsed.Count; i++)
            {
                var (@case, (_, expected)) = parsed[i];
                var tree = trees[i];
                var caseErrors = errors.Where(e => e.Location.SourceTree == tree).Take(2).ToList();
                if (caseErrors.Count > 0)
                {
                    results.Add(new Result(@case, expected.Count, 0, expected.Count, 0,
                        "does not compile: " + string.Join("; ", caseErrors)));
                    continue;
                }

                var here = diagnostics.Where(d => d.Location.SourceTree == tree).ToList();
                var found = here.Where(d => d.Id == @case.Rule).Select(d => (d.Id, d.Location.SourceSpan)).ToList();
                var missed = expected.Where(e => !found.Contains(e)).ToList();
                var falseAlarms = found.Where(f => !expected.Contains(f)).ToList();
                var others = here.Where(d => d.Id != @case.Rule).ToList();
                var why = new List<string>();
                if (missed.Count > 0)
                {
                    why.Add($"missed {missed.Count} of {expected.Count}");
                }

                if (falseAlarms.Count > 0)
                {
                    why.Add("reported " + string.Join(", ", here.Where(d =>
                        falseAlarms.Contains((d.Id, d.Location.SourceSpan))).Select(d =>
                        $"'{tree.GetText().ToString(d.Location.SourceSpan)}' ({d.GetMessage()})")));
                }

                if (others.Count > 0)
                {
                    why.Add("other rules: " + string.Join(", ", others.Select(d => $"{d.Id} {d.GetMessage()}")));
                }

                results.Add(new Result(@case, expected.Count, found.Count - falseAlarms.Count, missed.Count,
                    falseAlarms.Count, why.Count == 0 ? null : string.Join("; ", why)));
            }
        });

        return results.ToList();
    }

    internal static string Report(IReadOnlyList<Result> results)
    {
        var text = new StringBuilder(
            "| rule | cases (true / clean) | found | missed | false alarms | recall | precision | cases that hold "
            + "|\n|---|---|---|---|---|---|---|---|\n");
        foreach (var rule in results.GroupBy(r => r.Case.Rule).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var expected = rule.Sum(r => r.Expected);
            var found = rule.Sum(r => r.Found);
            var falseAlarms = rule.Sum(r => r.FalseAlarms);
            text.Append(
                $"| {rule.Key} | {rule.Count()} ({rule.Count(r => r.Case.IsTrue)} / "
                + $"{rule.Count(r => !r.Case.IsTrue)}) | {found} | {rule.Sum(r => r.Missed)} | {falseAlarms} | "
                + $"{Percent(found, expected)} | {Percent(found, found + falseAlarms)} | "
                + $"{rule.Count(r => r.Holds)} |\n");
        }

        text.Append("\n| family | cases | hold | missed | false alarms |\n|---|---|---|---|---|\n");
        foreach (var family in results
                .SelectMany(r => r.Case.Families.Select(f => (Family: $"{r.Case.Rule} {f}", Result: r)))
                .GroupBy(x => x.Family)
                .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(
                $"| {family.Key} | {family.Count()} | {family.Count(x => x.Result.Holds)} | "
                + $"{family.Sum(x => x.Result.Missed)} | {family.Sum(x => x.Result.FalseAlarms)} |\n");
        }

        return text.ToString();
    }

    private static string Percent(int part, int whole) =>
        whole == 0 ? "n/a" : $"{100.0 * part / whole:F1} % ({part}/{whole})";
}
