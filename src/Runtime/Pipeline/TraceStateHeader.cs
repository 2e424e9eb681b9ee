using System;
using System.Text;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// A caller's W3C <c>tracestate</c> as the joined trace keeps it: every span of the request carries
/// it and each upstream attempt sends it on, so it is read as W3C Trace Context (Level 1, "tracestate
/// Header Field Values") says: at most 32 list members, each a key and a value of the grammar's
/// characters and lengths, no key twice; anything else is not a tracestate and none is kept. What is
/// kept is at most 512 characters, the combined length the specification asks vendors to pass on,
/// cut as it says ("tracestate Limits"): members longer than 128 characters go first, then members
/// from the end. Without it a client's 30 KB header was copied onto each of the request's spans.
/// </summary>
internal static class TraceStateHeader
{
    /// <summary>The most characters kept (members and the commas between them).</summary>
    internal const int MaxLength = 512;

    /// <summary>The most list members a tracestate may have.</summary>
    internal const int MaxMembers = 32;

    // A member longer than this is the first to go when the whole is too long.
    private const int LongMember = 128;

    /// <summary>
    /// The tracestate to keep from <paramref name="header"/>: the same string when it is valid and
    /// within <see cref="MaxLength"/>, its members (no optional white space) cut to it otherwise, null
    /// when it has no member. False when it is not a valid tracestate (nothing is kept).
    /// </summary>
    public static bool TryRead(string header, out string? traceState)
    {
        traceState = null;
        Span<Range> members = stackalloc Range[MaxMembers];
        var count = 0;
        var length = -1;
        var text = header.AsSpan();
        foreach (var part in text.Split(','))
        {
            var member = Trim(text, part);
            if (member.Start.Value == member.End.Value)
            {
                // Empty members are allowed (and not kept).
                continue;
            }

            if (count == MaxMembers || !IsMember(text[member], out var key))
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                var other = text[members[i]];
                if (other.StartsWith(key) && other[key.Length] == '=')
                {
                    return false;
                }
            }

            members[count++] = member;
            length += member.End.Value - member.Start.Value + 1;
        }

        if (count == 0)
        {
            return true;
        }

        if (length == header.Length && length <= MaxLength)
        {
            // Valid, within the length, and written without optional white space: kept as it came.
            traceState = header;
            return true;
        }

        Span<bool> kept = stackalloc bool[count];
        kept.Fill(true);
        Drop(text, members[..count], kept, ref length, onlyLong: true);
        Drop(text, members[..count], kept, ref length, onlyLong: false);
        var built = new StringBuilder(Math.Max(length, 0));
        for (var i = 0; i < count; i++)
        {
            if (kept[i])
            {
                (built.Length > 0 ? built.Append(',') : built).Append(text[members[i]]);
            }
        }

        traceState = built.Length > 0 ? built.ToString() : null;
        return true;
    }

    // Drops members from the end (the long ones only, first) until the rest fits; each drop counted.
    private static void Drop(ReadOnlySpan<char> text, ReadOnlySpan<Range> members, Span<bool> kept, ref int length, bool onlyLong)
    {
        for (var i = members.Length - 1; i >= 0 && length > MaxLength; i--)
        {
            var memberLength = members[i].End.Value - members[i].Start.Value;
            if (kept[i] && (!onlyLong || memberLength > LongMember))
            {
                kept[i] = false;
                length -= memberLength + 1;
                TelemetryText.Count(TelemetryText.Reasons.Truncated);
            }
        }
    }

    private static Range Trim(ReadOnlySpan<char> text, Range part)
    {
        var (start, end) = (part.Start.Value, part.End.Value);
        while (start < end && text[start] is ' ' or '\t')
        {
            start++;
        }

        while (end > start && text[end - 1] is ' ' or '\t')
        {
            end--;
        }

        return start..end;
    }

    // key "=" value, as the grammar has them.
    private static bool IsMember(ReadOnlySpan<char> member, out ReadOnlySpan<char> key)
    {
        var equals = member.IndexOf('=');
        key = equals > 0 ? member[..equals] : default;
        return equals > 0 && IsKey(key) && IsValue(member[(equals + 1)..]);
    }

    // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" ), a digit first taken too (the
    // specification's note: "Identifiers MUST begin with a lowercase letter or a digit", as OpenTelemetry reads it);
    // multi-tenant-key = tenant-id "@" system-id, tenant-id = ( lcalpha / DIGIT ) 0*240( ... ), system-id = lcalpha 0*13( ... )
    private static bool IsKey(ReadOnlySpan<char> key)
    {
        var at = key.IndexOf('@');
        if (at < 0)
        {
            return key.Length <= 256 && IsKeyStart(key[0]) && IsKeyTail(key[1..]);
        }

        var tenant = key[..at];
        var system = key[(at + 1)..];
        return tenant.Length is >= 1 and <= 241 && IsKeyStart(tenant[0]) && IsKeyTail(tenant[1..])
            && system.Length is >= 1 and <= 14 && char.IsAsciiLetterLower(system[0]) && IsKeyTail(system[1..]);
    }

    private static bool IsKeyStart(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    private static bool IsKeyTail(ReadOnlySpan<char> rest)
    {
        foreach (var c in rest)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '*' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    // value = 0*255( chr ) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr
    private static bool IsValue(ReadOnlySpan<char> value)
    {
        if (value.Length is 0 or > 256 || value[^1] == ' ')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or ',' or '=')
            {
                return false;
            }
        }

        return true;
    }
}
