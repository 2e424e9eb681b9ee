using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using TracedLlm.EndToEnd.Tests;

namespace TracedLlm.Package.Tests;

/// <summary>TracedLlm and TracedLlm.OpenTelemetry packed, once, into a local folder feed.</summary>
public sealed class PackedFeed : IAsyncLifetime
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "tracedllm-feed-" + Guid.NewGuid().ToString("N"));

    public static string RepositoryRoot { get; } = FindRoot();

    public string TracedLlmPackage => Path.Combine(Directory, "TracedLlm.0.1.0.nupkg");

    public async Task InitializeAsync()
    {
        foreach (var project in new[] { "src/Runtime/TracedLlm.csproj", "src/OpenTelemetry/TracedLlm.OpenTelemetry.csproj" })
        {
            await ChildProcess.RunAsync("dotnet", new[] { "pack", Path.Combine(RepositoryRoot, project), "-c", "Release", "-o", Directory, "-nologo" }, RepositoryRoot, CommandTimeout);
        }
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
