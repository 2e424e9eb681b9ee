using Microsoft.Extensions.AI;

namespace TracedLlm;

/// <summary>
/// Reads Microsoft.Extensions.AI's <see cref="UsageDetails"/> as the <see cref="LlmUsage"/> a call records.
/// </summary>
public static class UsageDetailsExtensions
{
    /// <summary>
    /// The key under which the official Anthropic SDK's <see cref="IChatClient"/> states its cache writes
    /// in <see cref="UsageDetails.AdditionalCounts"/> (counted within <see cref="UsageDetails.InputTokenCount"/>).
    /// </summary>
    public const string CacheCreationInputTokensKey = "CacheCreationInputTokens";

    /// <summary><paramref name="usage"/> as a call's usage.</summary>
    /// <remarks>
    /// Its input (cached and written ones within, as M.E.AI and the GenAI conventions count them), its output
    /// (reasoning within), the cache reads, the reasoning, and the cache writes an adapter states under
    /// <see cref="CacheCreationInputTokensKey"/>. No adapter states the writes' lifetimes (Anthropic's one-hour and
    /// five-minute split), so they are writes of no stated lifetime. Null when the input or output is not stated or not
    /// a count (the adapters pass a provider's numbers on unchecked); a part below zero is left out.
    /// </remarks>
    public static LlmUsage? ToLlmUsage(this UsageDetails? usage)
    {
        if (usage is null
            || Count(usage.InputTokenCount) is not { } input
            || Count(usage.OutputTokenCount) is not { } output)
        {
            return null;
        }

        long? written =
            usage.AdditionalCounts is { } counts && counts.TryGetValue(CacheCreationInputTokensKey, out var stated)
                ? stated
                : null;
        return new LlmUsage(input, output)
        {
            CacheReadInputTokens = Count(usage.CachedInputTokenCount),
            CacheCreationInputTokens = Count(written),
            ReasoningOutputTokens = Count(usage.ReasoningTokenCount),
        };
    }

    /// <summary>A count as the provider stated it, or null when it is below zero.</summary>
    /// <remarks>
    /// The adapters pass the provider's numbers on unchecked (and streamed parts are added up unchecked), and a count
    /// that is not one is not recorded rather than failing the call that answered.
    /// </remarks>
    internal static long? Count(long? tokens) => tokens is >= 0 ? tokens : null;
}
