using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// The generated source of every <see cref="SnapshotScenarios"/> scenario, compiled with its
/// handlers and compared with the snapshots in Snapshots/&lt;scenario&gt;/. Set
/// TRACEDLLM_UPDATE_SNAPSHOTS=1 to rewrite them (and delete those no scenario produces any more); a
/// mismatch writes a .received file (ignored by git) beside the snapshot. The generator's version
/// is written as {version}, so a version bump changes no snapshot.
/// </summary>
public sealed partial class SnapshotTests
{
    private const string VersionPlaceholder = "{version}";

    private static readonly bool Update = Environment.GetEnvironmentVariable("TRACEDLLM_UPDATE_SNAPSHOTS") == "1";

    public static TheoryData<string> Scenarios => new(SnapshotScenarios.All.Keys);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void GeneratedSourceCompilesCleanAndMatchesSnapshots(string scenario)
    {
        var run = GeneratorHarness.Run(SnapshotScenarios.All[scenario]);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
        var mismatches = run.Result.Results.Single().GeneratedSources
            .Select(source => Verify(scenario, source.HintName, source.SourceText.ToString()))
            .Where(mismatch => mismatch is not null)
            .ToList();
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public void EverySnapshotIsProducedByAScenario()
    {
        var produced = SnapshotScenarios.All
            .SelectMany(scenario => GeneratorHarness.Run(scenario.Value).Result.Results.Single().GeneratedSources
                .Select(source => SnapshotPath(scenario.Key, source.HintName)))
            .ToHashSet(StringComparer.Ordinal);
        var stale = Directory.EnumerateFiles(SnapshotDirectory(), "*.txt", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(".received.txt", StringComparison.Ordinal) && !produced.Contains(path))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (Update)
        {
            stale.ForEach(File.Delete);
            return;
        }

        Assert.True(
            stale.Count == 0,
            "Snapshots no scenario produces (run with TRACEDLLM_UPDATE_SNAPSHOTS=1 to delete them): "
                + string.Join(", ", stale));
    }

    [Fact]
    public void GeneratedCodeCarriesTheGeneratorAssemblysVersion()
    {
        var assembly = typeof(TracedLlmRouteGenerator).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var expected = informational.Split('+')[0];
        var version = assembly.GetName().Version!;
        Assert.StartsWith($"{version.Major}.{version.Minor}.{version.Build}", expected, StringComparison.Ordinal);

        var stamps = GeneratorHarness.Run(Sources.Gateway).Result.Results.Single().GeneratedSources
            .SelectMany(source => GeneratedCodeVersion().Matches(source.SourceText.ToString()))
            .Select(match => match.Groups["version"].Value)
            .ToList();

        // Four route classes, the route table and the endpoint extensions.
        Assert.Equal(6, stamps.Count);
        Assert.All(stamps, stamp => Assert.Equal(expected, stamp));
    }

    [GeneratedRegex("""GeneratedCode\("TracedLlm\.Generators", "(?<version>[^"]*)"\)""")]
    private static partial Regex GeneratedCodeVersion();

    /// <summary>Compares one generated file with its snapshot; the mismatch's message, or null.</summary>
    private static string? Verify(string scenario, string hintName, string actual)
    {
        var snapshot = SnapshotPath(scenario, hintName);
        var received = Path.ChangeExtension(snapshot, ".received.txt");
        actual = GeneratedCodeVersion()
            .Replace(
                actual.ReplaceLineEndings("\n"),
                $"GeneratedCode(\"TracedLlm.Generators\", \"{VersionPlaceholder}\")");
        if (Update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
            File.WriteAllText(snapshot, actual);
            File.Delete(received);
            return null;
        }

        var expected = File.Exists(snapshot) ? File.ReadAllText(snapshot).ReplaceLineEndings("\n") : "<no snapshot>";
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            return $"Generated {hintName} of scenario {scenario} differs from {snapshot}; see {received}, "
                + $"or run with TRACEDLLM_UPDATE_SNAPSHOTS=1 to accept it.";
        }

        File.Delete(received);
        return null;
    }

    private static string SnapshotPath(string scenario, string hintName) =>
        Path.Combine(SnapshotDirectory(), scenario, hintName + ".txt");

    private static string SnapshotDirectory([CallerFilePath] string testFile = "") =>
        Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
}
