// Runs every TLLM analyzer over large trees that are not gateways (YARP's src/, eShop's src/, ...),
// each folder compiled in memory as one assembly the way tests/Analyzers.Corpus.Tests compiles the
// corpus, as roslyn-analyzers runs a new rule over dotnet/runtime. Prints the compile errors left
// (packages this machine does not restore make error types), every finding with whether its file
// binds, and what the analyzers had in front of them: lines, and the constructs each rule follows
// (catch clauses, throws, Activity starts, outgoing sends, 'metadata' keys) in files that bind.
// Usage: Wide [--adopted|--reach-only] [ref:][csharp14:][sdk:|web:]NAME=FOLDER[,FOLDER...][,!FOLDER...][,FILE.proto...] ...   (NAME: the
// assembly the folders build, left out of the references; several folders compile as one assembly, a service with
// the libraries it references; a folder written !FOLDER, inside one of them, is left out: tests a project keeps among its
// files (a file written !FILE.cs, alone); a FILE.proto is a Protobuf item of the project, its messages and gRPC stubs generated (Protobuf.cs); sdk: or web: adds the implicit usings of Microsoft.NET.Sdk or Microsoft.NET.Sdk.Web, as <ImplicitUsings> does; web: with several folders gives the web SDK's own to the first folder and to any whose .csproj is a web project, the plain SDK's to the others). --adopted first marks every endpoint handler as a traced route (Adoption.cs) and
// prints what the routes reach (Reach.cs) and every finding with its line of code, to be read and judged.
// --reach-only adopts the same way and prints the routes, what they reach and the compile errors, and runs no
// analyzer: what a measurement's set-up is checked with before the one run whose findings are judged.
// ref:NAME=FOLDER,... is a library a tree references as a package this machine does not serve, built from its
// published source: compiled in memory as the assembly NAME (its files that do not compile left out until the rest
// does) and referenced, as metadata, by the compilations after it; never analysed, as a package's code is not.
// csharp14:NAME=... parses the folders as C# 14 (Roslyn 4.14's preview), as a net10.0 project's build does: extension blocks.
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TracedLlm.Analyzers.Corpus.Tests;
using TracedLlm.Analyzers.Tests;

