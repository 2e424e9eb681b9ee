using System;

namespace TracedLlm.Telemetry;

/// <summary>
/// Environment names folded as Langfuse's ingestion folds them (<c>PublicEnvironmentName</c> in langfuse/langfuse
/// <c>packages/shared/src/server/ingestion/types.ts</c>, applied by <c>OtelIngestionProcessor.extractEnvironment</c>):
/// lowered.
/// </summary>
/// <remarks>
/// Every leading <c>langfuse</c> prefix, with an optional <c>-</c> or <c>_</c> after it, stripped (the namespace is
/// Langfuse's own); cut at 40 characters; and <see cref="Fallback"/> when nothing is left or a character outside
/// <c>[a-z0-9-_]</c> remains. Recorded folded, the span says what Langfuse will show. A name already in shape is
/// returned as it is (no allocation on the request path).
/// </remarks>
internal static class LangfuseEnvironments
{
    /// <summary>The longest environment name Langfuse keeps.</summary>
    public const int MaxLength = 40;

    /// <summary>Langfuse's environment for a name it does not keep (<c>DEFAULT_TRACE_ENVIRONMENT</c>).</summary>
    public const string Fallback = "default";

    private const string ReservedPrefix = "langfuse";

    /// <summary>The name as Langfuse records it; the same instance when it needs no folding.</summary>
    public static string Fold(string name)
    {
        if (IsValid(name))
        {
            return name;
        }

        var folded = name.ToLowerInvariant().AsSpan();
        while (folded.StartsWith(ReservedPrefix, StringComparison.Ordinal))
        {
            folded = folded[ReservedPrefix.Length..];
            if (folded.Length > 0 && folded[0] is '-' or '_')
            {
                folded = folded[1..];
            }
        }

        if (folded.Length > MaxLength)
        {
            folded = folded[..MaxLength];
        }

        foreach (var c in folded)
        {
            if (!IsAllowed(c))
            {
                return Fallback;
            }
        }

        return folded.Length == 0 ? Fallback : folded.ToString();
    }

    /// <summary>True when Langfuse records the name as it is.</summary>
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
