using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TracedLlm.Analyzers;
using TracedLlm.Generators;

// IDE-style analysis time of the TracedLlm analyzers on one document of the generated 1,000-route
// project (bench/analyzers/generate.sh): CompilationWithAnalyzers.GetAnalyzerSemanticDiagnosticsAsync
// over one document, the way an editor analyses the open file after each keystroke, beside the
// compiler's own diagnostics for that document and the whole-compilation run for comparison.
//
// Usage: PerDocument PROJECT_DIR DESIGN_JSON [ITERATIONS] [WARMUP] [END_ITERATIONS]
// DESIGN_JSON is what `dotnet msbuild -getProperty:... -getItem:ReferencePathWithRefAssemblies`
// prints for the project (bench/analyzers/per-document writes it): the same references and
// language settings the compiler gets in a build.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: PerDocument PROJECT_DIR DESIGN_JSON [ITERATIONS] [WARMUP] [END_ITERATIONS]");
    return 2;
}

var projectDir = Path.GetFullPath(args[0]);
var iterations = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
var warmup = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10;
var endIterations = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 5;

using var design = JsonDocument.Parse(File.ReadAllText(args[1]));
var properties = design.RootElement.GetProperty("Properties");
var references = design.RootElement.GetProperty("Items").GetProperty("ReferencePathWithRefAssemblies").EnumerateArray()
    .Select(item => MetadataReference.CreateFromFile(item.GetProperty("FullPath").GetString()!))
    .ToImmutableArray();
if (references.IsEmpty)
{
    Console.Error.WriteLine($"no references in {args[1]}: the design-time query found none");
    return 1;
}

// The SDK's compiler is newer than the Roslyn 4.14 the analyzers are built against (and this
// program hosts): a LangVersion it does not know yet (C# 14) is its Preview, which has those features.
var langVersion = properties.GetProperty("LangVersion").GetString();
if (!LanguageVersionFacts.TryParse(langVersion, out var languageVersion))
{
    languageVersion = LanguageVersion.Preview;
}

var parse = new CSharpParseOptions(languageVersion, preprocessorSymbols: properties.GetProperty("DefineConstants").GetString()!.Split(';', StringSplitOptions.RemoveEmptyEntries));
var trees = Directory.GetFiles(projectDir, "*.cs", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)
    .Select(path => CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(path), System.Text.Encoding.UTF8), parse, path))
    .ToImmutableArray();
var source = CSharpCompilation.Create(
    "Routes",
    trees,
    references,
    new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));

