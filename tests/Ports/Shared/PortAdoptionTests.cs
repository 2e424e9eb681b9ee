using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace TracedLlm.Tests;

/// <summary>
/// A port as docs/porting.md counts it, kept in step with the code its tests run: the files the adopted project
/// <c>tests/Ports/{name}/{name}.Api.Traced</c> holds (those adoption changed; it compiles the others from the app's
/// folder) and their lines added and removed, as <c>git diff --numstat</c> counts them against the app's, are the
/// page's rows; and every line of the page's snippet for the port (comments aside) is a line of those files.
/// </summary>
/// <param name="name">The port's folder, the prefix of its rows in the page (<c>| `Name/file` | 1 | 0 |</c>).</param>
/// <param name="anchor">The text the snippet follows in the page: the first <c>csharp</c> block after it.</param>
/// <param name="packages">The package references adoption added to the project file.</param>
/// <param name="changed">The files adoption changed, in order.</param>
public abstract partial class PortAdoptionTests(string name, string anchor, int packages, params string[] changed)
{
    private static readonly string Ports = PortsFolder();
    private static readonly string Porting = File.ReadAllText(Path.Combine(Ports, "../../docs/porting.md"));
    private readonly string _app = Path.Combine(Ports, name, name + ".Api");
    private readonly string _adopted = Path.Combine(Ports, name, name + ".Api.Traced");

    [Fact]
    public void TheDocumentedCountsAreThePorts()
    {
        Assert.Equal(changed, ChangedFiles());
        var documented = CountRow().Matches(Porting).ToDictionary(
            m => m.Groups["file"].Value,
            m => (int.Parse(m.Groups["added"].Value), int.Parse(m.Groups["removed"].Value)));
        foreach (var file in changed)
        {
            var counted = LineCount.NumStat(
                File.ReadAllLines(Path.Combine(_app, file)), File.ReadAllLines(Path.Combine(_adopted, file)));
            var counts = documented.TryGetValue($"{name}/{file}", out var row);
            Assert.True(counts, $"porting.md does not count {name}/{file}");
            Assert.Equal(counted, row);
        }

        Assert.Equal((packages, 0), documented[$"{name}/{name}.Api.csproj"]);
    }

    [Fact]
    public void TheRecipesSnippetIsThePortsCode()
    {
        var snippet = RecipeSnippet.Lines(Porting, anchor);
        var adopted = changed
            .SelectMany(file => File.ReadAllLines(Path.Combine(_adopted, file)))
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(snippet.Count >= 10, $"porting.md has no snippet of {name} after '{anchor}'");
        Assert.All(snippet, line => Assert.Contains(line, adopted));
    }

    private List<string> ChangedFiles() =>
        Directory.EnumerateFiles(_adopted, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_adopted, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string PortsFolder([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, ".."));

    [GeneratedRegex(@"^\| `(?<file>[^`]+)` \| (?<added>\d+) \| (?<removed>\d+) \|", RegexOptions.Multiline)]
    private static partial Regex CountRow();
}
