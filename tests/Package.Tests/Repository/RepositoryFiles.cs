using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;

namespace TracedLlm.Package.Tests;

/// <summary>The repository's own files as a checkout holds them, without build output or installed packages.</summary>
internal static class RepositoryFiles
{
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        ".git", "bin", "obj", "node_modules", "TestResults", "BenchmarkDotNet.Artifacts",
    };

    public static string Root { get; } = FindRoot();

    /// <summary>Files under <paramref name="folder"/> ending with one of <paramref name="extensions"/>.</summary>
    public static IEnumerable<string> Under(string folder, params string[] extensions) =>
        Walk(Path.Combine(Root, folder))
            .Where(path => extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal);

    /// <summary><paramref name="path"/> relative to the root, with forward slashes, as messages name it.</summary>
    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static IEnumerable<string> Walk(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(directory))
        {
            yield return file;
        }

        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (!Skipped.Contains(Path.GetFileName(child)))
            {
                foreach (var file in Walk(child))
                {
                    yield return file;
                }
            }
        }
    }

    private static string FindRoot([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", ".."));
}
