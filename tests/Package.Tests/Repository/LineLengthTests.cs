using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace TracedLlm.Package.Tests;

/// <summary>
/// The line length <c>.editorconfig</c> declares for C# (<c>max_line_length</c>) holds under src/ and tests/.
/// </summary>
/// <remarks>
/// Three kinds of file keep their own form, the C# ones exempted in <c>.editorconfig</c> too: the corpus
/// (tests/Analyzers.Corpus), real projects' code vendored with their licences, kept as upstream wrote it so
/// that the analyzers are measured on code as its authors write it and a diff against upstream stays
/// readable; the ports' apps (tests/Ports/*/*, all but each port's *.Tests), consumer projects in their teams'
/// form, each diffed against its adopted copy line by line for docs/porting.md's counts; and generated snapshots
/// (tests/Generators.Tests/Snapshots, <c>.txt</c>, not C# sources), which are the generator's output as it writes
/// it.
/// </remarks>
public sealed partial class LineLengthTests
{
    /// <summary>Vendored third-party code, in its upstream form (see the remarks).</summary>
    private const string Corpus = "tests/Analyzers.Corpus/";

    [Fact]
    public void EveryLineUnderSrcAndTestsFitsTheDeclaredLength()
    {
        var limit = DeclaredLimit();
        var offenders = new List<(string File, int Line, int Length)>();
        foreach (var file in RepositoryFiles.Under("src", ".cs").Concat(RepositoryFiles.Under("tests", ".cs")))
        {
            var relative = RepositoryFiles.Relative(file);
            if (relative.StartsWith(Corpus, StringComparison.Ordinal) || PortApp().IsMatch(relative))
            {
                continue;
            }

            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length > limit)
                {
                    offenders.Add((relative, i + 1, lines[i].Length));
                }
            }
        }

        var found = offenders.Select(o => $"{o.File}:{o.Line}: {o.Length} characters").ToList();
        Assert.True(found.Count == 0, $"Lines past max_line_length = {limit}:\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheExemptFilesAreExemptInTheEditorConfigToo()
    {
        var editorConfig = File.ReadAllText(Path.Combine(RepositoryFiles.Root, ".editorconfig"));

        Assert.Matches(CorpusSection(), editorConfig);
        Assert.Matches(PortAppsSection(), editorConfig);
        Assert.Matches(PortTestsSection(), editorConfig);
        Assert.Matches(PortApp(), "tests/Ports/Switchyard/Switchyard.Api.Traced/Program.cs");
        Assert.DoesNotMatch(PortApp(), "tests/Ports/Switchyard/Switchyard.Tests/PortTests.cs");
        Assert.DoesNotMatch(PortApp(), "tests/Ports/Shared/PortApp.cs");
    }

    /// <summary><c>max_line_length</c> of the <c>[*.cs]</c> section of the root <c>.editorconfig</c>.</summary>
    private static int DeclaredLimit()
    {
        var editorConfig = File.ReadAllText(Path.Combine(RepositoryFiles.Root, ".editorconfig"));
        var match = CsLimit().Match(editorConfig);
        Assert.True(match.Success, ".editorconfig declares no max_line_length for [*.cs]");
        return int.Parse(match.Groups["limit"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^\[\*\.cs\][^\[]*?^max_line_length\s*=\s*(?<limit>\d+)", RegexOptions.Multiline)]
    private static partial Regex CsLimit();

    [GeneratedRegex(@"^\[tests/Analyzers\.Corpus/\*\*\][^\[]*?^max_line_length\s*=\s*off", RegexOptions.Multiline)]
    private static partial Regex CorpusSection();

    // The apps' section, then their tests' after it (a later section wins in .editorconfig).
    [GeneratedRegex(@"^\[tests/Ports/\*/\*/\*\*\.cs\][^\[]*?^max_line_length\s*=\s*off", RegexOptions.Multiline)]
    private static partial Regex PortAppsSection();

    [GeneratedRegex(
        @"\[tests/Ports/\*/\*/\*\*\.cs\][\s\S]*"
        + @"^\[tests/Ports/\*/\*\.Tests/\*\*\.cs\][^\[]*?^max_line_length\s*=\s*120",
        RegexOptions.Multiline)]
    private static partial Regex PortTestsSection();

    /// <summary>A file of a port's app, consumer code in its team's form; its tests are the house's.</summary>
    [GeneratedRegex(@"^tests/Ports/[^/]+/(?![^/]+\.Tests/)[^/]+/")]
    private static partial Regex PortApp();
}
