using System;
using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Analyzers.Tests.Yardstick;

/// <summary>
/// TLLM2001's yardstick: a key carried to a metadata-bag lookup one of many ways C# carries a
/// value (locals, branches, loops, switch, patterns, out and ref parameters, tuples, records,
/// methods 1-3 calls deep, async methods and lambdas, local functions, fields, properties,
/// delegates, static abstract members, parameters and primary constructors), used in one of
/// several places a route reaches. Each carrier is used twice: with "metadata" on a route whose
/// slot is "litellm_metadata" (a true case) and with "litellm_metadata" (a clean one).
/// </summary>
internal static class KeyCases
{
    private const string Rule = "TLLM2001";
    private const string Wrong = "\"metadata\"";
    private const string Right = "\"litellm_metadata\"";

    /// <summary>
    /// How the key is carried: statements before the lookup, the key expression at the lookup, members
    /// of the file's Keys class, and types beside it. A carrier whose key is a parameter of another
    /// method does its own lookup (Lookup) and is reported where the literal is passed: MARK(...) there.
    /// </summary>
    private sealed record Carrier(
        string Name,
        Func<string, (string Setup, string Key, string Members, string Types)> Make,
        string? Lookup = null);

    private sealed record Container(string Name, Func<string, (string InRoute, string Members)> Place);

    private static readonly Func<string, string>[] Uses =
    {
        key => $"_ = call.HttpContext.Items[{key}];",
        key => $"call.HttpContext.Items.TryGetValue({key}, out var found);\n_ = found;",
        key => $"var body = JsonNode.Parse(request.Model ?? \"{{}}\");\n_ = body?[{key}];",
        key => $"IDictionary<object, object?> items = call.HttpContext.Items;\nitems.Remove({key});",
    };