// What a net10.0 build defines (YARP's sources branch on them).
string[] symbols = ["NET", "NETCOREAPP", "NET10_0", .. Enumerable.Range(5, 6).Select(v => $"NET{v}_0_OR_GREATER"), "NETCOREAPP3_1_OR_GREATER", "RELEASE"];
var parse = ProjectAnalysis.ParseOptions.WithPreprocessorSymbols(symbols);
var total = new Totals();
var seen = new HashSet<string>(StringComparer.Ordinal); // a library compiled with several services counts once in the total
var reachOnly = args.Contains("--reach-only");
var adopted = reachOnly || args.Contains("--adopted");
var built = new List<MetadataReference>(); // the ref: libraries, in the order given
var reachedTotal = new Totals();
var reachedSeen = new HashSet<string>(StringComparer.Ordinal); // a method of a shared library reached from several services counts once
int routesTotal = 0, lambdasTotal = 0, otherTotal = 0, methodsTotal = 0;
var tiers = new SortedDictionary<(string Rule, string Tier), int>(); // findings in files that bind, by rule and tier
var declaredTotal = new List<Declarations>();
foreach (var arg in args.Where(a => a is not ("--adopted" or "--reach-only")))
{
    var (name, folder) = arg.Split('=', 2) is [var n, var f] ? (n, f) : (Path.GetFileName(arg), arg);
    var library = name.StartsWith("ref:", StringComparison.Ordinal);
    name = library ? name["ref:".Length..] : name;
    // csharp14: parses the folders as C# 14, the language a net10.0 project's build uses (extension blocks, first-class spans):
    // Roslyn 4.14's preview. Without it they are parsed as C# 13 (Latest), as every tree before was.
    var csharp14 = name.StartsWith("csharp14:", StringComparison.Ordinal);
    name = csharp14 ? name["csharp14:".Length..] : name;
    var options = csharp14 ? parse.WithLanguageVersion(LanguageVersion.Preview) : parse;
    string? usings = null;
    if (name.Split(':', 2) is [var sdk and ("sdk" or "web"), var rest])
    {
        (name, usings) = (rest, CorpusProject.ImplicitUsingsSource(webSdk: sdk == "web"));
    }

    if (library)
    {
        built.Add(LibraryReference.Build(name, folder, usings, options, built));
        continue;
    }

    var started = System.Diagnostics.Stopwatch.StartNew();
    var references = WideReferences.All.Concat(WideReferences.OptedIn(folder)).Concat(built).Where(r => !string.Equals(Path.GetFileNameWithoutExtension((r as PortableExecutableReference)?.FilePath), name, StringComparison.OrdinalIgnoreCase)).ToImmutableArray();
    // The messages and gRPC stubs of the .proto files the argument names, as the project's Protobuf items generate them: files, not counted.
    var generated = Protobuf.Generate(folder, options);
    // A web project compiled with the libraries it references: the usings only the web SDK adds go to the folders that are web
    // projects (the first, and any whose .csproj names Microsoft.NET.Sdk.Web), as each project's build gives them; the others
    // have the plain SDK's. Given to all, they made a library's own ConnectionInfo ambiguous with Microsoft.AspNetCore.Http's.
    var webOnly = usings is not null && usings != CorpusProject.ImplicitUsingsSource(webSdk: false) && Sources.Folders(folder).Count() > 1
        ? string.Concat(usings.Split('\n', StringSplitOptions.RemoveEmptyEntries).Except(CorpusProject.ImplicitUsingsSource(webSdk: false).Split('\n')).Select(u => u + "\n"))
        : null;
    var trees = Sources.Parse(folder, options, references, generated, webOnly);
    usings = webOnly is null ? usings : CorpusProject.ImplicitUsingsSource(webSdk: false);
    SyntaxTree[] allTrees = usings is null ? trees : [.. trees, CSharpSyntaxTree.ParseText(usings, options, Path.Combine(folder.Split(',')[0], "ImplicitUsings.g.cs"))];
    var kind = trees.Any(t => t.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any()) ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary;
    // The SDK's regex generator's output ([GeneratedRegex] methods), as the project's build has it: files, not counted.
    allTrees = CorpusProject.WithSdkGeneratedSources(name, kind, allTrees);
    allTrees = PackGenerators.WithGeneratedSources(name, kind, allTrees, references);
    allTrees = [.. allTrees, .. generated];
    var (compilation, experimental) = Sources.Compile(references, kind, allTrees);
    if (Sources.OverridesAcrossProjects(compilation) is { Count: > 0 } overrides)
    {
        (trees, allTrees) = (trees.Select(t => overrides.GetValueOrDefault(t, t)).ToArray(), allTrees.Select(t => overrides.GetValueOrDefault(t, t)).ToArray());
        (compilation, experimental) = Sources.Compile(references, kind, allTrees);
    }

    if (Sources.AmbiguitiesAcrossProjects(compilation, Sources.Folders(folder)) is { Count: > 0 } ambiguities)
    {
        (trees, allTrees) = (trees.Select(t => ambiguities.GetValueOrDefault(t, t)).ToArray(), allTrees.Select(t => ambiguities.GetValueOrDefault(t, t)).ToArray());
        (compilation, experimental) = Sources.Compile(references, kind, allTrees);
    }

    var clashes = Sources.WithoutClashes(ref references, ref compilation, ref experimental, kind, allTrees);
    var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    var broken = errors.Select(d => d.Location.SourceTree).OfType<SyntaxTree>().ToHashSet();
    Adoption? adoption = null;
    var adoptedTrees = trees;
    var originals = new Dictionary<string, Microsoft.CodeAnalysis.Text.SourceText>(StringComparer.Ordinal);
    if (adopted)
    {
        // The same trees, every handler marked: compiled again so the generator sees the routes too.
        adoption = Adoption.Find(compilation, trees);
        originals = trees.ToDictionary(t => t.FilePath, t => t.GetText(), StringComparer.Ordinal);
        var marked = adoption.Apply(allTrees).ToArray();
        compilation = ProjectAnalysis.Compile(references, kind, marked).WithOptions(compilation.Options);
        var byPath = marked.ToDictionary(t => t.FilePath, StringComparer.Ordinal);
        broken = broken.Select(t => byPath[t.FilePath]).ToHashSet();
        adoptedTrees = trees.Select(t => byPath[t.FilePath]).ToArray();
    }

    // TLLM2007 is off by default; it is turned on here as a team turns it on, and its findings are printed with their ID, apart
    // from the rules a build reports by default (bench/results/2026-11-27-tllm2004-tllm2007-split.md).
    compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(compilation.Options.SpecificDiagnosticOptions.SetItem("TLLM2007", ReportDiagnostic.Warn)));
    // The intent the team declared in its tree: .editorconfig options and the package's attributes (Declarations.cs).
    var declarations = Declarations.Read(compilation.SyntaxTrees.ToList());
    var findings = reachOnly ? ImmutableArray<Diagnostic>.Empty : await ProjectAnalysis.BuildDiagnosticsAsync(compilation, declarations.Options);
    var project = new Totals();
    foreach (var (tree, adoptedTree) in trees.Zip(adoptedTrees))
    {
        // Counted as written: the adoption's moves change no construct, only where some lines sit.
        project.Add(tree, binds: !broken.Contains(adoptedTree));
        if (seen.Add(Path.GetFullPath(tree.FilePath)))
        {
            total.Add(tree, binds: !broken.Contains(adoptedTree));
        }
    }

    Console.WriteLine($"== {name} ({folder}): {trees.Length} files, {project.Lines:N0} lines; {errors.Count} compile errors in {broken.Count} files; {trees.Length - broken.Count} files, {project.BindingLines:N0} lines bind; analysed in {started.Elapsed.TotalSeconds:0.0} s");
    Console.WriteLine($"   {declarations.Describe()}");
    declaredTotal.Add(declarations);
    if (clashes.Count > 0)
    {
        Console.WriteLine($"   left out of the references, their public types clashing with the tree's own (fewer compile errors without them): {string.Join(", ", clashes)}");
    }

    if (experimental.Count > 0)
    {
        Console.WriteLine($"   experimental-API errors turned off, as the project's NoWarn does: {string.Join(", ", experimental)}");
    }

    // In a stable order: the compiler reports errors in no fixed order across runs.
    foreach (var group in errors.GroupBy(e => e.Id).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(5))
    {
        var first = group.OrderBy(e => e.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(e => e.Location.SourceSpan.Start).ThenBy(e => e.GetMessage(), StringComparer.Ordinal).First();
        Console.WriteLine($"   {group.Count()} x {group.Key}: {first.GetMessage()}");
    }

    if (reachOnly)
    {
        // Which files will not count, each with its first error: what a set-up is judged by before the run.
        foreach (var file in errors.Where(e => e.Location.SourceTree is not null).GroupBy(e => e.Location.SourceTree!.FilePath).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = file.OrderBy(e => e.Location.SourceSpan.Start).First();
            Console.WriteLine($"   does not bind: {Path.GetRelativePath(Path.GetDirectoryName(folder.Split(',')[0])!, file.Key)}:{first.Location.GetLineSpan().StartLinePosition.Line + 1} ({file.Count()} errors; first {first.Id}: {first.GetMessage()})");
        }
    }

    Console.WriteLine($"   in files that bind: {project.Catches} catch clauses, {project.Throws} throws, {project.ActivityStarts} Activity starts, {project.Sends} sends, {project.MetadataKeys} 'metadata' keys");
    if (adoption is not null)
    {
        var roots = adoptedTrees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
                .Where(m => m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "global::TracedLlm.TracedLlmRoute"))
                .Select(m => compilation.GetSemanticModel(t).GetDeclaredSymbol(m)))
            .OfType<IMethodSymbol>().ToList();
        var added = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } t && adoptedTrees.Contains(t)) - errors.Count(e => e.Location.SourceTree is { } t && !t.FilePath.EndsWith("ImplicitUsings.g.cs", StringComparison.Ordinal));
        Console.WriteLine($"   adoption: {roots.Count} handlers marked, {added} compile errors more in the project's files");
        var reach = Reach.From(compilation, roots);
        var reached = new Totals();
        // The project's own files only: the code generated for it (the SDK's regex generator, the .proto files' stubs) is reached but not counted.
        var own = adoptedTrees.ToHashSet();
        foreach (var declaration in reach.Declarations.Where(d => !broken.Contains(d.SyntaxTree) && own.Contains(d.SyntaxTree)))
        {
            reached.AddReached(declaration);
            if (reachedSeen.Add($"{Path.GetFullPath(declaration.SyntaxTree.FilePath)}:{declaration.SpanStart}"))
            {
                reachedTotal.AddReached(declaration);
            }
        }

        routesTotal += adoption.Routes.Count + adoption.ConvertedLambdas;
        lambdasTotal += adoption.SkippedLambdas;
        otherTotal += adoption.SkippedOther;
        methodsTotal += reach.Methods;
        var kinds = adoption.Routes.GroupBy(r => r.Kind).Select(g => $"{g.Count()} {g.Key}").Append($"{adoption.ConvertedLambdas} minimal-API lambdas moved into methods");
        Console.WriteLine($"   adopted: {adoption.Routes.Count + adoption.ConvertedLambdas} routes ({string.Join(", ", kinds)}); skipped {adoption.SkippedLambdas} lambda or local-function handlers (they capture, or cannot be named), {adoption.SkippedOther} other handlers");
        foreach (var route in adoption.Describe(Path.GetDirectoryName(folder.Split(',')[0])!))
        {
            Console.WriteLine($"     {route}");
        }

        Console.WriteLine($"   reached from them: {reach.Methods} methods, {reached.BindingLines:N0} lines that bind; there {reached.Catches} catch clauses, {reached.Throws} throws, {reached.ActivityStarts} Activity starts, {reached.Sends} sends, {reached.MetadataKeys} 'metadata' keys");
    }

    foreach (var finding in findings)
    {
        var span = finding.Location.GetMappedLineSpan(); // a moved lambda's lines map back to where it was written
        var binds = finding.Location.SourceTree is { } t && !broken.Contains(t);
        // The tier the finding was decided in (the route's own handler, through calls, through dispatch), and its path in the message.
        var tier = finding.Properties.TryGetValue("Tier", out var decided) ? decided : "?";
        Console.WriteLine($"   {finding.Id} [{tier}]{(finding.Id == "TLLM2004" && !NotAWarningByDefault(finding) ? " (warning)" : "")} {Path.GetRelativePath(Path.GetDirectoryName(folder.Split(',')[0])!, span.Path)}:{span.StartLinePosition.Line + 1}{(binds ? "" : " (file has compile errors)")}: {finding.GetMessage()}");
        if (binds)
        {
            tiers[(finding.Id, tier!)] = tiers.GetValueOrDefault((finding.Id, tier!)) + 1;
        }

        if (adoption is not null && finding.Location.SourceTree is { } source)
        {
            // A location the tool wrote (an attribute added to a moved lambda) may map past the original file's end: its own line then.
            var lines = originals[span.Path].Lines;
            var code = span.StartLinePosition.Line < lines.Count
                ? lines[span.StartLinePosition.Line].ToString()
                : source.GetText().Lines[finding.Location.GetLineSpan().StartLinePosition.Line] + " (a line the adoption wrote)";
            Console.WriteLine($"      code: {code.Trim()}");
        }

        if (NotAWarningByDefault(finding))
        {
            project.OffByDefault += binds ? 1 : 0;
        }
        else
        {
            project.Findings += binds ? 1 : 0;
        }
    }

    var offByDefault = findings.Count(NotAWarningByDefault);
    Console.WriteLine(reachOnly ? "   analyzers not run (--reach-only)" : $"   {findings.Length - offByDefault} findings, {project.Findings} in files that bind; not a warning by default (TLLM2004, TLLM2007) {offByDefault}, {project.OffByDefault} in files that bind");
    total.Findings += project.Findings;
    total.OffByDefault += project.OffByDefault;
}

