using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Gateway.Tests;

/// <summary>How one generated body differs from a well-formed one.</summary>
internal enum AmbiguityForm
{
    /// <summary>The well-formed body itself: a control, answered 200 wherever it goes.</summary>
    None,

    /// <summary>The property twice, as written.</summary>
    Duplicate,

    /// <summary>The property twice, one of them with an escaped character (<c>"\u006dodel"</c>).</summary>
    EscapedDuplicate,

    /// <summary>The property beside a case variant of its name (<c>"Model"</c>).</summary>
    CaseVariantPair,

    /// <summary>The property renamed to a case variant of its name, alone.</summary>
    CaseVariantAlone,

    /// <summary>The property renamed to an escaped case variant (<c>"\u004dodel"</c>), alone.</summary>
    EscapedCaseVariantAlone,
}

/// <summary>One generated request of the differential suite.</summary>
internal sealed record DifferentialCase(
    int Index,
    WireShape Shape,
    bool Stream,
    string Property,
    AmbiguityForm Form,
    string Variant,
    bool ReplacementFirst,
    string Body)
{
    public string Describe() =>
        $"#{Index} {Shape} {(Stream ? "stream" : "json")} {Form} of {Property}"
        + $"{(Variant.Length > 0 ? $" as '{Variant}'" : string.Empty)}"
        + $"{(ReplacementFirst ? " (replacement first)" : string.Empty)}: {Body}";
}

/// <summary>The two wire formats the suite speaks.</summary>
internal enum WireShape
{
    OpenAIChat,
    AnthropicMessages,
}

/// <summary>
/// Generates the differential suite's bodies: for every property the gateway reads or forwards, top
/// level and nested, of both wire formats, streamed and not, a well-formed body changed so that
/// readers could read it two ways: the property twice, twice with an escaped name, beside a case
/// variant of its name, or renamed to a case variant, with the second value first or last. The
/// second value is the hostile one (another model, the banned word, a flipped <c>stream</c>, a larger
/// <c>max_tokens</c>, other metadata), so whichever reader takes it acts on another request.
/// </summary>
internal static class DifferentialCases
{
    /// <summary>The word the guardrails block.</summary>
    public const string Banned = "forbidden";

    private static readonly (string Path, string Name, string Replacement)[] ChatTargets =
    {
        ("$", "model", "\"gpt-4o\""),
        ("$", "messages", "[{\"role\":\"user\",\"content\":\"please say " + Banned + "\"}]"),
        ("$", "stream", "STREAM"),
        ("$", "max_tokens", "4096"),
        ("$", "max_completion_tokens", "8192"),
        ("$", "temperature", "1.9"),
        ("$", "top_p", "0.9"),
        ("$", "user", "\"mallory\""),
        ("$", "metadata", "{\"trace_name\":\"trace-b\",\"generation_name\":\"generation-b\"}"),
        ("$.messages[0]", "content", "\"please say " + Banned + "\""),
        ("$.messages[1]", "role", "\"system\""),
        ("$.messages[1]", "content", "\"please say " + Banned + "\""),
        ("$.messages[1].content[0]", "text", "\"please say " + Banned + "\""),
        ("$.messages[1].content[0]", "type", "\"image_url\""),
        ("$.metadata", "trace_name", "\"trace-b\""),
        ("$.metadata", "generation_name", "\"generation-b\""),
        ("$.metadata", "session_id", "\"session-b\""),
        ("$.metadata", "trace_user_id", "\"user-b\""),
        ("$.metadata", "tags", "[\"tag-b\"]"),
    };

    private static readonly (string Path, string Name, string Replacement)[] MessagesTargets =
    {
        ("$", "model", "\"claude-opus\""),
        ("$", "max_tokens", "4096"),
        ("$", "messages", "[{\"role\":\"user\",\"content\":\"please say " + Banned + "\"}]"),
        ("$", "stream", "STREAM"),
        ("$", "system", "\"please say " + Banned + "\""),
        ("$", "temperature", "1.9"),
        ("$", "top_p", "0.9"),
        ("$", "metadata", "{\"user_id\":\"native-b\"}"),
        ("$", "litellm_metadata", "{\"trace_name\":\"trace-b\",\"generation_name\":\"generation-b\"}"),
        ("$.metadata", "user_id", "\"native-b\""),
        ("$.messages[0]", "role", "\"assistant\""),
        ("$.messages[0]", "content", "\"please say " + Banned + "\""),
        ("$.messages[0].content[0]", "text", "\"please say " + Banned + "\""),
        ("$.messages[0].content[0]", "type", "\"image\""),
        ("$.litellm_metadata", "trace_name", "\"trace-b\""),
        ("$.litellm_metadata", "generation_name", "\"generation-b\""),
        ("$.litellm_metadata", "session_id", "\"session-b\""),
        ("$.litellm_metadata", "trace_user_id", "\"user-b\""),
        ("$.litellm_metadata", "tags", "[\"tag-b\"]"),
    };

