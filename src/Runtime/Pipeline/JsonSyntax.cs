using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TracedLlm.Pipeline;

/// <summary>Says where a body that is not JSON goes wrong, in the client's terms.</summary>
/// <remarks>
/// The JSON path of the place (<c>$.messages[1].content</c>), its line and column, what JSON allows there and what the
/// body has instead — never System.Text.Json's own message, whose reader positions ("LineNumber: 0 |
/// BytePositionInLine: 14") describe the parser, not the request. The body is read again only when it has already
/// failed, so the cost is on the error path alone.
/// </remarks>
internal static class JsonSyntax
{
    private const int MaxPathLength = 200;
    private const int MaxNameLength = 64;

    /// <summary>The message of a body that is not valid JSON text.</summary>
    public static string Describe(ReadOnlySpan<byte> body)
    {
        var frames = new List<Frame>();
        var last = JsonTokenType.None;
        var lastEnd = 0L;
        var reader = new Utf8JsonReader(body, EnvelopeReader.ReaderOptions);
        long? line = null, column = null;
        try
        {
            while (reader.Read())
            {
                Track(ref reader, frames);
                last = reader.TokenType;
                lastEnd = reader.BytesConsumed;
            }
        }
        catch (JsonException failure)
        {
            (line, column) = (failure.LineNumber, failure.BytePositionInLine);
        }

        if (line is null || column is null)
        {
            return "The request body is not valid JSON.";
        }

        // Where the reader gave up may be inside a token ("tru", an unclosed string): the place to
        // show is where that token starts, after the last whole token and its ',' or ':'.
        var at = Math.Min(Offset(body, line.Value, column.Value), NextToken(body, (int)lastEnd));
        var (atLine, atColumn) = LineAndColumn(body, at);
        var where = $"{Path(frames, last, Previous(body, at))} (line {atLine}, column {atColumn})";
        if (frames.Count >= EnvelopeReader.ReaderOptions.MaxDepth)
        {
            return $"The request body is not valid JSON at {where}: it is nested deeper than "
                + $"{EnvelopeReader.ReaderOptions.MaxDepth} levels.";
        }

        var expected = Expected(frames, last, Previous(body, at));
        return $"The request body is not valid JSON at {where}: expected {expected}, "
            + $"found {Found(body, at, expected)}.";
    }

