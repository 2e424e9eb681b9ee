using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;

namespace TracedLlm.Package.Tests;

/// <summary>No source file of a runtime package is longer than 350 lines.</summary>
/// <remarks>
/// The runtime packages are those an application runs: the projects under src/ that target .NET (the generator and
/// the analyzers target netstandard2.0 and run in the compiler), with every file each compiles, the src/Shared sources
/// it links included. A file past the limit is split by concern into partial files named <c>Type.Concern.cs</c>,
/// members moved as they are.
/// </remarks>
public sealed class RuntimeFileLengthTests
{
    private const int MaxLines = 350;

    [Fact]
    public void NoRuntimeFileIsLongerThan350Lines()
    {
        var lengths = RuntimeFiles().Distinct(StringComparer.Ordinal).ToDictionary(
            file => file, file => File.ReadAllLines(Path.Combine(RepositoryFiles.Root, file)).Length);

        var tooLong = lengths
            .Where(entry => entry.Value > MaxLines)
            .Select(entry => $"{entry.Key}: {entry.Value} lines")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(
            tooLong.Count == 0,
            $"Runtime files past {MaxLines} lines (split by concern):\n" + string.Join("\n", tooLong));
    }

    [Fact]
    public void TheRuntimeFilesAreEveryPackagesOwnAndTheSharedSourcesTheyLink()
    {
        var files = RuntimeFiles().ToHashSet(StringComparer.Ordinal);

        Assert.Contains("src/Runtime/LlmCall.cs", files);
        Assert.Contains("src/ReverseProxy/LlmRelay.cs", files);
        Assert.Contains("src/ExtensionsAI/TracedLlmChatClient.cs", files);
        Assert.Contains("src/OpenTelemetry/OtlpDelivery.cs", files);
        Assert.Contains("src/Shared/Reading/ResponseReader.cs", files);
        Assert.Contains("src/Shared/Hosting/ConfigurationReader.cs", files);
        Assert.DoesNotContain(files, file => file.StartsWith("src/Generators/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, file => file.StartsWith("src/Analyzers/", StringComparison.Ordinal));
        Assert.DoesNotContain("src/Shared/HandlerBinding.cs", files);
    }

    /// <summary>Every file the runtime projects compile, relative to the root.</summary>
    private static IEnumerable<string> RuntimeFiles()
    {
        var projects = RepositoryFiles.Under("src", ".csproj")
            .Select(path => (Path: path, Project: XDocument.Load(path)))
            .Where(p => p.Project.Descendants("TargetFramework")
                .Any(f => f.Value.StartsWith("net1", StringComparison.Ordinal)));
        foreach (var (path, project) in projects)
        {
            var directory = Path.GetDirectoryName(path)!;
            foreach (var file in RepositoryFiles.Under(RepositoryFiles.Relative(directory), ".cs"))
            {
                yield return RepositoryFiles.Relative(file);
            }

            foreach (var include in project.Descendants("Compile").Select(c => (string?)c.Attribute("Include")))
            {
                foreach (var file in Linked(directory, include ?? string.Empty))
                {
                    yield return RepositoryFiles.Relative(file);
                }
            }
        }
    }

    /// <summary>The files a <c>Compile Include</c> names: paths, or a folder's <c>*.cs</c>.</summary>
    private static IEnumerable<string> Linked(string projectDirectory, string include) =>
        include.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(item =>
            {
                var full = Path.GetFullPath(Path.Combine(projectDirectory, item.Replace('\\', '/')));
                var name = Path.GetFileName(full);
                return name.Contains('*', StringComparison.Ordinal)
                    ? Directory.EnumerateFiles(Path.GetDirectoryName(full)!, name)
                    : File.Exists(full) ? [full] : [];
            });
}
