using System;

namespace TracedLlm.Telemetry;

/// <summary>
/// Environment names as Langfuse accepts them: <c>^(?!langfuse)[a-z0-9-_]+$</c>, at most 40
/// characters (its ingestion refuses others, so a raw name loses the trace's environment). A name
/// is folded: upper case lowered, any other character made <c>-</c>, cut at 40; an empty name, or
/// one in Langfuse's reserved <c>langfuse</c> prefix, becomes <see cref="Fallback"/>. A name already
/// in shape is returned as it is (no allocation on the request path).
/// </summary>
internal static class LangfuseEnvironments
{
    /// <summary>The longest environment name Langfuse keeps.</summary>
    public const int MaxLength = 40;

    /// <summary>Langfuse's own name for an environment not given.</summary>
    public const string Fallback = "default";

    private const string ReservedPrefix = "langfuse";

    /// <summary>The name as Langfuse accepts it; the same instance when it already does.</summary>
    public static string Fold(string name)
    {
        if (IsValid(name))
        {
            return name;
        }

        var length = Math.Min(name.Length, MaxLength);
        var folded = string.Create(length, name, static (chars, source) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                var c = char.ToLowerInvariant(source[i]);
                chars[i] = IsAllowed(c) ? c : '-';
            }
        });
        return folded.Length == 0 || folded.StartsWith(ReservedPrefix, StringComparison.Ordinal) ? Fallback : folded;
    }

    /// <summary>True when Langfuse accepts the name as it is.</summary>
    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || name.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsAllowed(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAllowed(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
}
