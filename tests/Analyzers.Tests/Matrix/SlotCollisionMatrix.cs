using System.Collections.Generic;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2005's construct matrix: a request type on a route whose slot is <c>metadata</c>, declaring its
/// member through each construct of C# that System.Text.Json binds. The faulty form names the member
/// <c>Metadata</c> (<c>@M</c>; <c>metadata</c> where it is a JSON name), the sound one <c>Tags</c>.
/// </summary>
internal static class SlotCollisionMatrix
{
    internal const string Header = "using System.Text.Json.Serialization;\n" + Corpus.Header;

    private static MatrixCell Request(string construct, string types, string parameter = "Body request",
        string faulty = "Metadata", string sound = "Tags") =>
        Pair(construct, types + $$"""

            internal static class Routes
            {
                [{|TLLM2005:TracedLlmRoute("POST", "/v1/completions")|}]
                public static Reply Completions({{parameter}}, LlmCall call) => new();
            }
            """, "@M", faulty, sound);

    internal static readonly IReadOnlyDictionary<string, MatrixCell> Cells = ByName(
        Request("auto-property", "internal sealed class Body { public object? @M { get; set; } }"),
        Request("init-only property", "internal sealed class Body { public object? @M { get; init; } }"),
        Request("required property", "internal sealed class Body { public required object @M { get; set; } }"),
        Request("expression-bodied property", "internal sealed class Body { public object? @M => null; }"),
        Request(
            "property with an initializer",
            "internal sealed class Body { public Dictionary<string, string> @M { get; set; } = new(); }"),
        Request("record positional property", "internal sealed record Body(string Model, object? @M);"),
        Request("record struct", "internal readonly record struct Body(string Model, object? @M);"),
        Request(
            "inherited from a base class",
            "internal class BodyBase { public object? @M { get; set; } }\ninternal sealed class Body : BodyBase { }"),
        Request(
            "inherited from a generic base with a constraint",
            "internal class BodyBase<T> where T : class { public T? @M { get; set; } }\ninternal sealed class Body "
            + ": BodyBase<object> { }"),
        Request(
            "generic request type",
            "internal sealed class Body<T> { public T? @M { get; set; } }",
            "Body<object> request"),
        Request(
            "renamed with JsonPropertyName",
            "internal sealed class Body { [JsonPropertyName(\"@M\")] public object? Extra { get; set; } }",
            faulty: "metadata",
            sound: "tags"),
        Request("field with JsonInclude", "internal sealed class Body { [JsonInclude] internal object? @M; }"),
        Request(
            "JsonIgnore with a condition",
            "internal sealed class Body { [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public "
            + "object? @M { get; set; } }"),
        Request("nullable struct property", "internal sealed class Body { public int? @M { get; set; } }"));
}
