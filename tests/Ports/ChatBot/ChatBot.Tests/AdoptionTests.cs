using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using TracedLlm.Tests;

namespace ChatBot.Tests;

/// <summary>
/// The lines the ChatBot port changed, counted as <c>git diff --numstat</c> counts them (a file's missing last
/// newline aside), and its snippet in docs/porting.md: both kept in step with the code these tests run.
/// </summary>
public sealed partial class AdoptionTests
{
    private static readonly string Port = Path.GetFullPath(Path.Combine(ThisDirectory(), ".."));
    private static readonly string Adopted = Path.Combine(Port, "ChatBot.Api.Traced");
    private static readonly string Porting = File.ReadAllText(Path.Combine(Port, "../../../docs/porting.md"));

    [Fact]
    public void TheDocumentedCountsAreThePorts()
    {
        var changed = Directory.EnumerateFiles(Adopted, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Adopted, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(new[] { "OpenAi/OpenAiService.cs", "Program.cs" }, changed);

        var documented = CountRow().Matches(Porting).ToDictionary(
            m => m.Groups["file"].Value,
            m => (int.Parse(m.Groups["added"].Value), int.Parse(m.Groups["removed"].Value)));
        foreach (var file in changed)
        {
            var counted = LineCount.NumStat(
                File.ReadAllLines(Path.Combine(Port, "ChatBot.Api", file)),
                File.ReadAllLines(Path.Combine(Port, "ChatBot.Api.Traced", file)));
            Assert.Equal(counted, documented["ChatBot/" + file]);
        }

        Assert.Equal((1, 0), documented["ChatBot/ChatBot.Api.csproj"]);
    }

    [Fact]
    public void TheRecipesSnippetIsThePortsCode()
    {
        var snippet = RecipeSnippet.Lines(Porting, "tests/Ports/ChatBot");
        var adopted = new[] { "Program.cs", "OpenAi/OpenAiService.cs" }
            .SelectMany(file => File.ReadAllLines(Path.Combine(Port, "ChatBot.Api.Traced", file)))
            .Select(line => line.Trim())
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(snippet.Count >= 10, "porting.md has no ChatBot snippet");
        Assert.All(snippet, line => Assert.Contains(line, adopted));
    }

    [GeneratedRegex(@"^\| `(?<file>ChatBot/[^`]+)` \| (?<added>\d+) \| (?<removed>\d+) \|", RegexOptions.Multiline)]
    private static partial Regex CountRow();

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
