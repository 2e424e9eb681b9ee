using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using TracedLlm.EndToEnd.Tests;

namespace TracedLlm.Package.Tests;

/// <summary>
/// Every shipping package, packed once per run by the one command the README documents, into a folder feed.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    /// <summary>
    /// The README's pack command (a test checks it is there), run with the feed folder for <c>./feed</c>.
    /// </summary>
    public const string PackCommand = "dotnet pack Generators.sln -c Release -o ./feed";

    // A bound for a hung command, not a speed goal: the pack took over 5 minutes once, beside other builds on 2 cores.
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    public static readonly string[] Packages =
    {
        "TracedLlm",
        "TracedLlm.Extensions.AI",
        "TracedLlm.OpenTelemetry",
        "TracedLlm.ReverseProxy"
    };

    public string Directory { get; } =
        Path.Combine(Path.GetTempPath(), "tracedllm-feed-" + Guid.NewGuid().ToString("N"));

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>What the pack command printed.</summary>
    public string Output { get; private set; } = string.Empty;

    public string TracedLlmPackage => Package("TracedLlm");

    public string Package(string id) => Path.Combine(Directory, $"{id}.0.1.0.nupkg");

    public async Task InitializeAsync()
    {
        var arguments = PackCommand.Replace("./feed", Directory, StringComparison.Ordinal).Split(' ');
        Output = await ChildProcess.RunAsync(arguments[0], arguments[1..], RepositoryRoot, CommandTimeout);
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }

    private static string FindRoot([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "package";
}