// What the editor sees: the compilation after the TracedLlm generator has added its source.
var driver = CSharpGeneratorDriver.Create(new[] { new TracedLlmRouteGenerator().AsSourceGenerator() }, parseOptions: parse);
driver.RunGeneratorsAndUpdateCompilation(source, out var generated, out var generatorDiagnostics);
var compilation = (CSharpCompilation)generated;
var errors = generatorDiagnostics.Concat(compilation.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
if (errors.Count > 0)
{
    Console.Error.WriteLine($"the generated project does not compile ({errors.Count} errors); nothing measured:");
    foreach (var error in errors.Take(20))
    {
        Console.Error.WriteLine($"  {error}");
    }

    return 1;
}

var analyzers = typeof(TracedCodeAnalyzer).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
    .OrderBy(t => t.Name, StringComparer.Ordinal)
    .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
    .ToImmutableArray();
var analyzerFailures = new List<string>();
// One thread (concurrentAnalysis: false): on this shared 2-core machine parallel analysis would
// measure the neighbours; execution times are logged for the per-analyzer table.
var options = new CompilationWithAnalyzersOptions(
    new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
    onAnalyzerException: (exception, analyzer, _) => analyzerFailures.Add($"{analyzer.GetType().Name}: {exception}"),
    concurrentAnalysis: false,
    logAnalyzerExecutionTime: true,
    reportSuppressedDiagnostics: false);

var generatedTrees = compilation.SyntaxTrees.Count() - trees.Length;
Console.WriteLine($"project: {trees.Length} files ({trees.Count(t => Path.GetFileName(t.FilePath).StartsWith("Route", StringComparison.Ordinal))} routes) + {generatedTrees} generated, {references.Length} references, LangVersion {langVersion} (as {languageVersion.ToDisplayString()}), 0 compile errors");
Console.WriteLine($"analyzers: {string.Join(", ", analyzers.Select(a => a.GetType().Name))}; concurrentAnalysis=false; {warmup} warm-up + {iterations} measured iterations per row");
Console.WriteLine($"runtime: .NET {Environment.Version}, Roslyn {typeof(Compilation).Assembly.GetName().Version}, {Environment.ProcessorCount} cores");
Console.WriteLine();

// The whole compilation first: its diagnostics are what the per-document runs are checked against.
var whole = new List<double>();
var wholeTelemetry = analyzers.ToDictionary(a => a, _ => new List<double>());
ImmutableArray<Diagnostic> all = default;
for (var i = 0; i < endIterations + 1; i++)
{
    var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
    var clock = Stopwatch.StartNew();
    all = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
    clock.Stop();
    if (i == 0)
    {
        continue;
    }

    whole.Add(clock.Elapsed.TotalMilliseconds);
    foreach (var analyzer in analyzers)
    {
        wholeTelemetry[analyzer].Add((await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalMilliseconds);
    }
}

var documents = new[] { "Route0.cs", "Route1.cs", "Program.cs", "Shared.cs", "Guardrail.cs" }
    .Select(name => compilation.SyntaxTrees.Single(t => Path.GetFileName(t.FilePath) == name))
    .ToArray();
Console.WriteLine("Whole compilation (GetAnalyzerDiagnosticsAsync, fresh CompilationWithAnalyzers each run, after one unmeasured run):");
Console.WriteLine($"  {endIterations} runs: median {Median(whole):F0} ms, p90 {P90(whole):F0} ms; per analyzer (median execution time): {string.Join(", ", analyzers.Select(a => $"{a.GetType().Name} {Median(wholeTelemetry[a]):F0} ms"))}");
Console.WriteLine($"  diagnostics: {Describe(all)}");
foreach (var tree in documents)
{
    Console.WriteLine($"    in {Path.GetFileName(tree.FilePath)}: {Describe(all.Where(d => d.Location.SourceTree == tree))}");
}

Console.WriteLine();
Console.WriteLine("| document | scenario | median | p90 | min | max | per analyzer (median) | diagnostics on the document |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
var mismatches = new List<string>();
foreach (var tree in documents)
{
    var name = Path.GetFileName(tree.FilePath);
    var expected = Key(all.Where(d => d.Location.SourceTree == tree));

    // The compiler's own semantic diagnostics for the document after an edit: what the editor
    // computes for the file anyway, the yardstick for what the analyzers add.
    await Row(name, "compiler only, after an edit (context)", i =>
    {
        var (fork, edited) = Edit(compilation, tree, i);
        var clock = Stopwatch.StartNew();
        _ = fork.GetSemanticModel(edited).GetDiagnostics();
        clock.Stop();
        return Task.FromResult(new Sample(clock.Elapsed.TotalMilliseconds, null, ImmutableArray<Diagnostic>.Empty));
    });

    // After each keystroke the editor has a new compilation and a new CompilationWithAnalyzers:
    // compilation-start work (the route table over 1,000 routes) is done again, on symbols the new
    // compilation has not built yet.
    await Row(name, "after an edit: new compilation, new CompilationWithAnalyzers", async i =>
    {
        var (fork, edited) = Edit(compilation, tree, i);
        return await Analyze(fork.WithAnalyzers(analyzers, options), fork.GetSemanticModel(edited));
    }, expected);

    // The same, once the compiler's diagnostics for the document have been computed (as an editor
    // does first); they do not warm the analyzers' copy of the compilation.
    await Row(name, "after an edit, compiler diagnostics first", async i =>
    {
        var (fork, edited) = Edit(compilation, tree, i);
        var model = fork.GetSemanticModel(edited);
        _ = model.GetDiagnostics();
        return await Analyze(fork.WithAnalyzers(analyzers, options), model);
    }, expected);

    // A fresh CompilationWithAnalyzers on the unchanged compilation. CompilationWithAnalyzers works
    // on its own copy of the compilation (WithEventQueue), whose symbols are built anew, so this
    // costs what an edit costs.
    await Row(name, "fresh CompilationWithAnalyzers, unchanged compilation", async _ =>
        await Analyze(compilation.WithAnalyzers(analyzers, options), compilation.GetSemanticModel(tree)), expected);

    // One CompilationWithAnalyzers that has analysed another document already (an editor with two
    // files open). Compilation start is not shared: each per-document request runs it again on a
    // copy of the compilation (the start count below shows it).
    var other = tree == documents[3] ? documents[2] : documents[3];
    await Row(name, "second document on one CompilationWithAnalyzers", async _ =>
    {
        var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
        var first = await Analyze(withAnalyzers, compilation.GetSemanticModel(other));
        var second = await Analyze(withAnalyzers, compilation.GetSemanticModel(tree));
        return second with { Telemetry = analyzers.ToDictionary(a => a, a => second.Telemetry![a] - first.Telemetry![a]) };
    }, expected);

    // One instance asked again for the same document: the driver's cached result.
    var warm = compilation.WithAnalyzers(analyzers, options);
    var warmModel = compilation.GetSemanticModel(tree);
    await Row(name, "same document asked again on one CompilationWithAnalyzers (cached)", async _ => await Analyze(warm, warmModel, telemetry: false), expected);
}

// Where the per-document time goes: the analyzer's once-per-compilation work, called directly
// (internal types, reached by reflection so the analyzers need not expose them), on the unchanged
// compilation and on a fresh fork after an edit. CompilationFacts.Create is what compilation start
// pays; the route table (the methods whose syntax may carry [TracedLlmRoute], bound) is paid only
// when a policy or the end of the compilation asks for every route; the failure filter table when a
// root throws.
var analyzersAssembly = typeof(TracedCodeAnalyzer).Assembly;
var factsClass = analyzersAssembly.GetType("TracedLlm.Analyzers.Facts.CompilationFacts", throwOnError: true)!;
var createFacts = factsClass.GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!;
var routesOf = factsClass.GetMethod("Routes", BindingFlags.Public | BindingFlags.Instance)!;
var filterMethodsOf = factsClass.GetMethod("FilterMethods", BindingFlags.Public | BindingFlags.Instance)!;
var typesOf = factsClass.GetProperty("Types")!;
var buildFilters = analyzersAssembly.GetType("TracedLlm.Analyzers.Facts.FailureFilters", throwOnError: true)!.GetMethod("Build", BindingFlags.Public | BindingFlags.Static)!;
Console.WriteLine();
Console.WriteLine("| once per compilation (TracedCodeAnalyzer's compilation start and what it builds lazily) | median | p90 |");
Console.WriteLine("|---|---|---|");
foreach (var (label, fresh) in new[] { ("unchanged compilation", false), ("new compilation after an edit of Shared.cs", true) })
{
    var factsTimes = new List<double>();
    var routeTimes = new List<double>();
    var filterTimes = new List<double>();
    for (var i = 0; i < warmup + iterations; i++)
    {
        var target = fresh ? Edit(compilation, documents[3], i).Fork : compilation;
        var clock = Stopwatch.StartNew();
        var facts = createFacts.Invoke(null, new object?[] { target, CancellationToken.None, null })!;
        var factsTime = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        routesOf.Invoke(facts, new object[] { CancellationToken.None });
        var routeTime = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        buildFilters.Invoke(null, new[] { target, typesOf.GetValue(facts)!, filterMethodsOf.Invoke(facts, new object[] { CancellationToken.None })!, CancellationToken.None });
        var filterTime = clock.Elapsed.TotalMilliseconds;
        if (i >= warmup)
        {
            factsTimes.Add(factsTime);
            routeTimes.Add(routeTime);
            filterTimes.Add(filterTime);
        }
    }

    Console.WriteLine($"| CompilationFacts.Create (declaration index, compilation start), {label} | {Median(factsTimes):F1} ms | {P90(factsTimes):F1} ms |");
    Console.WriteLine($"| route table (lazy: policies, compilation end), {label} | {Median(routeTimes):F1} ms | {P90(routeTimes):F1} ms |");
    Console.WriteLine($"| FailureFilters.Build (failure filter table, lazy: a root throws), {label} | {Median(filterTimes):F1} ms | {P90(filterTimes):F1} ms |");
}

// How often compilation start runs: one CompilationWithAnalyzers asked for each document in turn.
var counter = new StartCounter();
var counted = compilation.WithAnalyzers(analyzers.Add(counter), options);
foreach (var tree in documents)
{
    await counted.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), null, CancellationToken.None);
}

Console.WriteLine();
Console.WriteLine($"compilation starts for {documents.Length} per-document requests on one CompilationWithAnalyzers: {counter.Starts}");

// A live check that per-document analysis reports a root's own finding while typing: Route1 serves
// litellm_metadata; its handler is edited to read the other slot.
var route1 = documents[1];
var wrongSlot = route1.GetText().ToString().Replace("await Task.Yield();", "await Task.Yield();\n        _ = call.HttpContext.Items[\"metadata\"];", StringComparison.Ordinal);
var brokenTree = route1.WithChangedText(SourceText.From(wrongSlot, System.Text.Encoding.UTF8));
var broken = compilation.ReplaceSyntaxTree(route1, brokenTree);
var live = await broken.WithAnalyzers(analyzers, options).GetAnalyzerSemanticDiagnosticsAsync(broken.GetSemanticModel(brokenTree), null, CancellationToken.None);
Console.WriteLine();
Console.WriteLine($"live check (Route1.cs handler reads Items[\"metadata\"] on a litellm_metadata route): {Describe(live)}");
foreach (var diagnostic in live)
{
    Console.WriteLine($"  {diagnostic}");
}

if (!live.Any(d => d.Id == "TLLM2001"))
{
    mismatches.Add("live check: TLLM2001 not reported on the edited Route1.cs");
}

if (analyzerFailures.Count > 0 || mismatches.Count > 0)
{
    Console.Error.WriteLine();
    foreach (var failure in analyzerFailures.Distinct().Concat(mismatches.Distinct()))
    {
        Console.Error.WriteLine($"FAILED: {failure}");
    }

    return 1;
}

return 0;

async Task Row(string document, string scenario, Func<int, Task<Sample>> run, string? expected = null)
{
    var samples = new List<Sample>();
    for (var i = 0; i < warmup + iterations; i++)
    {
        var sample = await run(i);
        if (i >= warmup)
        {
            samples.Add(sample);
        }

        if (expected is not null && Key(sample.Diagnostics) is var found && !IsSubset(found, expected))
        {
            mismatches.Add($"{document}, {scenario}: reported [{found}], the whole compilation has [{expected}] there");
        }
    }

    var times = samples.Select(s => s.Milliseconds).ToList();
    var perAnalyzer = samples[0].Telemetry is null
        ? "–"
        : string.Join(", ", analyzers.Select(a => $"{a.GetType().Name} {Median(samples.Select(s => s.Telemetry![a]).ToList()):F1} ms"));
    var reported = expected is null ? "–" : Describe(samples[^1].Diagnostics);
    Console.WriteLine($"| {document} | {scenario} | {Median(times):F1} ms | {P90(times):F1} ms | {times.Min():F1} ms | {times.Max():F1} ms | {perAnalyzer} | {reported} |");
}

async Task<Sample> Analyze(CompilationWithAnalyzers withAnalyzers, SemanticModel model, bool telemetry = true)
{
    var clock = Stopwatch.StartNew();
    var diagnostics = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, CancellationToken.None);
    clock.Stop();
    Dictionary<DiagnosticAnalyzer, double>? times = null;
    if (telemetry)
    {
        times = new Dictionary<DiagnosticAnalyzer, double>();
        foreach (var analyzer in analyzers)
        {
            times[analyzer] = (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
        }
    }

    return new Sample(clock.Elapsed.TotalMilliseconds, times, diagnostics);
}

// A keystroke that changes no meaning (a comment at the end, different each time), so the new
// compilation is a real fork and the diagnostics stay those of the unedited document.
static (Compilation Fork, SyntaxTree Edited) Edit(Compilation compilation, SyntaxTree tree, int iteration)
{
    var text = tree.GetText();
    var edited = tree.WithChangedText(text.WithChanges(new TextChange(new TextSpan(text.Length, 0), $"// edit {iteration}\n")));
    return (compilation.ReplaceSyntaxTree(tree, edited), edited);
}

static string Key(IEnumerable<Diagnostic> diagnostics) =>
    string.Join(";", diagnostics.Select(d => $"{d.Id}@{d.Location.SourceSpan.Start}").Order(StringComparer.Ordinal));

// Per-document analysis may report only part of what the whole compilation reports in that
// document (findings through calls are reported at compilation end), never anything else.
static bool IsSubset(string found, string expected)
{
    var whole = expected.Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    return found.Split(';', StringSplitOptions.RemoveEmptyEntries).All(whole.Contains);
}

static string Describe(IEnumerable<Diagnostic> diagnostics)
{
    var groups = diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} × {g.Count()}").ToList();
    return groups.Count == 0 ? "none" : string.Join(", ", groups);
}

static double Median(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

// Nearest rank.
static double P90(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Max(0, (int)Math.Ceiling(0.9 * sorted.Count) - 1)];
}

internal sealed record Sample(double Milliseconds, Dictionary<DiagnosticAnalyzer, double>? Telemetry, ImmutableArray<Diagnostic> Diagnostics);

// Counts compilation starts: registered beside the measured analyzers (never in the timed runs) to
// show how often CompilationWithAnalyzers runs compilation-start actions for per-document requests.
// A probe inside this program, never loaded by a compiler, hence the extension-project rules off.
#pragma warning disable RS1041, RS1036, RS2008, RS1026
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class StartCounter : DiagnosticAnalyzer
{
    public int Starts;
    private static readonly DiagnosticDescriptor D = new("X0001", "x", "x", "x", DiagnosticSeverity.Warning, true);
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(D);
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start => { Interlocked.Increment(ref Starts); start.RegisterOperationBlockAction(_ => { }); });
    }
}
