using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm;
using TracedLlm.Generators;

BenchmarkRunner.Run<GeneratorBenchmarks>(args: args);

/// <summary>
/// The TracedLlm generator over 10, 100 and 1,000 traced routes (one file each): a cold run with a
/// new driver, a run after an edit outside the routes, and a run after an edit inside one route.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);
    private CSharpCompilation _compilation = null!;
    private GeneratorDriver _warm = null!;
    private CSharpCompilation _editedOutside = null!;
    private CSharpCompilation _editedInside = null!;

    [Params(10, 100, 1000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => !Path.GetFileName(path).StartsWith("TracedLlm.Generators", StringComparison.Ordinal))
            .Append(typeof(TracedLlmRouteAttribute).Assembly.Location).Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));
        var trees = Enumerable.Range(0, Routes).Select(i => CSharpSyntaxTree.ParseText(Route(i, "/v1/chat/r"), Parse, $"Route{i}.cs"))
            .Append(CSharpSyntaxTree.ParseText(Unrelated(42), Parse, "Unrelated.cs"));
        _compilation = CSharpCompilation.Create("Bench", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        _warm = NewDriver().RunGenerators(_compilation);
        _editedOutside = _compilation.ReplaceSyntaxTree(_compilation.SyntaxTrees.Last(), CSharpSyntaxTree.ParseText(Unrelated(43), Parse, "Unrelated.cs"));
        var first = _compilation.SyntaxTrees.First();
        _editedInside = _compilation.ReplaceSyntaxTree(first, CSharpSyntaxTree.ParseText(Route(0, "/v1/chat/edited"), Parse, first.FilePath));
    }

    [Benchmark]
    public GeneratorDriver Cold() => NewDriver().RunGenerators(_compilation);

    [Benchmark]
    public GeneratorDriver EditOutsideRoutes() => _warm.RunGenerators(_editedOutside);

    [Benchmark]
    public GeneratorDriver EditInsideOneRoute() => _warm.RunGenerators(_editedInside);

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create(new[] { new TracedLlmRouteGenerator().AsSourceGenerator() }, parseOptions: Parse);

    private static string Route(int i, string path) => $$"""
        using System.Threading.Tasks;
        using TracedLlm;

        namespace Bench;

        public sealed class Request{{i}} { public string? Model { get; set; } }

        public static class Route{{i}}
        {
            [TracedLlmRoute("POST", "{{path}}{{i}}")]
            public static Task<Request{{i}}> Handle(Request{{i}} request, LlmCall call) => Task.FromResult(request);
        }
        """;

    private static string Unrelated(int value) => $$"""
        namespace Bench;

        public static class Unrelated { public static int Value() => {{value}}; }
        """;
}