Console.WriteLine($"== all (each file once): {total.Lines:N0} lines, {total.BindingLines:N0} that bind, {(reachOnly ? "analyzers not run" : $"{total.Findings} warnings by default in them (not a warning by default, TLLM2004 and TLLM2007: {total.OffByDefault})")}; constructs the rules follow: {total.Catches} catch clauses, {total.Throws} throws, {total.ActivityStarts} Activity starts, {total.Sends} sends, {total.MetadataKeys} 'metadata' keys");
if (adopted)
{
    Console.WriteLine($"== adopted, all: {routesTotal} routes ({lambdasTotal} lambda handlers, {otherTotal} other handlers skipped), {methodsTotal} methods reached (summed per compilation; {reachedSeen.Count} declarations in files that bind, each once), {reachedTotal.BindingLines:N0} lines reached that bind (each once); constructs there: {reachedTotal.Catches} catch clauses, {reachedTotal.Throws} throws, {reachedTotal.ActivityStarts} Activity starts, {reachedTotal.Sends} sends, {reachedTotal.MetadataKeys} 'metadata' keys");
}

if (!reachOnly)
{
    Console.WriteLine($"== by rule and tier (files that bind): {string.Join(", ", tiers.Select(p => $"{p.Key.Rule} {p.Key.Tier} {p.Value}"))}");
    Console.WriteLine($"== declarations, all: {declaredTotal.Sum(d => d.OptionLines + d.AttributeLines)} lines ({declaredTotal.Sum(d => d.OptionLines)} options, {declaredTotal.Sum(d => d.AttributeLines)} attributes); [FailureHandledByDesign]: {declaredTotal.Sum(d => d.VouchedLines)}");
}

