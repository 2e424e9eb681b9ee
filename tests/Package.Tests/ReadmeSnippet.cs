using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace TracedLlm.Package.Tests;

/// <summary>
/// The consumer code of README.md's "Your own gateway" section, as written: every fenced block
/// right after an HTML comment <c>&lt;!-- consumer-test: FILE ... --&gt;</c> is the content of FILE
/// in a fresh <c>dotnet new web</c> project, the <c>xml</c> block after
/// <c>&lt;!-- consumer-config: nuget.config ... --&gt;</c> is the <c>nuget.config</c> that restores
/// from the packed folder, and every <c>dotnet add package</c> line of the section's bash blocks
/// is a package to add. The section runs to the next heading of its level or above.
/// </summary>
internal sealed partial record ReadmeSnippet(
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyList<string[]> AddPackageCommands,
    string Section,
    string NuGetConfig)
{
    /// <summary>The folder the README's <c>nuget.config</c> names, which a test points at its packed feed.</summary>
    public const string FeedValue = "value=\"./feed\"";

    public const string Heading = "### Your own gateway";

    public static ReadmeSnippet Read(string readmePath)
    {
        var readme = File.ReadAllText(readmePath).ReplaceLineEndings("\n");
        var start = readme.IndexOf("\n" + Heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no \"{Heading}\" heading.");
        var rest = readme[(start + 1)..];
        var next = NextHeading().Match(rest, Heading.Length);
        var section = next.Success ? rest[..next.Index] : rest;

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match marked in MarkedBlock().Matches(section))
        {
            Assert.True(
                files.TryAdd(marked.Groups["file"].Value, marked.Groups["code"].Value),
                $"Two blocks are marked {marked.Groups["file"].Value}.");
        }

        Assert.True(files.Count > 0, $"No fenced block under \"{Heading}\" is marked <!-- consumer-test: FILE -->.");
        var packages = AddPackage()
            .Matches(section)
            .Select(m => m.Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        Assert.NotEmpty(packages);
        var config = MarkedConfig().Match(section);
        Assert.True(
            config.Success,
            $"No ```xml block under \"{Heading}\" is marked <!-- consumer-config: nuget.config -->.");
        Assert.Contains(FeedValue, config.Groups["xml"].Value, StringComparison.Ordinal);
        return new ReadmeSnippet(files, packages, section, config.Groups["xml"].Value);
    }

    /// <summary>The first traced route's path in the marked files.</summary>
    public string FirstTracedPath() =>
        Files.Values.Select(code => TracedRoute().Match(code)).First(m => m.Success).Groups["path"].Value;

    // "### " or "## " or "# " at the start of a line (not "#### ").
    [GeneratedRegex(@"^#{1,3} ", RegexOptions.Multiline)]
    private static partial Regex NextHeading();

    [GeneratedRegex(@"<!--\s*consumer-test:\s*(?<file>[\w./-]+)[\s\S]*?-->\s*\n```csharp\n(?<code>[\s\S]*?)\n```")]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"<!--\s*consumer-config:\s*nuget\.config[\s\S]*?-->\s*\n```xml\n(?<xml>[\s\S]*?)\n```")]
    private static partial Regex MarkedConfig();

    // A command line, without the comment that may follow it.
    [GeneratedRegex(@"^dotnet add package [^#\n]+", RegexOptions.Multiline)]
    private static partial Regex AddPackage();

    [GeneratedRegex(@"\[TracedLlmRoute\(""POST"",\s*""(?<path>[^""]+)""")]
    private static partial Regex TracedRoute();
}
