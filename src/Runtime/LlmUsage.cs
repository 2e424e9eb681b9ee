using System;

namespace TracedLlm;

/// <summary>
/// The tokens one generation used, as the GenAI conventions count them: <see cref="InputTokens"/>
/// includes the input read from or written to the provider's cache, and <see cref="OutputTokens"/>
/// includes the reasoning tokens. OpenAI reports its counts that way; Anthropic reports cache reads
/// and writes apart from <c>input_tokens</c>, so make its usage with <see cref="FromAnthropic"/>.
/// Record it with <see cref="LlmCall.RecordUsage(LlmUsage)"/>.
/// </summary>
public readonly struct LlmUsage
{
    /// <summary>A usage of <paramref name="inputTokens"/> (cached ones included) and <paramref name="outputTokens"/> (reasoning included).</summary>
    public LlmUsage(long inputTokens, long outputTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
    }

    /// <summary>All input tokens, cached ones included (<c>gen_ai.usage.input_tokens</c>).</summary>
    public long InputTokens { get; }

    /// <summary>All output tokens, reasoning included (<c>gen_ai.usage.output_tokens</c>).</summary>
    public long OutputTokens { get; }

    /// <summary>Input tokens served from the provider's cache (<c>gen_ai.usage.cache_read.input_tokens</c>), when it said.</summary>
    public long? CacheReadInputTokens { get; init; }

    /// <summary>Input tokens written to the provider's cache (<c>gen_ai.usage.cache_creation.input_tokens</c>), when it said.</summary>
    public long? CacheCreationInputTokens { get; init; }

    /// <summary>Output tokens the model spent reasoning (<c>gen_ai.usage.reasoning.output_tokens</c>), when it said.</summary>
    public long? ReasoningOutputTokens { get; init; }

    /// <summary>True when the provider stated a cache or reasoning count.</summary>
    public bool HasDetails => CacheReadInputTokens is not null || CacheCreationInputTokens is not null || ReasoningOutputTokens is not null;

    /// <summary>The input tokens neither read from nor written to the cache (never below zero).</summary>
    public long UncachedInputTokens => Math.Max(InputTokens - Sum(CacheReadInputTokens ?? 0, CacheCreationInputTokens ?? 0), 0);

    /// <summary>The output tokens that were not reasoning (never below zero).</summary>
    public long NonReasoningOutputTokens => Math.Max(OutputTokens - (ReasoningOutputTokens ?? 0), 0);

    /// <summary>
    /// Anthropic's usage: its <c>input_tokens</c> leave out <c>cache_read_input_tokens</c> and
    /// <c>cache_creation_input_tokens</c>, which are added here so that <see cref="InputTokens"/> counts them
    /// (at most <see cref="long.MaxValue"/>: counts too large to add up stay at the largest, never wrap).
    /// </summary>
    public static LlmUsage FromAnthropic(long inputTokens, long outputTokens, long? cacheReadInputTokens, long? cacheCreationInputTokens) =>
        new(Sum(Sum(inputTokens, cacheReadInputTokens ?? 0), cacheCreationInputTokens ?? 0), outputTokens)
        {
            CacheReadInputTokens = cacheReadInputTokens,
            CacheCreationInputTokens = cacheCreationInputTokens,
        };

    // Counts of zero or more added without wrapping: an upstream's usage is not checked for size, and a
    // sum past long.MaxValue was negative (the constructor threw, and the relayed answer was cut off).
    private static long Sum(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;
}
