using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TracedLlm.Analyzers.Corpus.Tests;

/// <summary>
/// The committed verdicts on the corpus (tests/Analyzers.Corpus/verdicts.json), in three lists:
/// true problems the analyzers report, false alarms they once reported (reported again, the test
/// fails), and real defects in the rules' scope that they do not report yet.
/// </summary>
internal sealed class Verdicts
{
    public static string FilePath => Path.Combine(CorpusProject.Root, "verdicts.json");

    [JsonPropertyName("truePositives")]
    public List<VerdictEntry> TruePositives { get; init; } = [];

    [JsonPropertyName("falseAlarms")]
    public List<VerdictEntry> FalseAlarms { get; init; } = [];

    [JsonPropertyName("expectedCurrentlyMissed")]
    public List<VerdictEntry> ExpectedMissed { get; init; } = [];

    public static Verdicts Load() =>
        JsonSerializer.Deserialize<Verdicts>(File.ReadAllText(FilePath), new JsonSerializerOptions
        {
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        }) ?? throw new InvalidDataException($"{FilePath} is empty.");

    /// <summary>
    /// Pairs each diagnostic with at most one entry of each list, and each entry with at most one diagnostic.
    /// </summary>
    public Matching Match(IReadOnlyList<CorpusDiagnostic> diagnostics)
    {
        var unmatched = diagnostics.ToList();
        var truePositives = MatchList(TruePositives, unmatched);
        var falseAlarms = MatchList(FalseAlarms, unmatched);
        var nowFound = MatchList(ExpectedMissed, unmatched);
        return new Matching(truePositives, falseAlarms, nowFound, unmatched);
    }

    private static List<(VerdictEntry Entry, CorpusDiagnostic? Diagnostic)> MatchList(
        List<VerdictEntry> entries,
        List<CorpusDiagnostic> unmatched)
    {
        var result = new List<(VerdictEntry, CorpusDiagnostic?)>();
        foreach (var entry in entries)
        {
            var diagnostic = unmatched.FirstOrDefault(entry.Matches);
            if (diagnostic is not null)
            {
                unmatched.Remove(diagnostic);
            }

            result.Add((entry, diagnostic));
        }

        return result;
    }
}

/// <summary>
/// One verdict: rule, project, file (relative to tests/Analyzers.Corpus), member and a snippet of
/// the diagnostic's line identify it; <see cref="Line"/> and <see cref="Message"/> are what it said
/// when the verdict was written, for a reader (matching ignores them, so moved lines still match).
/// </summary>
internal sealed record VerdictEntry
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("project")] public required string Project { get; init; }
    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("member")] public required string Member { get; init; }
    [JsonPropertyName("snippet")] public required string Snippet { get; init; }
    [JsonPropertyName("line")] public int Line { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("why")] public required string Why { get; init; }

    public bool Matches(CorpusDiagnostic diagnostic) =>
        diagnostic.Id == Id
        && diagnostic.Project == Project
        && diagnostic.File == File
        && diagnostic.Member == Member
        && diagnostic.LineText.Contains(Snippet, StringComparison.Ordinal);

    public override string ToString() => $"{Id} {File}:{Line} in {Member}: `{Snippet}` ({Why})";
}

internal sealed record Matching(
    List<(VerdictEntry Entry, CorpusDiagnostic? Diagnostic)> TruePositives,
    List<(VerdictEntry Entry, CorpusDiagnostic? Diagnostic)> FalseAlarms,
    List<(VerdictEntry Entry, CorpusDiagnostic? Diagnostic)> ExpectedMissed,
    List<CorpusDiagnostic> WithoutVerdict)
{
    /// <summary>Only the entries and diagnostics of the named projects (one part of the corpus).</summary>
    public Matching For(IReadOnlySet<string> projects) => new(
        TruePositives.Where(m => projects.Contains(m.Entry.Project)).ToList(),
        FalseAlarms.Where(m => projects.Contains(m.Entry.Project)).ToList(),
        ExpectedMissed.Where(m => projects.Contains(m.Entry.Project)).ToList(),
        WithoutVerdict.Where(d => projects.Contains(d.Project)).ToList());
}