    /// <summary>Every case for one wire format: a control per stream mode, then each property in each form.</summary>
    public static IEnumerable<DifferentialCase> Generate(WireShape shape, bool stream, int firstIndex)
    {
        var index = firstIndex;
        yield return new DifferentialCase(
            index++,
            shape,
            stream,
            "(none)",
            AmbiguityForm.None,
            string.Empty,
            false,
            Base(shape, stream).Write());
        foreach (var (path, name, replacement) in shape == WireShape.OpenAIChat ? ChatTargets : MessagesTargets)
        {
            var value = replacement == "STREAM" ? (stream ? "false" : "true") : replacement;
            foreach (var (form, variant, replacementFirst) in Forms(name))
            {
                var body = Base(shape, stream);
                Apply(body, path, name, value, form, variant, replacementFirst);
                yield return new DifferentialCase(
                    index++,
                    shape,
                    stream,
                    path + "." + name,
                    form,
                    variant,
                    replacementFirst,
                    body.Write());
            }
        }
    }

    private static IEnumerable<(AmbiguityForm Form, string Variant, bool ReplacementFirst)> Forms(string name)
    {
        foreach (var first in new[] { false, true })
        {
            yield return (AmbiguityForm.Duplicate, string.Empty, first);
            yield return (AmbiguityForm.EscapedDuplicate, string.Empty, first);
            foreach (var variant in Variants(name))
            {
                yield return (AmbiguityForm.CaseVariantPair, variant, first);
            }
        }

        foreach (var variant in Variants(name))
        {
            yield return (AmbiguityForm.CaseVariantAlone, variant, false);
        }

        yield return (AmbiguityForm.EscapedCaseVariantAlone, Variants(name).First(), false);
    }

    /// <summary>Capitalized, upper case, and alternating case: <c>Model</c>, <c>MODEL</c>, <c>mOdEl</c>.</summary>
    public static IReadOnlyList<string> Variants(string name) => new[]
    {
        char.ToUpperInvariant(name[0]) + name[1..],
        name.ToUpperInvariant(),
        string.Concat(name.Select((c, i) => i % 2 == 1 ? char.ToUpperInvariant(c) : c)),
    }.Where(v => v != name).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>A well-formed request of the format: every property the suite changes is in it.</summary>
    public static JsonObjectText Base(WireShape shape, bool stream)
    {
        var streamText = stream ? "true" : "false";
        return shape == WireShape.OpenAIChat
            ? JsonObjectText.Parse($$$"""
                {"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},
                    {"role":"user","content":[{"type":"text","text":"hello there"}]}],
                 "stream":{{{streamText}}},"max_tokens":16,"temperature":0.2,"top_p":0.5,"user":"alice",
                 "metadata":{"trace_name":"trace-a","generation_name":"generation-a","session_id":"session-a",
                     "trace_user_id":"user-a","tags":["tag-a"]}}
                """)
            : JsonObjectText.Parse($$$"""
                {"model":"claude-sonnet","max_tokens":16,"system":"be brief",
                    "messages":[{"role":"user","content":[{"type":"text","text":"hello there"}]}],
                 "stream":{{{streamText}}},"temperature":0.2,"top_p":0.5,"metadata":{"user_id":"native-a"},
                 "litellm_metadata":{"trace_name":"trace-a","generation_name":"generation-a","session_id":"session-a",
                     "trace_user_id":"user-a","tags":["tag-a"]}}
                """);
    }

