using System;

namespace TracedLlm;

/// <summary>
/// The tokens one generation used, as the GenAI conventions count them: <see cref="InputTokens"/>
/// includes the input read from or written to the provider's cache, and <see cref="OutputTokens"/>
/// includes the reasoning tokens. OpenAI reports its counts that way; Anthropic reports cache reads
/// and writes apart from <c>input_tokens</c>, so make its usage with
/// <see cref="FromAnthropic(long, long, long?, long?, long?, long?)"/>. Record it with
/// <see cref="LlmCall.RecordUsage(LlmUsage)"/>.
/// </summary>
public readonly struct LlmUsage
{
    /// <summary>
    /// A usage of <paramref name="inputTokens"/> (cached ones included) and <paramref name="outputTokens"/> (reasoning
    /// included).
    /// </summary>
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

    /// <summary>
    /// Input tokens served from the provider's cache (<c>gen_ai.usage.cache_read.input_tokens</c>), when it said.
    /// </summary>
    public long? CacheReadInputTokens { get; init; }

    /// <summary>
    /// Input tokens written to the provider's cache (<c>gen_ai.usage.cache_creation.input_tokens</c>), when it said.
    /// </summary>
    public long? CacheCreationInputTokens { get; init; }

    /// <summary>
    /// The part of <see cref="CacheCreationInputTokens"/> written to a one-hour cache, when the provider
    /// said (Anthropic's <c>cache_creation.ephemeral_1h_input_tokens</c>; such a write costs more than a
    /// five-minute one). Read back as a part of the writes: never more than <see cref="CacheCreationInputTokens"/>
    /// (a larger count is read as all of them), and null when the writes are not stated or the count is below zero.
    /// </summary>
    public long? CacheCreation1hInputTokens
    {
        get => Part(_cacheCreation1h, CacheCreationInputTokens);
        init => _cacheCreation1h = value;
    }

    /// <summary>
    /// The part of <see cref="CacheCreationInputTokens"/> written to a five-minute cache, when the provider
    /// said (Anthropic's <c>cache_creation.ephemeral_5m_input_tokens</c>). Read back as a part of the writes
    /// the one-hour part leaves: never more than those, and null when the writes are not stated or the count is below
    /// zero.
    /// </summary>
    public long? CacheCreation5mInputTokens
    {
        get => Part(_cacheCreation5m, CacheCreationInputTokens - (CacheCreation1hInputTokens ?? 0));
        init => _cacheCreation5m = value;
    }

    private readonly long? _cacheCreation1h;
    private readonly long? _cacheCreation5m;

    /// <summary>
    /// Output tokens the model spent reasoning (<c>gen_ai.usage.reasoning.output_tokens</c>), when it said.
    /// </summary>
    public long? ReasoningOutputTokens { get; init; }

    /// <summary>True when the provider stated a cache or reasoning count.</summary>
    public bool HasDetails =>
        CacheReadInputTokens is not null || CacheCreationInputTokens is not null || ReasoningOutputTokens is not null;

    /// <summary>The input tokens neither read from nor written to the cache (never below zero).</summary>
    public long UncachedInputTokens =>
        Math.Max(InputTokens - Sum(CacheReadInputTokens ?? 0, CacheCreationInputTokens ?? 0), 0);

    /// <summary>
    /// The cache writes neither part names (none when both are stated and add up to the writes): all of
    /// <see cref="CacheCreationInputTokens"/> when the provider did not split them by lifetime.
    /// </summary>
    internal long? OtherCacheCreationInputTokens => CacheCreationInputTokens is { } written
        ? Math.Max(written - (CacheCreation1hInputTokens ?? 0) - (CacheCreation5mInputTokens ?? 0), 0)
        : null;

    /// <summary>True when the provider split the cache writes by lifetime.</summary>
    internal bool HasCacheCreationSplit =>
        CacheCreation1hInputTokens is not null || CacheCreation5mInputTokens is not null;

    /// <summary>The output tokens that were not reasoning (never below zero).</summary>
    public long NonReasoningOutputTokens => Math.Max(OutputTokens - (ReasoningOutputTokens ?? 0), 0);

    /// <summary>Anthropic's usage, its cache reads and writes added to <see cref="InputTokens"/>.</summary>
    /// <remarks>
    /// Anthropic's <c>input_tokens</c> leave out <c>cache_read_input_tokens</c> and <c>cache_creation_input_tokens</c>,
    /// which are added here so that <see cref="InputTokens"/> counts them (at most <see cref="long.MaxValue"/>: counts
    /// too large to add up stay at the largest, never wrap).
    /// </remarks>
    public static LlmUsage FromAnthropic(
        long inputTokens,
        long outputTokens,
        long? cacheReadInputTokens,
        long? cacheCreationInputTokens) =>
        new(Sum(Sum(inputTokens, cacheReadInputTokens ?? 0), cacheCreationInputTokens ?? 0), outputTokens)
        {
            CacheReadInputTokens = cacheReadInputTokens,
            CacheCreationInputTokens = cacheCreationInputTokens,
        };

    /// <summary>
    /// As <see cref="FromAnthropic(long, long, long?, long?)"/>, with the cache writes split by lifetime as Anthropic's
    /// <c>usage.cache_creation</c> states them (<c>ephemeral_5m_input_tokens</c>, <c>ephemeral_1h_input_tokens</c>).
    /// </summary>
    /// <remarks>
    /// Parts of <paramref name="cacheCreationInputTokens"/>, which they neither add to nor exceed (see
    /// <see cref="CacheCreation1hInputTokens"/>).
    /// </remarks>
    public static LlmUsage FromAnthropic(
        long inputTokens,
        long outputTokens,
        long? cacheReadInputTokens,
        long? cacheCreationInputTokens,
        long? cacheCreation5mInputTokens,
        long? cacheCreation1hInputTokens) =>
        FromAnthropic(inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens) with
        {
            CacheCreation5mInputTokens = cacheCreation5mInputTokens,
            CacheCreation1hInputTokens = cacheCreation1hInputTokens,
        };

    // A provider's part of a count, read within what the count leaves: a part it overstates is all of it
    // (no negative remainder, no write priced twice), a negative one is no count at all.
    private static long? Part(long? part, long? whole) =>
        part is >= 0 && whole is { } total ? Math.Min(part.Value, Math.Max(total, 0)) : null;

    // Counts of zero or more added without wrapping: an upstream's usage is not checked for size, and a
    // sum past long.MaxValue was negative (the constructor threw, and the relayed answer was cut off).
    private static long Sum(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;
}