    /// <summary>Keeps the path of the token the reader is on: containers, property names, array indexes.</summary>
    private static void Track(ref Utf8JsonReader reader, List<Frame> frames)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                frames[^1] = frames[^1] with { Property = Name(ref reader) };
                return;
            case JsonTokenType.EndObject or JsonTokenType.EndArray:
                frames.RemoveAt(frames.Count - 1);
                return;
        }

        // A value: in an array it is the next element.
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }

        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, -1, null));
        }
    }

    private static string Name(ref Utf8JsonReader reader)
    {
        try
        {
            var name = reader.GetString() ?? string.Empty;
            return name.Length <= MaxNameLength ? name : string.Concat(name.AsSpan(0, MaxNameLength), "…");
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    /// <summary>
    /// The path of the place that failed: each container's property or element, and in the
    /// innermost one the property whose value failed, or the element about to be read.
    /// </summary>
    private static string Path(List<Frame> frames, JsonTokenType last, byte previous)
    {
        var path = new StringBuilder("$");
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            var innermost = i == frames.Count - 1;
            if (frame.IsArray)
            {
                var index = innermost && (last == JsonTokenType.StartArray || previous == (byte)',')
                    ? frame.Index + 1
                    : frame.Index;
                if (index >= 0)
                {
                    path.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                }
            }
            else if (frame.Property is { } property && (!innermost || last == JsonTokenType.PropertyName))
            {
                path.Append(IsIdentifier(property)
                    ? "." + property
                    : "['" + property.Replace("'", "\\'", StringComparison.Ordinal) + "']");
            }
        }

        return path.Length <= MaxPathLength
            ? path.ToString()
            : string.Concat(path.ToString().AsSpan(0, MaxPathLength), "…");
    }

    /// <summary>What JSON allows after the last token read (and the punctuation after it).</summary>
    private static string Expected(List<Frame> frames, JsonTokenType last, byte previous)
    {
        if (frames.Count == 0)
        {
            return last == JsonTokenType.None ? "a JSON object" : "the end of the body";
        }

        if (!frames[^1].IsArray)
        {
            return last switch
            {
                JsonTokenType.PropertyName => previous == (byte)':' ? "a value" : "':' after the property name",
                JsonTokenType.StartObject => "a property name in double quotes, or '}'",
                _ => previous == (byte)',' ? "a property name in double quotes" : "',' or '}'",
            };
        }

        return last == JsonTokenType.StartArray ? "a value, or ']'" : previous == (byte)',' ? "a value" : "',' or ']'";
    }

    /// <summary>
    /// What the body has at the failing place, shown safely (a bounded snippet, never raw control bytes).
    /// </summary>
    private static string Found(ReadOnlySpan<byte> body, int at, string expected)
    {
        if (at >= body.Length)
        {
            return "the end of the body";
        }

        var first = body[at];
        if (first == (byte)'"' && expected.Contains("a value", StringComparison.Ordinal))
        {
            return "a string that is not closed, or has an escape JSON does not allow";
        }

        if (expected.Contains("value", StringComparison.Ordinal)
            && (char.IsAsciiLetterOrDigit((char)first) || first == (byte)'-'))
        {
            // A literal or number that is not one: show the word, bounded.
            var end = at;
            while (end < body.Length
                && end - at < 24
                && (char.IsAsciiLetterOrDigit((char)body[end]) || body[end] is (byte)'.' or (byte)'-' or (byte)'+'))
            {
                end++;
            }

            return $"'{Encoding.ASCII.GetString(body[at..end])}', which is not a JSON value";
        }

        return System.Text.Rune.DecodeFromUtf8(body[at..], out var rune, out _) == System.Buffers.OperationStatus.Done
            && !System.Text.Rune.IsControl(rune) && !System.Text.Rune.IsWhiteSpace(rune)
            ? $"'{rune}'"
            : "a character JSON does not allow there";
    }

    /// <summary>
    /// The byte offset of a zero-based line and byte position in it (lines end with '\n', as the reader counts them).
    /// </summary>
    private static int Offset(ReadOnlySpan<byte> body, long line, long column)
    {
        var start = 0;
        for (var l = 0L; l < line; l++)
        {
            var newline = body[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            start += newline + 1;
        }

        return (int)Math.Min(body.Length, start + column);
    }

    /// <summary>
    /// Where the next token starts after <paramref name="from"/>: past white space and one ',' or ':'.
    /// </summary>
    private static int NextToken(ReadOnlySpan<byte> body, int from)
    {
        var at = SkipWhiteSpace(body, from);
        return at < body.Length && body[at] is (byte)',' or (byte)':' ? SkipWhiteSpace(body, at + 1) : at;
    }

    private static int SkipWhiteSpace(ReadOnlySpan<byte> body, int at)
    {
        while (at < body.Length && body[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            at++;
        }

        return at;
    }

    /// <summary>The one-based line and column of a byte offset, as an editor shows them.</summary>
    private static (int Line, int Column) LineAndColumn(ReadOnlySpan<byte> body, int at)
    {
        var before = body[..Math.Min(at, body.Length)];
        var line = before.Count((byte)'\n') + 1;
        return (line, at - (before.LastIndexOf((byte)'\n') + 1) + 1);
    }

    /// <summary>The last byte before <paramref name="at"/> that is not white space (0 when there is none).</summary>
    private static byte Previous(ReadOnlySpan<byte> body, int at)
    {
        for (var i = Math.Min(at, body.Length) - 1; i >= 0; i--)
        {
            if (body[i] is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
            {
                return body[i];
            }
        }

        return 0;
    }

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// One open container: an array with the index of its last element, or an object with its current property.
    /// </summary>
    private readonly record struct Frame(bool IsArray, int Index, string? Property);
}