    private static void Apply(
        JsonObjectText body,
        string path,
        string name,
        string value,
        AmbiguityForm form,
        string variant,
        bool replacementFirst)
    {
        var parent = body.Find(path);
        var at = parent.Members.FindIndex(m => m.Name == name);
        if (at < 0)
        {
            // A property the well-formed body leaves out (max_completion_tokens): added first, so it is there twice.
            parent.Members.Add(new JsonMember(name, "32"));
            at = parent.Members.Count - 1;
        }

        switch (form)
        {
            case AmbiguityForm.CaseVariantAlone:
                parent.Members[at] = new JsonMember(variant, value);
                return;
            case AmbiguityForm.EscapedCaseVariantAlone:
                parent.Members[at] = new JsonMember(Escape(variant), value);
                return;
        }

        var replacementName = form switch
        {
            AmbiguityForm.Duplicate => name,
            AmbiguityForm.EscapedDuplicate => Escape(name),
            _ => variant,
        };
        parent.Members.Insert(replacementFirst ? at : at + 1, new JsonMember(replacementName, value));
    }

    /// <summary>The name with its first character written as a <c>\u</c> escape.</summary>
    public static string Escape(string name) => $"\\u{(int)name[0]:x4}{name[1..]}";
}

/// <summary>
/// A JSON object as members in order (duplicates allowed, names as written between the quotes), so
/// a test can write exactly the body it means: the serializers would not write two members of one
/// name. A member read from parsed JSON keeps its nested objects, so a change deep inside is written out.
/// </summary>
internal sealed class JsonObjectText
{
    public List<JsonMember> Members { get; } = new();

    public static JsonObjectText Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return From(document.RootElement);
    }

    private static JsonObjectText From(JsonElement element)
    {
        var result = new JsonObjectText();
        foreach (var property in element.EnumerateObject())
        {
            result.Members.Add(
                property.Value.ValueKind switch
                {
                    JsonValueKind.Object => new JsonMember(property.Name, From(property.Value)),
                    JsonValueKind.Array => new JsonMember(
                        property.Name,
                        property.Value
                            .EnumerateArray()
                            .Select(item =>
                                item.ValueKind == JsonValueKind.Object ? (object)From(item) : item.GetRawText())
                            .ToList()),
                    _ => new JsonMember(property.Name, property.Value.GetRawText()),
                });
        }

        return result;
    }

    /// <summary>
    /// The object at a path such as <c>$.messages[1].content[0]</c> (through the first member of each name).
    /// </summary>
    public JsonObjectText Find(string path)
    {
        var current = this;
        foreach (var segment in path.Split('.').Skip(1))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var member = current.Members.First(m => m.Name == (bracket < 0 ? segment : segment[..bracket]));
            current =
                bracket < 0
                    ? (JsonObjectText)member.Value
                    : (JsonObjectText)
                        ((List<object>)member.Value)[
                            int.Parse(segment[(bracket + 1)..^1], CultureInfo.InvariantCulture)
                        ];
        }

        return current;
    }

    public string Write()
    {
        var text = new StringBuilder("{");
        for (var i = 0; i < Members.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ",").Append('"').Append(Members[i].Name).Append("\":");
            Write(text, Members[i].Value);
        }

        return text.Append('}').ToString();
    }

    private static void Write(StringBuilder text, object value)
    {
        switch (value)
        {
            case JsonObjectText child:
                text.Append(child.Write());
                break;
            case List<object> items:
                text.Append('[');
                for (var k = 0; k < items.Count; k++)
                {
                    text.Append(k == 0 ? string.Empty : ",");
                    Write(text, items[k]);
                }

                text.Append(']');
                break;
            default:
                text.Append((string)value);
                break;
        }
    }
}

/// <summary>
/// One member: a name as written, and a value that is JSON text, an object, or a list of items (objects or JSON text).
/// </summary>
internal sealed record JsonMember(string Name, object Value);

/// <summary>
/// One way to read a JSON body: the first or the last of repeated properties, and names matched
/// either exactly or as the route matches them (ignoring case where the route binds a name whatever
/// its case: the envelope's names and the slot on every route, the request type's properties on a
/// typed route under case-insensitive options).
/// </summary>
internal sealed record BodyReader(string Name, bool FirstWins, bool RouteCase)
{
    public static readonly BodyReader[] All =
    {
        new("first value wins", FirstWins: true, RouteCase: true),
        new("last value wins", FirstWins: false, RouteCase: true),
        new("case-sensitive, first value", FirstWins: true, RouteCase: false),
        new("case-sensitive, last value", FirstWins: false, RouteCase: false),
    };

    /// <summary>How a JsonElement handler reads (TryGetProperty: the last of repeated names, exactly).</summary>
    public static readonly BodyReader Element = new("JsonElement", FirstWins: false, RouteCase: false);
}

