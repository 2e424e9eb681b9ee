using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;

namespace TracedLlm.Package.Tests;

/// <summary>What the TracedLlm package holds, and what it asks of its users.</summary>
[Collection(PackageCollection.Name)]
public sealed class PackageLayoutTests(PackedFeed feed)
{
    [Fact]
    public void ThePackageHoldsTheRuntimeAndEveryRoslynComponent()
    {
        using var package = ZipFile.OpenRead(feed.TracedLlmPackage);
        var files = package.Entries.Select(e => e.FullName).Where(name => !name.StartsWith("package/", System.StringComparison.Ordinal) && !name.StartsWith("_rels/", System.StringComparison.Ordinal) && name != "[Content_Types].xml").OrderBy(n => n, System.StringComparer.Ordinal);

        Assert.Equal(
            new[]
            {
                "README.md",
                "TracedLlm.nuspec",
                "analyzers/dotnet/cs/TracedLlm.Analyzers.dll",
                "analyzers/dotnet/cs/TracedLlm.CodeFixes.dll",
                "analyzers/dotnet/cs/TracedLlm.Generators.dll",
                "buildTransitive/TracedLlm.props",
                "buildTransitive/TracedLlm.targets",
                "lib/net10.0/TracedLlm.dll",
                "lib/net10.0/TracedLlm.xml",
            },
            files);
    }

    [Fact]
    public void ItDependsOnOpenTelemetryApiPollyCoreAndAspNetCoreOnly()
    {
        using var package = ZipFile.OpenRead(feed.TracedLlmPackage);
        using var nuspec = package.GetEntry("TracedLlm.nuspec")!.Open();
        var document = XDocument.Load(nuspec);
        var ns = document.Root!.Name.Namespace;

        // Polly.Core runs the upstream attempts' retries, timeouts, fallbacks and circuit breakers.
        Assert.Equal(new[] { "OpenTelemetry.Api", "Polly.Core" }, document.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).OrderBy(id => id, System.StringComparer.Ordinal));
        Assert.Equal(new[] { "Microsoft.AspNetCore.App" }, document.Descendants(ns + "frameworkReference").Select(d => (string)d.Attribute("name")!));
        Assert.Equal("README.md", (string?)document.Descendants(ns + "readme").Single());
    }
}
