using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Switchyard.Tests;

/// <summary>
/// The lines adoption changed, counted as <c>git diff --numstat</c> counts them (lines added and
/// removed, by a longest common subsequence of lines), and written down in docs/mvc.md: this test
/// keeps the page and the port in step.
/// </summary>
public sealed partial class AdoptionTests
{
    private static readonly string Port = Path.GetFullPath(Path.Combine(ThisDirectory(), ".."));
    private static readonly string Docs = Path.GetFullPath(Path.Combine(Port, "../../../docs/mvc.md"));

    [Fact]
    public void TheDocumentedCountsAreThePorts()
    {
        // The adopted project holds exactly the files adoption changed; it compiles the others from the Api as they
        // are.
        var changed = Directory
            .EnumerateFiles(Path.Combine(Port, "Switchyard.Api.Traced"), "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Path.Combine(Port, "Switchyard.Api.Traced"), path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal)
                && !path.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(new[] { "Controllers/ChatCompletionsController.cs", "Program.cs" }, changed);

        var documented = Documented();
        foreach (var file in changed)
        {
            var (added, removed) = TracedLlm.Tests.LineCount.NumStat(
                File.ReadAllLines(Path.Combine(Port, "Switchyard.Api", file)),
                File.ReadAllLines(Path.Combine(Port, "Switchyard.Api.Traced", file)));
            Assert.True(documented.TryGetValue(file, out var row), $"docs/mvc.md does not count {file}");
            Assert.Equal((added, removed), row);
        }

        // The project file: one package reference, which this repository's project references stand for.
        Assert.Equal((1, 0), documented["Switchyard.Api.csproj"]);
        Assert.Contains(
            "src/Runtime/TracedLlm.csproj",
            File.ReadAllText(Path.Combine(Port, "Switchyard.Api.Traced/Switchyard.Api.Traced.csproj")),
            StringComparison.Ordinal);
    }

    /// <summary>
    /// docs/porting.md's shape 3 is this port: every line of its snippet (comments aside) is a line of the
    /// adopted Program.cs or controller, so the recipe is the code these tests compile and run side by side.
    /// </summary>
    [Fact]
    public void TheRecipesShapeThreeSnippetIsThePortsCode()
    {
        var porting = File.ReadAllText(Path.GetFullPath(Path.Combine(Port, "../../../docs/porting.md")));
        var snippet = TracedLlm.Tests.RecipeSnippet.Lines(porting, "## Shape 3");
        var adopted = new[] { "Program.cs", "Controllers/ChatCompletionsController.cs" }
            .SelectMany(file => File.ReadAllLines(Path.Combine(Port, "Switchyard.Api.Traced", file)))
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(snippet.Count >= 6, "porting.md's shape 3 has no snippet");
        Assert.All(snippet, line => Assert.Contains(line, adopted));
    }

    /// <summary>The rows of docs/mvc.md's count: <c>| `file` | added | removed |</c>.</summary>
    private static Dictionary<string, (int, int)> Documented() =>
        CountRow().Matches(File.ReadAllText(Docs))
            .ToDictionary(
                m => m.Groups["file"].Value,
                m => (int.Parse(m.Groups["added"].Value), int.Parse(m.Groups["removed"].Value)));

    [GeneratedRegex(@"^\| `(?<file>[^`]+)` \| (?<added>\d+) \| (?<removed>\d+) \|", RegexOptions.Multiline)]
    private static partial Regex CountRow();

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