/// <summary>
/// Which names a route binds whatever their case, by the object they are in (<c>$</c>, <c>$.messages[]</c>, ...).
/// </summary>
internal sealed class CaseBinding
{
    private static readonly string[] EnvelopeNames =
    {
        "model",
        "stream",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens"
    };

    private readonly Dictionary<string, HashSet<string>> _names = new(StringComparer.Ordinal);

    private CaseBinding(string slot, IEnumerable<(string Path, string Name)> typed)
    {
        Add("$", EnvelopeNames.Append(slot));
        foreach (var group in typed.GroupBy(t => t.Path))
        {
            Add(group.Key, group.Select(t => t.Name));
        }
    }

    /// <summary>A route with no typed body (JsonElement, JsonNode, none): the envelope's names and the slot.</summary>
    public static CaseBinding Untyped(WireShape shape) => new(Slot(shape), Array.Empty<(string, string)>());

    /// <summary>The sample's typed request of the format, under ASP.NET Core's case-insensitive defaults.</summary>
    public static CaseBinding Typed(WireShape shape) =>
        new(
            Slot(shape),
            shape == WireShape.OpenAIChat
                ? new[] { ("$", "messages"), ("$", "user"), ("$.messages[]", "role"), ("$.messages[]", "content") }
                : new[]
                {
                    ("$", "messages"),
                    ("$", "system"),
                    ("$", "metadata"),
                    ("$.messages[]", "role"),
                    ("$.messages[]", "content"),
                    ("$.metadata", "user_id")
                });

    public static string Slot(WireShape shape) => shape == WireShape.OpenAIChat ? "metadata" : "litellm_metadata";

    public bool IgnoresCase(string objectPath, string name) =>
        _names.TryGetValue(objectPath, out var names) && names.Contains(name);

    private void Add(string path, IEnumerable<string> names)
    {
        if (!_names.TryGetValue(path, out var set))
        {
            _names[path] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        set.UnionWith(names);
    }
}

/// <summary>
/// The values the suite compares, read from a request body by one <see cref="BodyReader"/>: model,
/// stream, output limits, sampling parameters, the user, the prompt (role and text of every
/// message, the system prompt first), and the slot's metadata. Keys name the value, not the JSON
/// property that carried it.
/// </summary>
internal static class BodyFields
{
    public const string Model = "model";
    public const string Stream = "stream";
    public const string MaxTokens = "max_tokens";
    public const string OutputLimit = "output limit";
    public const string Temperature = "temperature";
    public const string TopP = "top_p";
    public const string User = "user";
    public const string NativeUserId = "metadata.user_id";
    public const string Prompt = "prompt";
    public const string TraceName = "slot.trace_name";
    public const string GenerationName = "slot.generation_name";
    public const string SessionId = "slot.session_id";
    public const string UserId = "slot.user_id";
    public const string Tags = "slot.tags";
    public const string SlotForwarded = "slot forwarded";

    /// <summary>The fields the request names for its provider (everything but the slot).</summary>
    public static Dictionary<string, string?> Request(
        JsonElement root,
        WireShape shape,
        BodyReader reader,
        CaseBinding binding)
    {
        string? Get(string name) => Text(Member(root, "$", name, reader, binding));
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [Model] = Get("model"),
            [Stream] = Member(root, "$", "stream", reader, binding)?.ValueKind == JsonValueKind.True ? "true" : "false",
            [MaxTokens] = Get("max_tokens"),
            [OutputLimit] =
                Integer(Member(root, "$", "max_completion_tokens", reader, binding))
                ?? Integer(Member(root, "$", "max_tokens", reader, binding)),
            [Temperature] = Number(Member(root, "$", "temperature", reader, binding)),
            [TopP] = Number(Member(root, "$", "top_p", reader, binding)),
            [Prompt] = PromptOf(root, shape, reader, binding),
        };
        if (shape == WireShape.OpenAIChat)
        {
            fields[User] = Get("user");
        }
        else
        {
            var metadata = Member(root, "$", "metadata", reader, binding);
            fields[NativeUserId] =
                metadata?.ValueKind == JsonValueKind.Object
                    ? Text(Member(metadata.Value, "$.metadata", "user_id", reader, binding))
                    : null;
        }

        return fields;
    }

