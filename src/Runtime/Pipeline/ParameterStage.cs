using System;
using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace TracedLlm.Pipeline;

/// <summary>Reads a value's text into <typeparamref name="T"/>; false when it does not parse.</summary>
/// <typeparam name="T">The handler parameter's type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate bool TextParser<T>(string text, out T value);

/// <summary>The handler's route, query and header values.</summary>
/// <remarks>
/// Read from the request, parsed with the invariant culture (as minimal APIs do), and refused in the client's terms
/// when missing or malformed — a 400 in the route's wire format naming the value and what it must be. It has no span
/// of its own: the generated pipeline calls it inside <c>proxy_pre_call</c>. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ParameterStage
{
    /// <summary>The route value of that name (as routing matched it), or null.</summary>
    public static string? RouteValue(LlmCall call, string name) =>
        call.HttpContext.Request.RouteValues.TryGetValue(name, out var value)
            ? value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>
    /// The query parameter of that name, its values joined by commas when there are several; null when it is absent.
    /// </summary>
    public static string? Query(LlmCall call, string name) => Text(call.HttpContext.Request.Query[name]);

    /// <summary>
    /// The header of that name, its values joined by commas when there are several; null when it is absent.
    /// </summary>
    public static string? Header(LlmCall call, string name) => Text(call.HttpContext.Request.Headers[name]);

    /// <summary>Every value of the query parameter (none when it is absent).</summary>
    public static StringValues QueryValues(LlmCall call, string name) => call.HttpContext.Request.Query[name];

    /// <summary>Every value of the header (none when it is absent).</summary>
    public static StringValues HeaderValues(LlmCall call, string name) => call.HttpContext.Request.Headers[name];

    /// <summary>The values as an array of strings (empty when there are none).</summary>
    public static string[] Array(StringValues values)
    {
        var array = new string[values.Count];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = values[i] ?? string.Empty;
        }

        return array;
    }

    /// <summary>
    /// The value; a 400 naming <paramref name="what"/> (<c>query parameter 'api-version'</c>) when it is missing.
    /// </summary>
    public static string Required(string? text, string what) =>
        text ?? throw new InvalidLlmRequestException($"The {what} is required.");

    /// <summary>The value parsed; a 400 when it is missing or does not parse.</summary>
    public static T Parse<T>(string? text, string what, TextParser<T> parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        return parser(Required(text, what), out var value) ? value : throw Malformed<T>(what);
    }

    /// <summary>
    /// The value parsed, or <paramref name="fallback"/> when it is missing; a 400 when it does not parse.
    /// </summary>
    public static T ParseOr<T>(string? text, string what, TextParser<T> parser, T fallback)
    {
        ArgumentNullException.ThrowIfNull(parser);
        return text is null ? fallback : parser(text, out var value) ? value : throw Malformed<T>(what);
    }

    /// <summary>The value parsed, or null when it is missing; a 400 when it does not parse.</summary>
    public static T? ParseNullable<T>(string? text, string what, TextParser<T> parser)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(parser);
        return text is null ? null : parser(text, out var value) ? value : throw Malformed<T>(what);
    }

    /// <summary>The value parsed, or null when it is missing; a 400 when it does not parse.</summary>
    public static T? ParseOrNull<T>(string? text, string what, TextParser<T> parser)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(parser);
        return text is null ? null : parser(text, out var value) ? value : throw Malformed<T>(what);
    }

    /// <summary>
    /// The parser of a type that implements <see cref="IParsable{TSelf}"/>, with the invariant culture.
    /// </summary>
    public static TextParser<T> Parsable<T>()
        where T : IParsable<T> => ParsableParser<T>.Instance;

    /// <summary>The parser of an enum: a member's name in any case, or its number.</summary>
    public static TextParser<T> Enum<T>()
        where T : struct, Enum => EnumParser<T>.Instance;

    private static string? Text(StringValues values) => values.Count == 0 ? null : values.ToString();

    /// <summary>
    /// The client's mistake in its terms: the value's name and the form it must take, never the handler's C# type.
    /// </summary>
    private static InvalidLlmRequestException Malformed<T>(string what) =>
        new(Expected(typeof(T)) is { } expected
            ? $"The {what} must be {expected}."
            : $"The {what} is not in the form this route accepts.");

    private static string? Expected(Type type)
    {
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", System.Enum.GetNames(type));
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type == typeof(Guid))
        {
            return "a UUID";
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly))
        {
            return "a date (ISO 8601)";
        }

        if (type == typeof(TimeSpan) || type == typeof(TimeOnly))
        {
            return "a time (ISO 8601)";
        }

        return Type.GetTypeCode(type) switch
        {
            >= TypeCode.SByte and <= TypeCode.UInt64 => "an integer",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.Char => "one character",
            _ => null,
        };
    }

    private static class ParsableParser<T>
        where T : IParsable<T>
    {
        public static readonly TextParser<T> Instance = static (string text, out T value) =>
            T.TryParse(text, CultureInfo.InvariantCulture, out value!);
    }

    private static class EnumParser<T>
        where T : struct, Enum
    {
        public static readonly TextParser<T> Instance = static (string text, out T value) =>
            System.Enum.TryParse(text, ignoreCase: true, out value);
    }
}
