using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Analyzers.Tests.Matrix;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 68, item 4: the constructs the mission's two rules (TLLM2001, TLLM2002) must read exactly, one test each, the
/// faulty form reported and the sound one silent: a key reassigned on one branch and used in any keyed lookup, switch
/// expression arms, initializers that write a key, <c>JsonEncodedText</c> and the UTF-8 JSON reader's and writer's
/// names; a generic throw helper, and an exception caught and translated into an accepted one before it escapes.
/// </summary>
public sealed class MissionRuleConstructTests
{
    /// <summary>A route on the <c>litellm_metadata</c> slot whose handler runs <paramref name="body"/>.</summary>
    private static string Messages(string body, string members = "") => Corpus.Header + $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Chat(MessagesRequest request, LlmCall call, JsonObject bag)
            {
                var items = call.HttpContext.Items;
        {{body}}
                return new Reply();
            }
        }
        {{members}}
        """;

    private static Task Slot(string faulty, string sound, string members = "") => Task.WhenAll(
        AnalyzerAsync(Messages(faulty, members)),
        AnalyzerAsync(Messages(MatrixCell.WithoutMarkup(sound), members)));

    [Fact]
    public Task AKeyReassignedOnOneBranchInAnyKeyedLookup() =>
        Slot(
            "var key = \"model\";\nif (request.Model is null) { key = \"metadata\"; }\n_ = "
            + "items.TryGetValue({|TLLM2001:key|}, out _);\n_ = bag.ContainsKey({|TLLM2001:key|});",
            "var key = \"model\";\nif (request.Model is null) { key = \"litellm_metadata\"; }\n_ = "
            + "items.TryGetValue(key, out _);\n_ = bag.ContainsKey(key);");

    [Fact]
    public Task EveryArmOfASwitchExpression() => Slot(
        "var key = request.Model switch { \"a\" => \"metadata\", _ => \"metadata\" };\n_ = bag[{|TLLM2001:key|}];",
        "var key = request.Model switch { \"a\" => \"litellm_metadata\", _ => \"litellm_metadata\" };\n_ = bag[key];");

    [Fact]
    public Task AKeyWrittenIntoTheRequestsBagByAnIndexerOrAdd() =>
        Slot(
            "items[{|TLLM2001:\"metadata\"|}] = new Dictionary<string, object?> { [\"user\"] = \"u\" "
            + "};\nbag.Add({|TLLM2001:\"metadata\"|}, new JsonObject { [\"user\"] = \"u\" });",
            "items[\"litellm_metadata\"] = new Dictionary<string, object?> { [\"user\"] = \"u\" "
            + "};\nbag.Add(\"litellm_metadata\", new JsonObject { [\"user\"] = \"u\" });");

    [Fact]
    public Task AKeyHeldInAnObjectInitializersMember() => Slot(
        "var options = new SlotOptions { Key = \"metadata\" };\n_ = bag[{|TLLM2001:options.Key|}];",
        "var options = new SlotOptions { Key = \"litellm_metadata\" };\n_ = bag[options.Key];",
        "internal sealed class SlotOptions { public string Key { get; init; } = \"\"; }");

    [Fact]
    public Task JsonEncodedTextAndTheUtf8ReaderAndWritersNames() =>
        Slot(
            "var name = JsonEncodedText.Encode(\"metadata\");\nusing var stream = new "
            + "System.IO.MemoryStream();\nusing var writer = new Utf8JsonWriter(stream);\nvar reader = new "
            + "Utf8JsonReader(call.RequestBody.Span);\nwhile (reader.Read()) { if "
            + "(reader.ValueTextEquals({|TLLM2001:name.EncodedUtf8Bytes|})) { break; } }\n_ = "
            + "bag[{|TLLM2001:name.Value|}];",
            "var name = JsonEncodedText.Encode(\"litellm_metadata\");\nvar reader = new "
            + "Utf8JsonReader(call.RequestBody.Span);\nwhile (reader.Read()) { if "
            + "(reader.ValueTextEquals(name.EncodedUtf8Bytes)) { break; } }\n_ = bag[name.Value];");

    /// <summary>
    /// A route whose only failure filter accepts <c>HttpException</c> (<see cref="FailurePathMatrix.Header"/>), running
    /// <paramref name="body"/>.
    /// </summary>
    private static string Thrown(string body, string members) => FailurePathMatrix.Header + $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                var text = request.Model ?? "";
        {{body}}
                return new Reply { Text = text };
            }
        }
        {{members}}
        """;

    private static DiagnosticResult Escape(int location) =>
        new DiagnosticResult("TLLM2002", DiagnosticSeverity.Warning).WithLocation(location).WithLocation(9);

    [Fact]
    public Task AGenericThrowHelperThrowsItsTypeArgument() => Task.WhenAll(
        AnalyzerAsync(Thrown("if (text.Length == 0) { {|#0:Fail.With<BlockedException>()|}; }", Fail), Escape(0)),
        AnalyzerAsync(Thrown("if (text.Length == 0) { Fail.With<BadRequestException>(); }", Fail)));

    private const string Fail = """
        internal static class Fail
        {
            public static void With<TException>() where TException : Exception, new() => throw new TException();
        }

        internal sealed class BlockedException : Exception { }

        internal sealed class BadRequestException : HttpException {
            public BadRequestException() : base("bad request") { } }
        """;

    [Fact]
    public Task AnExceptionCaughtAndTranslatedIntoAnAcceptedOneBeforeItEscapes() =>
        Task.WhenAll(
            AnalyzerAsync(
                Thrown(
                    "try { Guard.Check(text); } catch (GuardrailRaisedException e) { throw new "
                    + "HttpException(e.Message); }",
                    MatrixCell.WithoutMarkup(Guard))),
            AnalyzerAsync(
                Thrown(
                    "try { Guard.Check(text); } catch (GuardrailRaisedException e) when (e.Message.Length > 99) { "
                    + "throw new HttpException(e.Message); }",
                    Guard),
                Escape(0)),
            AnalyzerAsync(
                Thrown(
                    "try { Guard.Check(text); } catch (GuardrailRaisedException) { text = \"blocked\"; throw; }",
                    Guard),
                Escape(0)),
            AnalyzerAsync(Thrown("Guard.Check(text);", Guard), Escape(0)));

    private const string Guard = """
        internal static class Guard
        {
            public static void Check(string text) { if (text.Contains("forbidden")) {
                {|#0:throw new GuardrailRaisedException(text);|} } }
        }
        """;
}
