using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TracedLlm.Generators;

/// <summary>How the handler returns its result.</summary>
internal enum ReturnShape
{
    Value,
    Task,
    ValueTask,
    Stream,
}

/// <summary>Whether a parameter may be missing, and how.</summary>
internal enum Optionality
{
    Required,

    /// <summary>A nullable value type (<c>int?</c>).</summary>
    NullableValue,

    /// <summary>A nullable reference type (<c>string?</c>).</summary>
    NullableReference,

    /// <summary>A default value (<c>int n = 1</c>), in <see cref="ParameterModel.DefaultLiteral"/>.</summary>
    Default,
}

/// <summary>
/// One handler parameter: types travel as fully qualified strings, never symbols.
/// <paramref name="TypeName"/> is as declared (<c>string?</c>), <paramref name="TypeOfName"/> as
/// <c>typeof</c> takes it; <paramref name="Key"/> the route value, query parameter or header name,
/// or a keyed service's key as a C# literal; <paramref name="ParsedTypeName"/> the type a value's
/// text is parsed into; <paramref name="DefaultLiteral"/> the default value as a C# expression
/// (null when there is none, or it is null).
/// </summary>
internal readonly record struct ParameterModel(
    string Name,
    string TypeName,
    ParameterSource Source,
    string TypeOfName = "",
    string? Key = null,
    ValueParse Parse = ValueParse.None,
    string? ParsedTypeName = null,
    Optionality Optionality = Optionality.Required,
    string? DefaultLiteral = null);

/// <summary>
/// Everything the emitter needs for one route; strings, enums and equatable arrays only. A route
/// has a regular handler, a streaming handler (returning <c>IAsyncEnumerable</c>), or both; with
/// both, the body's <c>"stream"</c> decides which runs. A regular handler that returns
/// <c>LlmResult&lt;TResponse, TChunk&gt;</c> serves both modes itself (<see cref="ServesBoth"/>,
/// <see cref="ChunkTypeName"/> its chunk type). The source locations are a file name and a line
/// (<c>Routes.cs:42</c>), for the generated file's comments; never a directory. An empty
/// <see cref="MetadataSlot"/> is no slot; <see cref="IgnoresStream"/> answers <c>"stream": true</c>
/// with JSON; <see cref="ErrorResponses"/> names the <c>LlmErrorResponses</c> member the route chose.
/// </summary>
internal readonly record struct RouteModel(
    string GeneratedClassName,
    string HintName,
    string HandlerTypeName,
    string? HandlerMethodName,
    string HandlerDisplayName,
    string HandlerCref,
    string? HandlerLocation,
    string HttpMethod,
    string Pattern,
    string MetadataSlot,
    string ErrorFormat,
    string Operation,
    EquatableArray<ParameterModel> Parameters,
    ReturnShape ReturnShape,
    string ResultTypeName,
    bool ReturnsResult,
    bool ServesBoth,
    string? StreamMethodName,
    EquatableArray<ParameterModel> StreamParameters,
    string? ChunkTypeName,
    string? StreamLocation,
    bool SharedSlot,
    bool IgnoresStream = false,
    string? ErrorResponses = null)
{
    /// <summary>True when the route has no gateway metadata slot (<c>MetadataSlots.None</c>).</summary>
    public bool NoSlot => MetadataSlot.Length == 0;

    /// <summary>True for an MVC controller action: MVC routes it, binds its parameters and calls it.</summary>
    /// <remarks>
    /// The generated code gives the runtime its route, its slot reader and how to tell it from its overloads.
    /// </remarks>
    public bool Mvc { get; init; }

    /// <summary>
    /// An action's parameter types, as <c>typeof</c> takes them: which overload of the method is the traced one.
    /// </summary>
    public EquatableArray<StringValue> ActionParameterTypes { get; init; }

    /// <summary>True for an action with no attribute route: its path here is MVC's default conventional one.</summary>
    public bool ConventionallyRouted { get; init; }

    /// <summary>
    /// True when the body type has no member named <c>stream</c>: the app never read the flag, so a JSON-only
    /// handler answers it with JSON.
    /// </summary>
    public bool StreamUnread { get; init; }

    /// <summary>True when a slot value of the wrong JSON type is left as sent instead of refused.</summary>
    /// <remarks>
    /// The body type has no member of the slot's name (the app never read it) and the route did not ask for
    /// <c>StrictMetadata</c>.
    /// </remarks>
    public bool LenientSlot { get; init; }

    /// <summary>True when a JSON-only handler refuses <c>"stream": true</c> with 400.</summary>
    public bool RefusesStream =>
        StreamMethodName is null && !ServesBoth && !ReturnsResult && !IgnoresStream && !StreamUnread;
}

/// <summary>What the route table and the telemetry manifest need of a route.</summary>
internal readonly record struct RouteTableEntry(
    string GeneratedClassName,
    string HttpMethod,
    string Pattern,
    string MetadataSlot,
    string ErrorFormat,
    string Operation,
    string HandlerDisplayName,
    string? HandlerMethodName,
    string? StreamMethodName,
    string Streaming,
    EquatableArray<ParameterModel> Parameters,
    EquatableArray<ParameterModel> StreamParameters,
    bool SharedSlot,
    bool Mvc = false);

/// <summary>A route's method and path with where it was declared, for the duplicate check only.</summary>
internal readonly record struct RouteKey(
    string HttpMethod,
    string Pattern,
    string HandlerDisplayName,
    LocationInfo Location);

/// <summary>A location made of primitives, so it can sit in a cached model.</summary>
internal readonly record struct LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    /// <summary>
    /// The file name and the one-based line, <c>Routes.cs:42</c>: no directory, so generated text is the same on every
    /// machine.
    /// </summary>
    public static string? FileAndLine(Location? location)
    {
        if (location?.SourceTree is null)
        {
            return null;
        }

        var path = location.SourceTree.FilePath;
        var name = path.Substring(System.Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\')) + 1);
        return (name.Length == 0 ? "<unnamed>" : name)
            + ":"
            + (location.GetLineSpan().StartLinePosition.Line + 1).ToString(
                System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A diagnostic made of primitives (message arguments as strings).</summary>
internal readonly record struct DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<StringValue> Arguments)
{
    public Diagnostic ToDiagnostic() => Diagnostic.Create(
        DiagnosticDescriptors.ById(Id),
        Location?.ToLocation(),
        Arguments.Count == 0 ? Array.Empty<object>() : ToObjects(Arguments));

    private static object[] ToObjects(EquatableArray<StringValue> arguments)
    {
        var result = new object[arguments.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = arguments[i].Value;
        }

        return result;
    }
}

/// <summary>A string that satisfies <see cref="IEquatable{T}"/> for <see cref="EquatableArray{T}"/>.</summary>
internal readonly record struct StringValue(string Value);

/// <summary>The parser's result for one attributed method: a model, or the reasons it cannot be generated.</summary>
internal readonly record struct RouteParseResult(
    RouteModel? Route,
    RouteKey? Key,
    EquatableArray<DiagnosticInfo> Diagnostics);
