using System.Linq;
using System.Threading.Tasks;
using TracedLlm.Analyzers.Tests.Matrix;
using Xunit;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A review's probes of the readings added in 5c6da0b..58f4db8 (work in memory, the store re-read), kept as
/// tests after their mends. Each test asserts the faulty form IS reported (its markup):
/// a failing test is a false negative (or, for the Clean_ tests, a control that must stay silent).
/// </summary>
public sealed class ReadingsReviewTests
{
    private const string Handled = "{|TLLM2007:catch|}";
    private const string Catch = "{|TLLM2004:catch|}";
    private static readonly string H2004 = SwallowedExceptionMatrix.Header;
    private static readonly System.Reflection.Assembly[] Jwt = { typeof(Newtonsoft.Json.JsonConvert).Assembly };

    // ----- TLLM2004 decode probe: a helper whose try decodes (int.Parse) beside @T, answered with none.
    private static string Decode(string work, string members = "", string head = "List<string> extra",
        string args = "new List<string> { \"7\" }", string marker = Handled) => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                var text = string.Join(",", Exclusions.Of(request.Model, {{args}})) ?? "";
                return new Reply { Text = text };
            }
        }

        internal static class Log { public static readonly Microsoft.Extensions.Logging.ILogger Logger =
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance; }

        internal static class Exclusions
        {
            public static List<int> Of(string? text, {{head}})
            {
                try
                {
                    var ids = string.IsNullOrWhiteSpace(text) ? new List<int>()
                        : text.Split(',').Select(x => int.Parse(x)).ToList();
                    {{work}}
                    return ids;
                }
                {{marker}} (Exception e)
                {
                    Microsoft.Extensions.Logging.LoggerExtensions.LogError(Log.Logger, e, "the value does not decode");
                    return new List<int>();
                }
            }
        }
        {{members}}
        """;

    private static Task Reports2004(string source) => Verify.AnalyzerAsync(H2004 + source, Jwt);

    private static Task Silent2004(string source) =>
        Verify.AnalyzerAsync(H2004 + MatrixCell.WithoutMarkup(source), Jwt);

    [Fact] public Task Clean_DecodeOnly() => Silent2004(Decode("ids.Add(extra.Select(x => int.Parse(x)).Sum());"));

    [Fact]
    public Task Linq_LambdaWritesFile() =>
        Reports2004(Decode("ids.Add(extra.Select(x => { File.WriteAllText(x, \"\"); return int.Parse(x); }).Sum());"));

    [Fact]
    public Task Linq_AsyncLambdaAwaits() =>
        Reports2004(
            Decode(
                "var tasks = extra.Select(async x => (await File.ReadAllTextAsync(x)).Length).ToList(); "
                + "ids.Add(tasks.Count);"));

    [Fact]
    public Task Linq_DelegateParameter() =>
        Reports2004(
            Decode(
                "ids.Add(extra.Select(measure).Sum());",
                head: "List<string> extra, Func<string, int> measure",
                args: "new List<string> { \"7\" }, x => File.ReadAllText(x).Length"));

    [Fact]
    public Task Linq_ListSubclassOfSource() =>
        Reports2004(
            Decode(
                "ids.Add(extra.Select(x => int.Parse(x)).Sum());",
                "internal sealed class Lines : List<string>, IEnumerable<string> { IEnumerator<string> "
                + "IEnumerable<string>.GetEnumerator() => "
                + "((IEnumerable<string>)File.ReadAllLines(\"x\")).GetEnumerator(); }",
                head: "Lines extra",
                args: "new Lines()"));

    [Fact]
    public Task Holds_RecordBaseArgumentReadsFile() =>
        Reports2004(
            Decode(
                "var f = new Derived(text!); ids.Add(f.Text.Length);",
                "internal record BaseFile(string Text);\ninternal sealed record Derived(string Path) : "
                + "BaseFile(File.ReadAllText(Path));"));

    [Fact]
    public Task Holds_ClassPrimaryBaseArgumentReadsFile() =>
        Reports2004(
            Decode(
                "var f = new Derived(text!); ids.Add(f.N);",
                "internal class Counted(int n) { public int N { get; } = n; }\ninternal sealed class "
                + "Derived(string path) : Counted(File.ReadAllText(path).Length);"));

    [Fact]
    public Task Holds_PrimaryParameterThroughCall() =>
        Reports2004(
            Decode(
                "var f = new Preview(text!); ids.Add(f.T.Length);",
                "internal sealed class Preview(string p) { public string T { get; } = File.ReadAllText(p); }"));

    [Fact]
    public Task Holds_BaseRecordExplicitConstructor() =>
        Reports2004(
            Decode(
                "var f = new Derived(text!); ids.Add(f.X.Length);",
                "internal record BaseRec { public BaseRec() { File.WriteAllText(\"x\", \"\"); } }\ninternal "
                + "sealed record Derived(string X) : BaseRec;"));

    [Fact]
    public Task Holds_StaticConstructorReadsFile() =>
        Reports2004(
            Decode(
                "var f = new Preview { Name = text }; ids.Add(f.Name!.Length);",
                "internal sealed class Preview { public static readonly string Disk; static Preview() { Disk = "
                + "File.ReadAllText(\"x\"); } public string? Name { get; set; } }"));

    [Fact]
    public Task Holds_CollectionFieldOfSourceSubtype() =>
        Reports2004(
            Decode(
                "var f = new Preview(); ids.Add(f.Lines.Count);",
                "internal sealed class DiskLines : List<string> { public DiskLines() { "
                + "AddRange(File.ReadAllLines(\"x\")); } }\ninternal sealed class Preview { public List<string> "
                + "Lines { get; } = new DiskLines(); }"));

    [Fact]
    public Task Holds_EmptyCollectionExpressionOfSourceType() =>
        Reports2004(
            Decode(
                "var f = new Preview(); ids.Add(f.Lines.Count);",
                "internal sealed class DiskLines : List<string> { public DiskLines() { "
                + "AddRange(File.ReadAllLines(\"x\")); } }\ninternal sealed class Preview { public DiskLines "
                + "Lines { get; } = []; }"));

    [Fact]
    public Task Holds_LiteralThroughSourceConversion() =>
        Reports2004(
            Decode(
                "var f = new Preview(); ids.Add(f.Price.Cents);",
                "internal readonly struct Money { public int Cents { get; init; } public static implicit operator "
                + "Money(int c) => new Money { Cents = File.ReadAllText(\"rate\").Length * c }; }\ninternal "
                + "sealed class Preview { public Money Price { get; } = 5; }"));

    [Fact]
    public Task Operator_SourceConversion() =>
        Reports2004(
            Decode(
                "Money m = ids.Count; ids.Add(m.Cents);",
                "internal readonly struct Money { public int Cents { get; init; } public static implicit operator "
                + "Money(int c) => new Money { Cents = File.ReadAllText(\"rate\").Length * c }; }"));

    // ----- EF Core's scaffolded save catch (EF Core's types by name, as the matrix declares them). Since issue 78 a
    // 4xx it answers is a client's mistake answered by design: TLLM2007's (off by default) with or without a fresh read
    // of the store; a 500 is an error answer, TLLM2004's where the team asks for error answers through calls (the
    // store's helper is reached through calls: report_through_calls).
    private static Task ReportsEf(string id, string source) => Verify.DeclaredAsync(
        new[] { H2004 + source.Replace("{|TLLM2004:", "{|" + id + ":") }
            .Concat(SwallowedExceptionMatrix.EfCore).ToArray(),
        System.Array.Empty<System.Reflection.Assembly>(), "dotnet_code_quality.TLLM2004.report_through_calls = true");

    [Fact]
    public Task Recheck_500() => ReportsEf("TLLM2004",
        SwallowedExceptionMatrix.Scaffolded("if (!Exists(id)) { return Results.StatusCode(500); } else { throw; }"));

    [Theory]
    [InlineData("if (!Exists(id)) { return Results.NotFound(); } else { throw; }", "")]
    [InlineData("if (!Exists(id)) { return Results.NotFound(); } throw new InvalidOperationException(\"x\", e);", " e")]
    [InlineData("if (!string.IsNullOrEmpty(id)) { return Results.NotFound(); } else { throw; }", "")]
    [InlineData("if (e.Message.Contains(\"x\")) { return Results.Conflict(); } throw;", " e")]
    [InlineData("if (Exists(id)) { return Results.NotFound(); } throw;", "")]
    [InlineData("var gone = id.Trim().Length > 0;\nif (gone) { return Results.NotFound(); } throw;", "")]
    public Task Recheck_ClientErrorIsTLLM2007(string handled, string variable) =>
        ReportsEf("TLLM2007", SwallowedExceptionMatrix.Scaffolded(handled, "DbUpdateConcurrencyException" + variable));

    [Fact]
    public Task Odd_ShapesDoNotThrow() =>
        Reports2004(
            Decode(
                "var a = new P(1); var b = new Part(2); var c = new G<int>(3); var d = new Ev(); var g = new "
                + "Gen2<string>(\"x\"); ids.Add(a.X + b.N + c.V + g.V.Length);",
                "internal readonly record struct P(int X);\ninternal partial class Part(int n);\ninternal partial "
                + "class Part { public int N { get; } = n; }\ninternal record G<T>(T V);\ninternal sealed class "
                + "Ev { public event EventHandler? Changed = delegate { }; public int[] Items = { }; public "
                + "string S = nameof(Items); }\ninternal record Gen2<T>(T V) : G<T>(V);"));
}
