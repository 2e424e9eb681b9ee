using System;

namespace TracedLlm.Reading;

/// <summary>
/// A provider's service tier as the span records it: OpenAI's <c>service_tier</c> (<c>auto</c>,
/// <c>default</c>, <c>flex</c>, <c>priority</c>, <c>scale</c>) and Anthropic's (<c>auto</c>,
/// <c>standard_only</c>; answered as <c>standard</c>, <c>priority</c>, <c>batch</c>). A tier is a short
/// token; a value that is not one (too long, other characters, not a string) is dropped, never an error,
/// since a client or an upstream may send anything there.
/// </summary>
internal static class ServiceTier
{
    /// <summary>The longest tier kept: every tier named by OpenAI and Anthropic is under 16 characters.</summary>
    public const int MaxLength = 32;

    /// <summary>
    /// Whether <paramref name="value"/> is a tier: 1 to <see cref="MaxLength"/> ASCII letters, digits, <c>_</c>,
    /// <c>-</c> or <c>.</c>.
    /// </summary>
    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!IsTokenCharacter(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc cref="IsToken(ReadOnlySpan{char})"/>
    public static bool IsToken(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > MaxLength)
        {
            return false;
        }

        foreach (var b in utf8)
        {
            if (!IsTokenCharacter((char)b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><paramref name="value"/> when it is a tier, else null.</summary>
    public static string? OrNull(string? value) => value is not null && IsToken(value) ? value : null;

    private static bool IsTokenCharacter(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.';
}