    private static readonly Carrier[] Carriers =
    {
        new("literal", l => ("", l, "", "")),
        new("const local", l => ($"const string key = {l};", "key", "", "")),
        new("local", l => ($"var key = {l};", "key", "", "")),
        new(
            "local reassigned the same value on a branch",
            l => ($"var key = {l};\nif (request.Model is null)\n{{\nkey = {l};\n}}", "key", "", "")),
        new(
            "local reassigned another value on a branch",
            l => ($"var key = {l};\nif (request.Model is null)\n{{\nkey = \"trace_name\";\n}}", "key", "", "")),
        new(
            "local assigned in a loop",
            l =>
                ($"var key = \"trace_name\";\nforeach (var part in new[] {{ 1, 2 }})\n{{\nkey = {l};\n}}",
                    "key",
                    "",
                    "")),
        new("conditional", l => ("", $"request.Model is null ? {l} : {l}", "", "")),
        new("switch expression", l => ("", $"request.Model switch {{ \"a\" => {l}, _ => {l} }}", "", "")),
        new(
            "switch statement",
            l =>
                (
                    $"string key;\nswitch (request.Model)\n{{\ncase \"a\":\nkey = {l};\nbreak;\ndefault:\nkey = "
                    + $"{l};\nbreak;\n}}",
                    "key",
                    "",
                    "")),
        new(
            "pattern matching",
            l =>
                ($"var key = {l};\nif (request is {{ Model: {{ Length: > 100 }} }})\n{{\nkey = {l};\n}}", "key", "", "")
        ),
        new(
            "out parameter",
            l => ("Keys.Get(out var key);", "key", $"public static void Get(out string key) => key = {l};", "")),
        new(
            "ref parameter",
            l =>
                ("var key = \"trace_name\";\nKeys.Fill(ref key);",
                    "key",
                    $"public static void Fill(ref string key) => key = {l};",
                    "")),
        new("tuple deconstruction", l => ($"var (key, _) = ({l}, 1);", "key", "", "")),
        new("tuple element", l => ("", $"({l}, 0).Item1", "", "")),
        new("positional record", l => ("", $"new KeyHolder({l}).Value", "", "")),
        new(
            "record with",
            l => ($"var holder = new KeyHolder(\"trace_name\") with {{ Value = {l} }};", "holder.Value", "", "")),
        new("method, 1 call", l => ("", "Keys.Of1()", $"public static string Of1() => {l};", "")),
        new(
            "method, 3 calls",
            l =>
                ("",
                    "Keys.Of3()",
                    $"public static string Of1() => {l};\n\npublic static string Of2() "
                    + $"=> Of1();\n\npublic static string Of3()\n{{\nvar value = Of2();\nreturn value;\n}}",
                    "")),
        new(
            "async method",
            l =>
                ("var key = await Keys.OfAsync();",
                    "key",
                    $"public static async Task<string> OfAsync()\n{{\nawait Task.Yield();\nreturn {l};\n}}",
                    "")),
        new(
            "async lambda",
            l =>
                (
                    $"Func<Task<string>> get = async () =>\n{{\nawait Task.Yield();\nreturn {l};\n}};\nvar key = await "
                    + $"get();",
                    "key",
                    "",
                    "")),
        new(
            "local function called twice",
            l => ($"string Key() => {l};\nvar first = Key();\nvar key = Key();", "key", "", "")),
        new("static readonly field", l => ("", "Keys.Field", $"public static readonly string Field = {l};", "")),
        new("const field", l => ("", "Keys.Constant", $"public const string Constant = {l};", "")),
        new("static property", l => ("", "Keys.Property", $"public static string Property => {l};", "")),
        new(
            "field set in a static constructor",
            l =>
                ("",
                    "Keys.Assigned",
                    $"public static readonly string Assigned;\n\nstatic Keys()\n{{\nAssigned = {l};\n}}",
                    "")),
        new("interpolation", l => ($"var head = {Head(l)};", $"$\"{{head}}{Tail(l)}\"", "", "")),
        new("concatenation", l => ($"var head = {Head(l)};", $"head + \"{Tail(l)}\"", "", "")),
        new(
            "try and finally",
            l =>
                ($"var key = \"trace_name\";\ntry\n{{\nkey = {l};\n}}\nfinally\n{{\nKeys.Log();\n}}",
                    "key",
                    "public static void Log()\n{\n}",
                    "")),
        new("coalesce", l => ("", $"Keys.Nothing ?? {l}", "public static string? Nothing => null;", "")),
        new("generic identity", l => ("", $"Keys.Same({l})", "public static T Same<T>(T value) => value;", "")),
        new(
            "delegate field",
            l => ("", "Keys.Getter()", $"public static readonly Func<string> Getter = () => {l};", "")),
        new(
            "delegate in a list",
            l =>
                ("",
                    "Keys.Getters[0]()",
                    $"public static readonly List<Func<string>> Getters = new() {{ () => {l} }};",
                    "")),
        new(
            "static abstract member",
            l =>
                ("",
                    "Keys.Read<SlotKey>()",
                    "public static string Read<T>()\n    where T : ISlotKey => T.Key;",
                    $"internal interface ISlotKey\n{{\nstatic abstract string Key {{ get; "
                    + $"}}\n}}\n\ninternal sealed class SlotKey : ISlotKey\n{{\npublic static string Key => {l};\n}}")),
        new(
            "primary constructor",
            l =>
                ("",
                    $"new Reader(MARK({l})).Read(call)",
                    "",
                    "internal sealed class Reader(string key)\n{\npublic object? Read(LlmCall call) => "
                    + "call.HttpContext.Items[key];\n}"),
            Lookup: "_ = KEY;"),
        new(
            "parameter, 1 call",
            l =>
                ("",
                    $"Keys.Read1(call, MARK({l}))",
                    "public static object? Read1(LlmCall call, string key) => call.HttpContext.Items[key];",
                    ""),
            Lookup: "_ = KEY;"),
        new(
            "parameter, 3 calls",
            l =>
                ("",
                    $"Keys.Read3(call, MARK({l}))",
                    "public static object? Read1(LlmCall call, string key) => "
                    + "call.HttpContext.Items[key];\n\npublic static object? Read2(LlmCall call, string key) => "
                    + "Read1(call, key);\n\npublic static object? Read3(LlmCall call, string key)\n{\nvar value = "
                    + "Read2(call, key);\nreturn value;\n}",
                    ""),
            Lookup: "_ = KEY;"),
    };

