using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// The sample gateway's own sources: clean as they are, TLLM2001 as soon as one wrong-slot literal is added.
/// </summary>
public sealed class SampleGatewayTests
{
    // Every assembly of this test process (the sample's packages included) plus the TracedLlm runtime.
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path =>
                !string.IsNullOrEmpty(path)
                && !Path.GetFileName(path).StartsWith("TracedLlm.Generators", StringComparison.Ordinal))
            .Append(typeof(TracedLlmRouteAttribute).Assembly.Location)
            .Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray());

    [Fact]
    public async Task TheSampleHasNoTracedLlmDiagnostics()
    {
        Assert.Empty(await ProjectAnalysis.BuildDiagnosticsAsync(SampleCompilation()));
    }

    [Fact]
    public async Task OneWrongSlotLiteralIsReportedAsTLLM2001()
    {
        var compilation = SampleCompilation(routes => routes.Replace(
            "var prompt = MessagesRequestFor(request);",
            "var prompt = MessagesRequestFor(request);\n        _ = call.HttpContext.Items[\"metadata\"];",
            StringComparison.Ordinal));

        var diagnostic = Assert.Single(await ProjectAnalysis.BuildDiagnosticsAsync(compilation));
        Assert.Equal("TLLM2001", diagnostic.Id);
        Assert.Equal("Routes.cs", Path.GetFileName(diagnostic.Location.SourceTree!.FilePath));
        Assert.Equal(
            "Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route "
            + "'POST /v1/messages' (slot 'litellm_metadata')",
            diagnostic.GetMessage());
    }

    // The sample's sources as the build sees them, minus what other generators (JSON, logging) would add.
    private static Compilation SampleCompilation(
        Func<string, string>? editRoutes = null,
        [CallerFilePath] string testFile = "")
    {
        var sample = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", "samples", "Gateway"));
        var separator = Path.DirectorySeparatorChar;
        var trees = Directory
            .EnumerateFiles(sample, "*.cs", SearchOption.AllDirectories)
            .Where(path =>
                !path.Contains($"{separator}obj{separator}", StringComparison.Ordinal)
                && !path.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path =>
            {
                var text = File.ReadAllText(path).ReplaceLineEndings("\n");
                if (Path.GetFileName(path) == "Routes.cs" && editRoutes is not null)
                {
                    var edited = editRoutes(text);
                    Assert.NotEqual(text, edited);
                    text = edited;
                }

                return CSharpSyntaxTree.ParseText(text, ProjectAnalysis.ParseOptions, path);
            })
            .ToArray();
        return ProjectAnalysis.Compile(References.Value, OutputKind.ConsoleApplication, trees);
    }
}
