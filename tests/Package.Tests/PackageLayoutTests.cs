using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;

namespace TracedLlm.Package.Tests;

/// <summary>What the packages hold, and what they ask of their users.</summary>
[Collection(PackageCollection.Name)]
public sealed class PackageLayoutTests(PackedFeed feed)
{
    [Fact]
    public void ThePackageHoldsTheRuntimeAndEveryRoslynComponent()
    {
        Assert.Equal(
            new[]
            {
                "README.md",
                "THIRD-PARTY-NOTICES.txt",
                "TracedLlm.nuspec",
                "analyzers/dotnet/cs/Microsoft.CodeAnalysis.AnalyzerUtilities.dll",
                "analyzers/dotnet/cs/TracedLlm.Analyzers.dll",
                "analyzers/dotnet/cs/TracedLlm.CodeFixes.dll",
                "analyzers/dotnet/cs/TracedLlm.Generators.dll",
                "buildTransitive/TracedLlm.props",
                "buildTransitive/TracedLlm.targets",
                "lib/net10.0/TracedLlm.dll",
                "lib/net10.0/TracedLlm.xml",
            },
            Files("TracedLlm"));
    }

    [Fact]
    public void EveryThirdPartyDllItShipsIsNamedWithItsLicenceInTheNotices()
    {
        using var package = ZipFile.OpenRead(feed.Package("TracedLlm"));
        using var reader = new StreamReader(package.GetEntry("THIRD-PARTY-NOTICES.txt")!.Open());
        var notices = reader.ReadToEnd();
        var thirdParty = package.Entries
            .Select(e => e.FullName)
            .Where(name =>
                name.EndsWith(".dll", StringComparison.Ordinal)
                && !Path.GetFileName(name).StartsWith("TracedLlm", StringComparison.Ordinal))
            .ToArray();

        Assert.NotEmpty(thirdParty);
        foreach (var dll in thirdParty)
        {
            Assert.Contains(Path.GetFileName(dll), notices, StringComparison.Ordinal);
        }

        Assert.Contains("Permission is hereby granted, free of charge", notices, StringComparison.Ordinal);
    }

    [Fact]
    public void ItDependsOnOpenTelemetryApiPollyCoreAndAspNetCoreOnly()
    {
        var (document, ns) = Nuspec("TracedLlm");

        // Polly.Core runs the upstream attempts' retries, timeouts, fallbacks and circuit breakers.
        Assert.Equal(
            new[] { "OpenTelemetry.Api", "Polly.Core" },
            document
                .Descendants(ns + "dependency")
                .Select(d => (string)d.Attribute("id")!)
                .OrderBy(id => id, System.StringComparer.Ordinal));
        Assert.Equal(
            new[] { "Microsoft.AspNetCore.App" },
            document.Descendants(ns + "frameworkReference").Select(d => (string)d.Attribute("name")!));
    }

    [Fact]
    public void TheOneCommandPacksEveryShippingPackageWithNoWarningAndNothingElse()
    {
        Assert.Equal(
            PackedFeed.Packages
                .SelectMany(id => new[] { $"{id}.0.1.0.nupkg", $"{id}.0.1.0.snupkg" })
                .Order(StringComparer.Ordinal),
            Directory.GetFiles(feed.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("warning", feed.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("missing a readme", feed.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("TracedLlm", "# TracedLlm\n")]
    [InlineData("TracedLlm.OpenTelemetry", "# TracedLlm.OpenTelemetry\n")]
    [InlineData("TracedLlm.Extensions.AI", "# TracedLlm.Extensions.AI\n")]
    [InlineData("TracedLlm.ReverseProxy", "# TracedLlm.ReverseProxy\n")]
    public void EachPackageHasItsReadmeLicenseAndRepositoryAndNoIcon(string id, string readmeStart)
    {
        var (document, ns) = Nuspec(id);
        var metadata = document.Root!.Element(ns + "metadata")!;

        Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
        using (var package = ZipFile.OpenRead(feed.Package(id)))
        using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
        {
            Assert.StartsWith(readmeStart, readme.ReadToEnd().ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }

        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
        Assert.Equal("https://github.com/tracedllm/tracedllm", (string?)metadata.Element(ns + "projectUrl"));
        var repository = metadata.Element(ns + "repository")!;
        Assert.Equal("https://github.com/tracedllm/tracedllm", (string?)repository.Attribute("url"));
        Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit"));
        Assert.Null(metadata.Element(ns + "icon"));
        Assert.Null(metadata.Element(ns + "iconUrl"));
        Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "description")));
    }

    [Fact]
    public void TheHelperPackagesDependOnTheRuntimeAndTheirEcosystemOnly()
    {
        string[] Dependencies(string id)
        {
            var (document, ns) = Nuspec(id);
            return document
                .Descendants(ns + "dependency")
                .Select(d => $"{d.Attribute("id")!.Value} {d.Attribute("version")!.Value}")
                .ToArray();
        }

        // OpenTelemetry.Extensions.Hosting: AddTracedLlm() on the OpenTelemetry builder, and the
        // providers started and flushed with the host.
        Assert.Equal(
            new[]
            {
                "TracedLlm 0.1.0",
                "OpenTelemetry 1.20.1",
                "OpenTelemetry.Exporter.OpenTelemetryProtocol 1.20.1",
                "OpenTelemetry.Extensions.Hosting 1.20.1"
            },
            Dependencies("TracedLlm.OpenTelemetry"));

        // System.Numerics.Tensors 10.0.14: what Microsoft.Extensions.AI asks for (10.0.13) is not on every feed.
        Assert.Equal(
            new[]
            {
                "TracedLlm 0.1.0",
                "Microsoft.Extensions.AI 10.11.0",
                "System.ClientModel 1.16.0",
                "System.Numerics.Tensors 10.0.14"
            },
            Dependencies("TracedLlm.Extensions.AI"));
        Assert.Equal(
            new[]
            {
                "README.md",
                "TracedLlm.Extensions.AI.nuspec",
                "lib/net10.0/TracedLlm.Extensions.AI.dll",
                "lib/net10.0/TracedLlm.Extensions.AI.xml"
            },
            Files("TracedLlm.Extensions.AI"));

        // Yarp.ReverseProxy: the relay forwards through YARP's own forwarder. It reaches the runtime through an
        // internal seam (ILlmCallRelay), so it depends on exactly the TracedLlm it was built with.
        Assert.Equal(new[] { "TracedLlm [0.1.0]", "Yarp.ReverseProxy 2.3.0" }, Dependencies("TracedLlm.ReverseProxy"));
        Assert.Equal(
            new[]
            {
                "README.md",
                "TracedLlm.ReverseProxy.nuspec",
                "lib/net10.0/TracedLlm.ReverseProxy.dll",
                "lib/net10.0/TracedLlm.ReverseProxy.xml"
            },
            Files("TracedLlm.ReverseProxy"));
    }

    private string[] Files(string id)
    {
        using var package = ZipFile.OpenRead(feed.Package(id));
        return package.Entries
            .Select(e => e.FullName)
            .Where(name =>
                !name.StartsWith("package/", StringComparison.Ordinal)
                && !name.StartsWith("_rels/", StringComparison.Ordinal)
                && name != "[Content_Types].xml")
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private (XDocument Document, XNamespace Namespace) Nuspec(string id)
    {
        using var package = ZipFile.OpenRead(feed.Package(id));
        using var nuspec = package.GetEntry($"{id}.nuspec")!.Open();
        var document = XDocument.Load(nuspec);
        return (document, document.Root!.Name.Namespace);
    }
}
