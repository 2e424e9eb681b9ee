using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Analyzers.Tests;

namespace TracedLlm.Analyzers.Corpus.Tests;

/// <summary>
/// One project of the real-code corpus (tests/Analyzers.Corpus): the folders whose sources its
/// build compiles (several original assemblies merged into one compilation where the original
/// solution splits them), what its SDK adds implicitly, and which part of the corpus it is in.
/// </summary>
internal sealed record CorpusProject(
    string Name,
    string[] Folders,
    bool WebSdk,
    OutputKind Kind,
    CorpusPart Part = CorpusPart.Tuning)
{
    /// <summary>Every corpus project, as the corpus README lists them.</summary>
    public static readonly ImmutableArray<CorpusProject> All =
    [
        new("LLMProxy", ["LLMProxy"], WebSdk: true, OutputKind.ConsoleApplication),
        new("AoaiSmartLoadBalancing", ["AoaiSmartLoadBalancing"], WebSdk: true, OutputKind.ConsoleApplication),
        new(
            "LlmProxyDotNet",
            ["LlmProxyDotNet/LlmProxy.Core", "LlmProxyDotNet/LlmProxy.Infrastructure", "LlmProxyDotNet/LlmProxy.App"],
            WebSdk: true,
            OutputKind.ConsoleApplication),
        new(
            "MuxLlmProxy",
            ["MuxLlmProxy/MuxLlmProxy.Core", "MuxLlmProxy/MuxLlmProxy.Infrastructure", "MuxLlmProxy/MuxLlmProxy.Host"],
            WebSdk: true,
            OutputKind.ConsoleApplication),
        new(
            "eShop.Catalog",
            [
                "eShop/src/EventBus",
                "eShop/src/EventBusRabbitMQ",
                "eShop/src/IntegrationEventLogEF",
                "eShop/src/Shared",
                "eShop/src/eShop.ServiceDefaults",
                "eShop/src/Catalog.API"
            ],
            WebSdk: true,
            OutputKind.DynamicallyLinkedLibrary),
        new(
            "eShop.Webhooks",
            [
                "eShop/src/EventBus",
                "eShop/src/EventBusRabbitMQ",
                "eShop/src/IntegrationEventLogEF",
                "eShop/src/Shared",
                "eShop/src/eShop.ServiceDefaults",
                "eShop/src/Webhooks.API"
            ],
            WebSdk: true,
            OutputKind.DynamicallyLinkedLibrary),
        // Held out: measured, never tuned against (tests/Analyzers.Corpus/README.md, "Tuning and held-out").
        new("KubeconChat", ["KubeconChat"], WebSdk: true, OutputKind.ConsoleApplication, CorpusPart.HeldOut),
        new(
            "Yarp.Transforms",
            ["YarpSamples/ReverseProxy.Transforms.Sample"],
            WebSdk: true,
            OutputKind.ConsoleApplication,
            CorpusPart.HeldOut),
        new(
            "Yarp.Direct",
            ["YarpSamples/ReverseProxy.Direct.Sample"],
            WebSdk: true,
            OutputKind.ConsoleApplication,
            CorpusPart.HeldOut),
        new(
            "MeaiOpenAIWebApi",
            ["AiSamples/OpenAIWebAPI"],
            WebSdk: true,
            OutputKind.ConsoleApplication,
            CorpusPart.HeldOut),
        new(
            "AICentral",
            [
                "AICentral/AICentral.Core",
                "AICentral/AICentral",
                "AICentral/AICentral.RateLimiting.DistributedRedis",
                "AICentral/AICentral.AzureAISearchVectorizer"
            ],
            WebSdk: true,
            OutputKind.DynamicallyLinkedLibrary,
            CorpusPart.HeldOut),
        new(
            "SK.AutoFunctionCalling",
            ["SemanticKernelDemos/StepwisePlannerMigration"],
            WebSdk: true,
            OutputKind.ConsoleApplication,
            CorpusPart.HeldOut),
        new(
            "SK.HomeAutomation",
            ["SemanticKernelDemos/HomeAutomation"],
            WebSdk: false,
            OutputKind.ConsoleApplication,
            CorpusPart.HeldOut),
    ];

    // What <ImplicitUsings>enable</ImplicitUsings> adds (Microsoft.NET.Sdk, then Microsoft.NET.Sdk.Web).
    private static readonly string[] SdkUsings =
    [
        "System",
        "System.Collections.Generic",
        "System.IO",
        "System.Linq",
        "System.Net.Http",
        "System.Threading",
        "System.Threading.Tasks"
    ];

    private static readonly string[] WebSdkUsings =
    [
        "System.Net.Http.Json",
        "Microsoft.AspNetCore.Builder",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging",
    ];

    // The generators of the .NET reference pack the corpus relies on (its build runs them too).
    private static readonly Lazy<ImmutableArray<ISourceGenerator>> SdkGenerators = new(() =>
        PackGenerators("Microsoft.NETCore.App.Ref", "System.Text.RegularExpressions.Generator.dll"));

    /// <summary>
    /// The source generators of one assembly a reference pack of the running SDK ships
    /// (<c>packs/PACK/VERSION/analyzers/dotnet/cs</c>), from the newest version of the pack installed.
    /// </summary>
    internal static ImmutableArray<ISourceGenerator> PackGenerators(string packName, string assembly)
    {
        var dotnet = Path.GetFullPath(
            Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var pack = Directory
            .EnumerateDirectories(Path.Combine(dotnet, "packs", packName))
            .OrderByDescending(path =>
                Version.TryParse(Path.GetFileName(path), out var version) ? version : new Version(0, 0))
            .First();
        var generators = new Microsoft.CodeAnalysis.Diagnostics.AnalyzerFileReference(
            Path.Combine(pack, "analyzers", "dotnet", "cs", assembly), new GeneratorAssemblyLoader());
        return generators.GetGenerators(LanguageNames.CSharp);
    }

    /// <summary>The corpus folder, tests/Analyzers.Corpus.</summary>
    public static string Root { get; } = FindRoot();

    public string ImplicitUsingsPath => Path.Combine(Root, Name + ".ImplicitUsings.g.cs");

    /// <summary>The project's sources with the route generator's output, as its build compiles them.</summary>
    public Compilation Compile()
    {
        var trees = Folders
            .SelectMany(folder =>
                Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories))
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path =>
                CSharpSyntaxTree.ParseText(
                    File.ReadAllText(path).ReplaceLineEndings("\n"),
                    ProjectAnalysis.ParseOptions,
                    path))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings(), ProjectAnalysis.ParseOptions, ImplicitUsingsPath))
            .ToArray();
        return ProjectAnalysis.Compile(CorpusReferences.All, Kind, WithSdkGeneratedSources(Name, Kind, trees));
    }

    // What the SDK's own source generators add ([GeneratedRegex] methods, say), as the project's build has them
    // (bench/analyzers-wide compiles its trees with them too).
    internal static SyntaxTree[] WithSdkGeneratedSources(string name, OutputKind kind, SyntaxTree[] trees)
    {
        var compilation = CSharpCompilation.Create(
            name,
            trees,
            CorpusReferences.All,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver
            .Create(SdkGenerators.Value, parseOptions: ProjectAnalysis.GeneratedParseOptions(trees))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return output.SyntaxTrees.ToArray();
    }

    /// <summary>A path relative to the corpus folder, with '/' separators: how the verdict file names files.</summary>
    public static string RelativePath(string path) =>
        Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');

    private string ImplicitUsings() => ImplicitUsingsSource(WebSdk);

    /// <summary>
    /// The global usings &lt;ImplicitUsings&gt; adds with Microsoft.NET.Sdk, or with Microsoft.NET.Sdk.Web.
    /// </summary>
    internal static string ImplicitUsingsSource(bool webSdk) =>
        string.Concat(SdkUsings.Concat(webSdk ? WebSdkUsings : []).Select(u => $"global using global::{u};\n"));

    private static string FindRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Analyzers.Corpus"));
}

