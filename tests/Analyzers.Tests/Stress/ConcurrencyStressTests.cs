using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Generators;
using Xunit.Abstractions;

namespace TracedLlm.Analyzers.Tests.Stress;

/// <summary>
/// The analyzers run with concurrent execution, many times over a multi-route gateway, the two
/// ways a build runs them: the compiler's own driver (as <c>dotnet build</c> does) and
/// <c>CompilationWithAnalyzers</c> with concurrent analysis (as an editor does). Every run is a new
/// compilation of newly parsed files, as every build is, so caches keyed by syntax tree are filled
/// again each time. No analyzer or generator may throw (AD0001, CS8784, CS8785) or fail to load
/// (CS8032), every run reports the same diagnostics, and both ways report the same ones. On a
/// machine with few cores two callbacks rarely meet on one cache entry: SharedFactsRaceTests
/// lines them up on purpose.
/// </summary>
public sealed class ConcurrencyStressTests(ITestOutputHelper output)
{
    // Three groups of three routes: nine traced handlers that throw, beside the policies.
    private const int Groups = 3;

    /// <summary>
    /// Builds and runs per test: 20 in CI's run (the two tests were 40 % of the project's time at 100, for races that
    /// SharedFactsRaceTests lines up on purpose); <c>TLLM_STRESS_ITERATIONS=100</c> locally for a longer soak.
    /// </summary>
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("TLLM_STRESS_ITERATIONS"), out var iterations) && iterations > 0
            ? iterations
            : 20;

    private static readonly string[] CrashIds = { "AD0001", "CS8032", "CS8784", "CS8785" };

    // As the package passes them: the analyzers with the dataflow framework they ship beside, and the generator.
    private static readonly string[] Analyzers =
    {
        typeof(TracedCodeAnalyzer).Assembly.Location,
        typeof(Analyzer.Utilities.WellKnownTypeProvider).Assembly.Location,
        typeof(TracedLlmRouteGenerator).Assembly.Location,
    };

    [Fact]
    public void TheCompilersOwnDriverReportsTheSameDiagnosticsEveryBuildAndNeverThrows()
    {
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var first = CommandLineBuilds(Iterations);

        output.WriteLine(
            $"{CommandLineCompiler.Instance.Directory}: {Iterations} builds in {watch.Elapsed.TotalSeconds:F1} s, "
            + $"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU");
        Assert.Equal(
            new[] { "TLLM2001", "TLLM2002", "TLLM2003", "TLLM2004", "TLLM2005", "TLLM2006" },
            first.Select(d => d.Split(": ")[1]).Distinct().OrderBy(id => id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ConcurrentAnalysisReportsTheSameDiagnosticsEveryRunAsABuildAndNeverThrows()
    {
        var build = CommandLineBuilds(1);
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var run = 0; run < Iterations; run++)
        {
            var trees = StressGateway
                .Sources(Groups)
                .Select(file => CSharpSyntaxTree.ParseText(file.Text, ProjectAnalysis.ParseOptions, file.Name))
                .ToArray();
            var compilation = ProjectAnalysis.Compile(
                References.Value.Metadata,
                OutputKind.DynamicallyLinkedLibrary,
                trees);

            // Fails on any analyzer exception and on AD0001.
            var diagnostics = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);

            Assert.Equal(build, diagnostics.Select(Describe).OrderBy(d => d, StringComparer.Ordinal));
        }

        output.WriteLine(
            $"CompilationWithAnalyzers: {Iterations} runs in {watch.Elapsed.TotalSeconds:F1} s, "
            + $"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s of CPU");
    }

    /// <summary>
    /// Builds the gateway <paramref name="builds"/> times with the compiler; what every build reported, which must be
    /// the same each time.
    /// </summary>
    private static IReadOnlyList<string> CommandLineBuilds(int builds)
    {
        var work = Path.Combine(Path.GetTempPath(), "tracedllm-stress-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var sources = new List<string>();
            foreach (var (name, text) in StressGateway.Sources(Groups))
            {
                sources.Add(Path.Combine(work, name));
                File.WriteAllText(sources[^1], text);
            }

            IReadOnlyList<string>? first = null;
            for (var build = 0; build < builds; build++)
            {
                var result = CommandLineCompiler.Instance.Compile(work, sources, References.Value.Files, Analyzers);
                var crashes = result.Diagnostics.Where(d => CrashIds.Contains(d.Id)).ToList();
                Assert.True(crashes.Count == 0, $"build {build}: {string.Join("\n", crashes)}");
                Assert.True(result.ExitCode == 0, $"build {build}: exit code {result.ExitCode}\n{result.Output}");

                var diagnostics = result.Diagnostics
                    .Where(d => d.Id.StartsWith("TLLM", StringComparison.Ordinal))
                    .Select(d => d.ToString())
                    .OrderBy(d => d, StringComparer.Ordinal)
                    .ToList();
                first ??= diagnostics;
                Assert.Equal(first, diagnostics);
            }

            return first!;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Describe(Diagnostic diagnostic)
    {
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        return new LoggedDiagnostic(
            diagnostic.Id,
            $"{Path.GetFileName(diagnostic.Location.SourceTree!.FilePath)}({position.Line + 1},{position.Character + 1}"
            + $")",
            diagnostic.GetMessage()).ToString();
    }

    /// <summary>
    /// What the gateway needs of a net10.0 web project's references (the two reference packs, the
    /// TracedLlm runtime and the packages it uses): the assemblies a compilation of it with all of
    /// them binds to. The other few hundred would only cost each compiler run the reading of their
    /// metadata, the same every run. As files and as metadata.
    /// </summary>
    private static readonly Lazy<(IReadOnlyList<string> Files,
        ImmutableArray<MetadataReference> Metadata)> References = new(() =>
    {
        var files = CommandLineCompiler.FrameworkReferences("Microsoft.NETCore.App.Ref").Concat(
            CommandLineCompiler.FrameworkReferences("Microsoft.AspNetCore.App.Ref")).ToList();
        var names = new HashSet<string>(files.Select(Path.GetFileNameWithoutExtension)!,
            StringComparer.OrdinalIgnoreCase);
        var runtime = typeof(TracedLlmRouteAttribute).Assembly;
        files.Add(runtime.Location);
        foreach (var referenced in runtime.GetReferencedAssemblies())
        {
            if (!names.Contains(referenced.Name!) && Assembly.Load(referenced) is { Location.Length: > 0 } assembly)
            {
                files.Add(assembly.Location);
            }
        }

            var all = files
                .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
                .ToImmutableArray();
            var trees = StressGateway
                .Sources(Groups)
                .Select(file => CSharpSyntaxTree.ParseText(file.Text, ProjectAnalysis.ParseOptions, file.Name))
                .ToArray();
            var used = ProjectAnalysis
                .Compile(all, OutputKind.DynamicallyLinkedLibrary, trees)
                .GetUsedAssemblyReferences()
                .OfType<PortableExecutableReference>()
                .ToList();
            return (used.Select(reference => reference.FilePath!).ToList(), used.ToImmutableArray<MetadataReference>());
        });
}