    private static readonly Container[] Containers =
    {
        new("the handler", code => (code, string.Empty)),
        new("a helper, 1 call", code => Helper(1, code)),
        new("a helper, 3 calls", code => Helper(3, code)),
        new(
            "an async lambda",
            code => ($"Func<Task> work = async () =>\n{{\n{code}\n}};\nawait work();", string.Empty)),
        new(
            "a local function called twice",
            code => ($"async Task Work()\n{{\n{code}\n}}\n\nawait Work();\nawait Work();", string.Empty)),
        new("a loop", code => ($"for (var attempt = 0; attempt < 2; attempt++)\n{{\n{code}\n}}", string.Empty)),
        new(
            "a try/finally around it",
            code => ($"try\n{{\n{code}\n}}\nfinally\n{{\nConsole.WriteLine(\"done\");\n}}", string.Empty)),
    };

    /// <summary>Every carrier in every container, each with the wrong slot's key and with the right one.</summary>
    public static IEnumerable<YardstickCase> All()
    {
        var index = 0;
        foreach (var carrier in Carriers)
        {
            foreach (var container in Containers)
            {
                foreach (var literal in new[] { Wrong, Right })
                {
                    yield return Case(index, carrier, container, literal, Uses[index % Uses.Length]);
                    index++;
                }
            }
        }
    }

    private static YardstickCase Case(
        int index,
        Carrier carrier,
        Container container,
        string literal,
        Func<string, string> use)
    {
        var isTrue = literal == Wrong;
        string Mark(string text) => isTrue ? "{|" + Rule + ":" + text + "|}" : text;
        var (setup, key, members, types) = carrier.Make(literal);
        string lookup;
        if (carrier.Lookup is { } own)
        {
            // The literal is reported where it is passed: MARK(...) in the key expression.
            var start = key.IndexOf("MARK(", StringComparison.Ordinal);
            var end = key.IndexOf(')', start);
            key = key[..start] + Mark(key[(start + 5)..end]) + key[(end + 1)..];
            lookup = own.Replace("KEY", key, StringComparison.Ordinal);
        }
        else
        {
            lookup = use(Mark(key));
        }

        var code = string.IsNullOrEmpty(setup) ? lookup : setup + "\n" + lookup;
        var (inRoute, containerMembers) = container.Place(code);
        var source = $$"""
            namespace Yardstick.Keys{{index}};

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/messages/key{{index}}")]
                public static async Task<Reply> Messages(MessagesRequest request, LlmCall call)
                {
                    {{Indent(inRoute, 2)}}
                    return new Reply();
                }
            }
            {{containerMembers}}
            internal static class Keys
            {
                {{Indent(members, 1)}}
            }

            internal sealed record KeyHolder(string Value);

            {{types}}
            """;
        var name = $"{carrier.Name} / {container.Name} / {(isTrue ? "wrong slot" : "own slot")}";
        return new YardstickCase(Rule, name, new[] { "carried by: " + carrier.Name, "in: " + container.Name }, source);
    }

    private static string Head(string literal) => "\"" + literal[1..(literal.Length / 2)] + "\"";

    private static string Tail(string literal) => literal[(literal.Length / 2)..^1];

    private static (string InRoute, string Members) Helper(int depth, string code)
    {
        var members = new System.Text.StringBuilder("\ninternal static class Work\n{\n");
        for (var level = 1; level <= depth; level++)
        {
            var inner = level == depth ? code : $"await Run{level + 1}(request, call);";
            members.Append(
                $"    public static async Task Run{level}(MessagesRequest request, "
                + $"LlmCall call)\n    {{\n        {Indent(inner, 2)}\n    }}\n\n");
        }

        return ("await Work.Run1(request, call);", members.Append("}\n").ToString());
    }

    private static string Indent(string code, int level) =>
        code.Replace("\n", "\n" + new string(' ', level * 4), StringComparison.Ordinal);
}