/// <summary>
/// Which part of the corpus a project is in. The tuning part is what the analyzers were changed
/// against (issue 29 on); the held-out part is only ever measured: a false alarm or a miss there is
/// recorded in the verdicts with its reason, and no analyzer change may be made to answer it.
/// </summary>
internal enum CorpusPart
{
    Tuning,
    HeldOut,
}

internal sealed class GeneratorAssemblyLoader : Microsoft.CodeAnalysis.IAnalyzerAssemblyLoader
{
    public void AddDependencyLocation(string fullPath)
    {
    }

    public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
}

/// <summary>
/// What the corpus compiles against: .NET 10 and ASP.NET Core reference assemblies and TracedLlm
/// (<see cref="Testing.TestReferences"/>), then the package assemblies this test project restores
/// for the corpus (YARP, EF Core, RabbitMQ.Client, ...), taken from its output folder.
/// </summary>
internal static class CorpusReferences
{
    // Assemblies of the test run itself, not of any corpus project's build.
    private static readonly string[] NotReferenced =
    [
        "Microsoft.CodeAnalysis",
        "TracedLlm.Generators",
        "TracedLlm.Analyzers",
        "xunit",
        "testhost",
        "Microsoft.TestPlatform",
        "Microsoft.VisualStudio",
        "Microsoft.Testing",
        "Basic.Reference",
        "DiffPlex",
        "NuGet.",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyAll = new(Load);

    public static ImmutableArray<MetadataReference> All => LazyAll.Value;

    private static ImmutableArray<MetadataReference> Load()
    {
        var references = new List<MetadataReference>(Testing.TestReferences.All);
        var names = new HashSet<string>(
            references.OfType<PortableExecutableReference>().Select(r => Path.GetFileNameWithoutExtension(r.FilePath!)),
            StringComparer.OrdinalIgnoreCase);
        var self = typeof(CorpusReferences).Assembly.GetName().Name!;
        foreach (var path in Directory
                .EnumerateFiles(AppContext.BaseDirectory, "*.dll")
                .OrderBy(p => p, StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name != self
                && !NotReferenced.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                && names.Add(name))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }

        return references.ToImmutableArray();
    }
}
