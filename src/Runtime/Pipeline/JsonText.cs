using System;

namespace TracedLlm.Pipeline;

/// <summary>Checks on raw JSON text that the reader itself leaves to the moment a string is read.</summary>
internal static class JsonText
{
    /// <summary>
    /// The byte offset of the first <c>\u</c> escape that is half of a UTF-16 surrogate pair without
    /// its other half (<c>"\ud800"</c>), or -1. Such text is valid JSON syntax but not Unicode:
    /// <see cref="System.Text.Json.Utf8JsonReader.GetString"/> throws on it wherever it is read, so
    /// a body is checked once, as it arrives.
    /// </summary>
    public static int IndexOfLoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var from = 0;
        while (from < json.Length)
        {
            var found = json[from..].IndexOf("\\u"u8);
            if (found < 0)
            {
                return -1;
            }

            var at = from + found;
            if (IsEscapedBackslash(json, at) || !TryReadHex(json, at + 2, out var unit))
            {
                // "\\u" is a backslash then the letter u; bad hex is the reader's syntax error.
                from = at + 1;
                continue;
            }

            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return at;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                var next = at + 6;
                if (next + 1 < json.Length && json[next] == (byte)'\\' && json[next + 1] == (byte)'u'
                    && TryReadHex(json, next + 2, out var low) && low is >= 0xDC00 and <= 0xDFFF)
                {
                    from = next + 6;
                    continue;
                }

                return at;
            }

            from = at + 6;
        }

        return -1;
    }

    /// <summary>
    /// True when the backslash at <paramref name="at"/> is itself escaped (an odd number of backslashes before it).
    /// </summary>
    private static bool IsEscapedBackslash(ReadOnlySpan<byte> json, int at)
    {
        var backslashes = 0;
        for (var i = at - 1; i >= 0 && json[i] == (byte)'\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static bool TryReadHex(ReadOnlySpan<byte> json, int start, out int value)
    {
        value = 0;
        if (start + 4 > json.Length)
        {
            return false;
        }

        foreach (var b in json.Slice(start, 4))
        {
            var digit = JsonHex.Digit(b);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }
}
