using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2001's construct matrix: each construct of C# that can carry a key string to a metadata bag, on
/// the <c>/v1/messages</c> route (slot <c>litellm_metadata</c>). The faulty form carries <c>metadata</c>,
/// the sound one <c>litellm_metadata</c> through the same construct.
/// </summary>
internal static class SlotMismatchMatrix
{
    internal const string Header = "using System.Linq;\nusing System.Threading.Channels;\n" + Corpus.Header;

    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
        {{members}}
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call)
            {
                await Task.Yield();
        {{body}}
            }
        }
        """;

    private static string Items(string key) =>
        $"return new Reply {{ Text = call.HttpContext.Items[{{|TLLM2001:{key}|}}]?.ToString() }};";

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Slot("local assigned once", Route("var k = \"@Pmetadata\";\n" + Items("k"))),
        Slot("local reassigned", Route("var k = \"model\";\nk = \"@Pmetadata\";\n" + Items("k"))),
        Slot(
            "local assigned in branches",
            Route(
                "string k;\nif (request.Model is null) { k = \"@Pmetadata\"; } else { k = \"@Pmetadata\"; }\n"
                    + Items("k"))),
        Slot(
            "instance field",
            Route("var keys = new Keys();\n" + Items("keys.Key"))
                + "\ninternal sealed class Keys { public string Key = \"@Pmetadata\"; }"),
        Slot(
            "static field",
            Route(Items("Keys.Key")) + "\ninternal static class Keys { public static string Key = \"@Pmetadata\"; }"),
        Slot(
            "static readonly field",
            Route(Items("Keys.Key"))
                + "\ninternal static class Keys { public static readonly string Key = \"@Pmetadata\"; }"),
        Slot(
            "static readonly field set in a static constructor",
            Route(Items("Keys.Key"))
                + "\ninternal static class Keys { public static readonly string Key; static Keys() { Key = "
                + "\"@Pmetadata\"; } }"),
        Slot(
            "expression-bodied property",
            Route(Items("Keys.Key")) + "\ninternal static class Keys { public static string Key => \"@Pmetadata\"; }"),
        Slot(
            "init-only property in an object initializer",
            Route("var options = new SlotOptions { Key = \"@Pmetadata\" };\n" + Items("options.Key"))
                + "\ninternal sealed class SlotOptions { public string Key { get; init; } = \"model\"; }"),
        Slot("collection initializer", Route("var keys = new List<string> { \"@Pmetadata\" };\n" + Items("keys[0]"))),
        Slot(
            "record with expression",
            Route("var options = new SlotOptions(\"model\") with { Key = \"@Pmetadata\" };\n" + Items("options.Key"))
                + "\ninternal sealed record SlotOptions(string Key);"),
        Slot(
            "record positional property",
            Route("var options = new SlotOptions(\"@Pmetadata\");\n" + Items("options.Key"))
                + "\ninternal sealed record SlotOptions(string Key);"),
        Slot(
            "out parameter",
            Route("Keys.Get(out var k);\n" + Items("k"))
                + "\ninternal static class Keys { public static void Get(out string key) => key = \"@Pmetadata\"; }"),
        Slot(
            "ref parameter",
            Route("var k = \"model\";\nKeys.Set(ref k);\n" + Items("k"))
                + "\ninternal static class Keys { public static void Set(ref string key) => key = \"@Pmetadata\"; }"),
        Slot(
            "in parameter",
            Route("return new Reply { Text = Keys.Read(call, {|TLLM2001:\"@Pmetadata\"|})?.ToString() };")
                + "\ninternal static class Keys { public static object? Read(LlmCall call, in string key) => "
                + "call.HttpContext.Items[key]; }"),
        Slot(
            "optional parameter default",
            Route("return new Reply { Text = Keys.Read(call)?.ToString() };")
                + "\ninternal static class Keys { public static object? Read(LlmCall call, string key = "
                + "{|TLLM2001:\"@Pmetadata\"|}) => call.HttpContext.Items[key]; }"),
        Slot(
            "conditional operator",
            Route("var k = request.Model is null ? \"@Pmetadata\" : \"@Pmetadata\";\n" + Items("k"))),
        Slot(
            "null-coalescing operator",
            Route("string? configured = null;\nvar k = configured ?? \"@Pmetadata\";\n" + Items("k"))),
        Slot("null-coalescing assignment", Route("string? k = null;\nk ??= \"@Pmetadata\";\n" + Items("k"))),
        Slot(
            "switch statement",
            Route(
                "string k;\nswitch (request.Model) { case \"a\": k = \"@Pmetadata\"; break; default: k = "
                + "\"@Pmetadata\"; break; }\n"
                    + Items("k"))),
        Slot(
            "switch expression with when, throwing arm and discard",
            Route(
                "var k = request.Model switch { \"a\" when call.Route is not null => \"@Pmetadata\", \"\" => throw "
                + "new InvalidOperationException(), _ => \"@Pmetadata\" };\n"
                    + Items("k"))),
        Slot("tuple deconstruction", Route("var (k, _) = (\"@Pmetadata\", 1);\n" + Items("k"))),
        Slot("named tuple element", Route("var pair = (Key: \"@Pmetadata\", Count: 1);\n" + Items("pair.Key"))),
        Slot(
            "generic helper with a constraint",
            Route(Items("Keys.Pick(\"@Pmetadata\")"))
                + "\ninternal static class Keys { public static T Pick<T>(T value) where T : class => value; }"),
        Slot(
            "generic helper starting from default(T)",
            Route(Items("Keys.Or(\"@Pmetadata\")"))
                + "\ninternal static class Keys { public static T Or<T>(T value) where T : class { T? result = "
                + "default; result ??= value; return result; } }"),
        Slot("lambda", Route("Func<string> key = () => \"@Pmetadata\";\n" + Items("key()"))),
        Slot(
            "captured lambda reading the key",
            Route(
                "var k = \"@Pmetadata\";\nFunc<object?> read = () => "
                + "call.HttpContext.Items[{|TLLM2001:k|}];\nreturn new Reply { Text = read()?.ToString() };")),
        Slot("local function", Route("string Key() => \"@Pmetadata\";\n" + Items("Key()"))),
        Slot(
            "method group",
            Route("Func<string> key = Keys.Get;\n" + Items("key()"))
                + "\ninternal static class Keys { public static string Get() => \"@Pmetadata\"; }"),
        Slot(
            "delegate stored in a static field",
            Route(Items("Keys.Key()"))
                + "\ninternal static class Keys { public static readonly Func<string> Key = () => \"@Pmetadata\"; }"),
        Slot(
            "delegate stored in a collection",
            Route(
                "var keys = new Dictionary<string, Func<string>> { [\"slot\"] = () => \"@Pmetadata\" };\n"
                    + Items("keys[\"slot\"]()"))),
        Slot(
            "event handler",
            Route(
                "var bus = new Bus();\nbus.Seen += key => _ = "
                + "call.HttpContext.Items[key];\nbus.Raise({|TLLM2001:\"@Pmetadata\"|});\nreturn new Reply();")
                + "\ninternal sealed class Bus { public event Action<string>? Seen; public void Raise(string key) "
                + "=> Seen?.Invoke(key); }",
            Held.MissedKnownLimit),
        Slot(
            "async method",
            Route(Items("await Keys.GetAsync()"))
                + "\ninternal static class Keys { public static async Task<string> GetAsync() { await "
                + "Task.Yield(); return \"@Pmetadata\"; } }"),
        Slot(
            "iterator",
            Route(
                "foreach (var k in Keys.All()) { return new Reply { Text = "
                + "call.HttpContext.Items[{|TLLM2001:k|}]?.ToString() }; }\nreturn new Reply();")
                + "\ninternal static class Keys { public static IEnumerable<string> All() { yield return "
                + "\"@Pmetadata\"; } }"),
        Slot(
            "await foreach",
            Route(
                "await foreach (var k in Keys.AllAsync()) { return new Reply { Text = "
                + "call.HttpContext.Items[{|TLLM2001:k|}]?.ToString() }; }\nreturn new Reply();")
                + "\ninternal static class Keys { public static async IAsyncEnumerable<string> AllAsync() { await "
                + "Task.Yield(); yield return \"@Pmetadata\"; } }"),
        Slot(
            "using declaration and await using",
            Route(
                "using var stream = new System.IO.MemoryStream();\nawait using var other = new "
                + "System.IO.MemoryStream();\nvar k = \"@Pmetadata\";\n"
                    + Items("k"))),
        Slot(
            "try, catch when and finally",
            Route(
                "var k = \"model\";\ntry { k = \"@Pmetadata\"; } catch (InvalidOperationException e) when "
                + "(e.Message.Length > 0) { call.RecordHandledFailure(e); k = \"@Pmetadata\"; } finally { "
                + "request.Model ??= \"none\"; }\n"
                    + Items("k"))),
        Slot("constant folding", Route(Items("Key"), "    private const string Key = \"@Pmeta\" + \"data\";")),
        Slot("nameof", Route(Items("nameof(@Pmetadata)"), "    private static readonly int @Pmetadata = 0;")),
        Slot("interpolated string of constants", Route("const string head = \"@Pmeta\";\n" + Items("$\"{head}data\""))),
        Slot(
            "UTF-8 literal",
            Route(
                "using var document = JsonDocument.Parse(call.RequestBody);\n"
                    + "document.RootElement.TryGetProperty({|TLLM2001:\"@Pmetadata\"u8|}, out var slot);\n"
                    + "return new Reply { Text = slot.ToString() };")),
        Slot(
            "JsonEncodedText",
            Route(
                "var reader = new Utf8JsonReader(call.RequestBody.Span);\nvar found = false;\nwhile (reader.Read()) "
                + "{ found |= reader.ValueTextEquals({|TLLM2001:Name.EncodedUtf8Bytes|}); }\nreturn new Reply { "
                + "Text = found.ToString() };",
                "    private static readonly JsonEncodedText Name = JsonEncodedText.Encode(\"@Pmetadata\");")),
        Slot(
            "pattern matching",
            Route("object boxed = \"@Pmetadata\";\nif (boxed is string k) { " + Items("k") + " }\nreturn new Reply();")
        ),
        Slot(
            "LINQ",
            Route("var k = new[] { \"@Pmetadata\" }.Select(key => key).First();\n" + Items("k")),
            Held.MissedKnownLimit),
        Slot(
            "Task.WhenAll fan-out",
            Route("var keys = await Task.WhenAll(Task.FromResult(\"@Pmetadata\"));\n" + Items("keys[0]")),
            Held.MissedKnownLimit),
        Slot(
            "Channel fan-out",
            Route(
                "var channel = Channel.CreateUnbounded<string>();\nawait "
                + "channel.Writer.WriteAsync(\"@Pmetadata\");\nvar k = await channel.Reader.ReadAsync();\n"
                    + Items("k")),
            Held.MissedKnownLimit));
}