var constructs = total.Catches + total.Throws + total.ActivityStarts + total.Sends + total.MetadataKeys;
if (!reachOnly && total.Findings == 0 && constructs > 0)
{
    // 0 events in n trials: the one-sided 95 % Clopper-Pearson upper bound is 1 - 0.05^(1/n) (about 3/n, the rule of three).
    Console.WriteLine($"   0 findings over {constructs} constructs: a rule fires on at most {100 * (1 - Math.Pow(0.05, 1.0 / constructs)):0.00} % of them (95 %, Clopper-Pearson; rule of three {300.0 / constructs:0.00} %)");
}

// A finding a build does not report as a warning unless the team asks: TLLM2007 (off by default) and TLLM2004 (a suggestion,
// but for the shapes a team must hear, which it reports as warnings).
static bool NotAWarningByDefault(Diagnostic finding) => !finding.Descriptor.IsEnabledByDefault || finding.Severity < DiagnosticSeverity.Warning;

/// <summary>Lines and the constructs the TLLM rules follow, counted per syntax tree.</summary>
internal sealed class Totals
{
    public int Lines, BindingLines, Catches, Throws, ActivityStarts, Sends, MetadataKeys, Findings, OffByDefault;

    public void Add(SyntaxTree tree, bool binds)
    {
        var lines = tree.GetText().Lines.Count(l => !string.IsNullOrWhiteSpace(l.ToString()));
        Lines += lines;
        if (!binds)
        {
            return;
        }

        BindingLines += lines;
        AddConstructs(tree.GetRoot());
    }

    /// <summary>A declaration reached from a route: its lines and constructs (it binds).</summary>
    public void AddReached(SyntaxNode declaration)
    {
        var text = declaration.SyntaxTree.GetText();
        var span = text.Lines.GetLinePositionSpan(declaration.Span);
        var lines = Enumerable.Range(span.Start.Line, span.End.Line - span.Start.Line + 1).Count(l => !string.IsNullOrWhiteSpace(text.Lines[l].ToString()));
        Lines += lines;
        BindingLines += lines;
        AddConstructs(declaration);
    }

    private void AddConstructs(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case CatchClauseSyntax:
                    Catches++;
                    break;
                case ThrowStatementSyntax or ThrowExpressionSyntax:
                    Throws++;
                    break;
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "StartActivity" or "CreateActivity" } }:
                    ActivityStarts++;
                    break;
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SendAsync" or "Send" or "PostAsync" or "PostAsJsonAsync" or "GetAsync" } }:
                    Sends++;
                    break;
                case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) && literal.Token.ValueText is "metadata" or "litellm_metadata":
                    MetadataKeys++;
                    break;
            }
        }
    }
}