    /// <summary>The slot's metadata as the trace would record it (the slot's own keys are read exactly).</summary>
    public static Dictionary<string, string?> Slot(
        JsonElement root,
        WireShape shape,
        BodyReader reader,
        CaseBinding binding)
    {
        var slotName = CaseBinding.Slot(shape);
        var slot = Member(root, "$", slotName, reader, binding);
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [TraceName] = null,
            [GenerationName] = null,
            [SessionId] = null,
            [UserId] = null,
            [Tags] = null
        };
        if (slot?.ValueKind != JsonValueKind.Object)
        {
            return fields;
        }

        var path = "$." + slotName;
        string? Key(string name) =>
            Member(slot.Value, path, name, reader, binding) is { ValueKind: JsonValueKind.String } value
                ? value.GetString()
                : null;
        fields[TraceName] = Key("trace_name");
        fields[GenerationName] = Key("generation_name");
        fields[SessionId] = Key("session_id");
        fields[UserId] = Key("trace_user_id") ?? Key("user_id");
        fields[Tags] =
            Member(slot.Value, path, "tags", reader, binding) is { ValueKind: JsonValueKind.Array } tags
            && tags.GetArrayLength() > 0
                ? string.Join("|", tags.EnumerateArray().Select(t => t.GetString()))
                : null;
        return fields;
    }

    /// <summary>Whether the slot itself reached the upstream (it must not).</summary>
    public static string SlotReached(JsonElement root, WireShape shape, BodyReader reader, CaseBinding binding) =>
        Member(root, "$", CaseBinding.Slot(shape), reader, binding) is null ? "false" : "true";

    /// <summary>
    /// The prompt as the sample's <c>IPromptRequest.PromptMessages()</c> gives it: role and text per message, the
    /// system prompt first.
    /// </summary>
    public static string PromptText(IEnumerable<(string Role, string Text)> messages) =>
        string.Join("\u241e", messages.Select(m => m.Role + ": " + m.Text));

    public static string? Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture);

    private static string PromptOf(JsonElement root, WireShape shape, BodyReader reader, CaseBinding binding)
    {
        var messages = new List<(string, string)>();
        if (shape == WireShape.AnthropicMessages
            && Member(root, "$", "system", reader, binding) is { ValueKind: not JsonValueKind.Null } system)
        {
            messages.Add(("system", ContentText(system, "$.system[]", reader, binding)));
        }

        if (Member(root, "$", "messages", reader, binding) is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var message in list.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object)
                {
                    messages.Add(("?", message.GetRawText()));
                    continue;
                }

                var role = Member(message, "$.messages[]", "role", reader, binding)
                    is { ValueKind: JsonValueKind.String } r
                    ? r.GetString()!
                    : "user";
                messages.Add(
                    (role,
                        Member(message, "$.messages[]", "content", reader, binding) is { } content
                            ? ContentText(content, "$.messages[].content[]", reader, binding)
                            : string.Empty));
            }
        }

        return PromptText(messages);
    }

    // As the sample's ContentText: a string, or the text of each part of an array.
    private static string ContentText(JsonElement content, string partPath, BodyReader reader, CaseBinding binding) =>
        content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Join(
                "\n",
                content
                    .EnumerateArray()
                    .Where(part =>
                        part.ValueKind == JsonValueKind.Object
                        && Member(part, partPath, "text", reader, binding) is { ValueKind: JsonValueKind.String })
                    .Select(part => Member(part, partPath, "text", reader, binding)!.Value.GetString())),
            _ => string.Empty,
        };

    /// <summary>The value of <paramref name="name"/> in an object, as the reader reads it; null when absent.</summary>
    public static JsonElement? Member(
        JsonElement obj,
        string objectPath,
        string name,
        BodyReader reader,
        CaseBinding binding)
    {
        var ignoreCase = reader.RouteCase && binding.IgnoresCase(objectPath, name);
        JsonElement? found = null;
        foreach (var property in obj.EnumerateObject())
        {
            if (ignoreCase
                    ? string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)
                    : property.NameEquals(name))
            {
                found = property.Value;
                if (reader.FirstWins)
                {
                    break;
                }
            }
        }

        return found;
    }

    private static string? Text(JsonElement? value) => value switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } text => text.GetString(),
        { ValueKind: JsonValueKind.Null } => null,
        { } other => other.GetRawText(),
    };

    private static string? Integer(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Number } number && number.TryGetInt64(out var n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : null;

    private static string? Number(JsonElement? value) => value switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } number => Number(number.GetDouble()),
        { ValueKind: JsonValueKind.Null } => null,
        { } other => other.GetRawText(),
    };
}
