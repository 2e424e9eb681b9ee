using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Generators.Tests;

namespace TracedLlm.Analyzers.Tests;

/// <summary>The sample gateway's own sources: clean as they are, TLLM2001 as soon as one wrong-slot literal is added.</summary>
public sealed class SampleGatewayTests
{
    [Fact]
    public async Task TheSampleHasNoTracedLlmDiagnostics()
    {
        Assert.Empty(await AnalyzerHarness.DiagnosticsAsync(SampleCompilation(), requireCleanCompile: false));
    }

    [Fact]
    public async Task OneWrongSlotLiteralIsReportedAsTLLM2001()
    {
        var compilation = SampleCompilation(routes => routes.Replace(
            "var reply = await providers.CompleteAsync(call, MessagesRequestFor(request));",
            "var reply = await providers.CompleteAsync(call, MessagesRequestFor(request));\n        _ = call.HttpContext.Items[\"metadata\"];",
            System.StringComparison.Ordinal));

        var diagnostic = Assert.Single(await AnalyzerHarness.DiagnosticsAsync(compilation, requireCleanCompile: false));
        Assert.Equal("TLLM2001", diagnostic.Id);
        Assert.Equal("Routes.cs", Path.GetFileName(diagnostic.Location.SourceTree!.FilePath));
        Assert.Equal("Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST /v1/messages' (slot 'litellm_metadata')", diagnostic.GetMessage());
    }

    // The sample's sources as the build sees them, minus what other generators (JSON, logging) would add.
    private static Compilation SampleCompilation(System.Func<string, string>? editRoutes = null, [CallerFilePath] string testFile = "")
    {
        var sample = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", "samples", "Gateway"));
        var trees = Directory.EnumerateFiles(sample, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", System.StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", System.StringComparison.Ordinal))
            .OrderBy(path => path, System.StringComparer.Ordinal)
            .Select(path =>
            {
                var text = File.ReadAllText(path).ReplaceLineEndings("\n");
                if (Path.GetFileName(path) == "Routes.cs" && editRoutes is not null)
                {
                    var edited = editRoutes(text);
                    Assert.NotEqual(text, edited);
                    text = edited;
                }

                return CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path);
            });
        return CSharpCompilation.Create(
            "TracedLlm.Samples.Gateway",
            trees,
            GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
    }
}
