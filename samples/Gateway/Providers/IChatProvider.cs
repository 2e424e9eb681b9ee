using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>An LLM provider the gateway calls upstream, one attempt at a time.</summary>
public interface IChatProvider
{
    /// <summary>The <c>gen_ai.provider.name</c> of its attempts.</summary>
    string Name { get; }

    /// <summary>Completes a conversation within one attempt.</summary>
    Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Streams a completion within one attempt; the last delta carries the finish reason and usage.</summary>
    IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken);
}

/// <summary>What the gateway asks a provider, whatever the route's wire shape.</summary>
/// <param name="Model">The model.</param>
/// <param name="Messages">The conversation.</param>
/// <param name="MaxTokens">The output limit, if any.</param>
/// <param name="ForwardBody">The client's body (the metadata slot removed) when it is already in the provider's shape; else null.</param>
public sealed record ProviderRequest(string Model, IReadOnlyList<PromptMessage> Messages, int? MaxTokens, System.ReadOnlyMemory<byte>? ForwardBody);

/// <summary>A provider's answer.</summary>
public sealed record ProviderReply(string Id, string Model, string Text, string FinishReason, long InputTokens, long OutputTokens, long? CachedInputTokens = null, long? ReasoningOutputTokens = null, long? CacheCreationInputTokens = null)
{
    /// <summary>
    /// The usage as the call records it: cached input (read or written) within the input, reasoning within the
    /// output, as OpenAI and the conventions count them.
    /// </summary>
    public LlmUsage Usage => ProviderUsage.Of(InputTokens, OutputTokens, CachedInputTokens, ReasoningOutputTokens, CacheCreationInputTokens);
}

/// <summary>
/// A piece of a streamed answer; the last one has <see cref="FinishReason"/> and the usage: the input and
/// output counts, and the cached (read or written) parts of the input and the reasoning part of the output when the
/// provider stated them.
/// </summary>
public sealed record ProviderDelta(string Id, string Model, string Text, string? FinishReason = null, long? InputTokens = null, long? OutputTokens = null, long? CachedInputTokens = null, long? ReasoningOutputTokens = null, long? CacheCreationInputTokens = null)
{
    /// <summary>The usage as the call records it (on the last delta), counted as <see cref="ProviderReply.Usage"/> is.</summary>
    public LlmUsage Usage => ProviderUsage.Of(InputTokens ?? 0, OutputTokens ?? 0, CachedInputTokens, ReasoningOutputTokens, CacheCreationInputTokens);
}

/// <summary>
/// A provider's token counts, checked once where they are read and written the same way into the call's usage
/// and each wire answer: a cached or reasoning part is kept only when it is a count within its total (an
/// upstream's -7 or a part larger than the whole is no count, and is dropped, not passed on or priced).
/// </summary>
public static class ProviderUsage
{
    /// <summary><paramref name="part"/> when it is a count within <paramref name="total"/> (any count when the total is not known); else null.</summary>
    public static long? Part(long? part, long? total) => part is >= 0 && (total is null || part <= total) ? part : null;

    /// <summary>
    /// The usage the call records: cached input (read, and written when the provider says) within the input,
    /// reasoning within the output, as OpenAI and the conventions count them.
    /// </summary>
    public static LlmUsage Of(long input, long output, long? cached, long? reasoning, long? written = null) => new(input, output)
    {
        CacheReadInputTokens = Part(cached, input),
        CacheCreationInputTokens = Part(written, input - (Part(cached, input) ?? 0)),
        ReasoningOutputTokens = Part(reasoning, output),
    };

    /// <summary>The usage in OpenAI's chat completion shape.</summary>
    public static ChatUsage Chat(long input, long output, long? cached, long? reasoning) => new()
    {
        PromptTokens = input,
        CompletionTokens = output,
        TotalTokens = input + output,
        PromptTokensDetails = Part(cached, input) is { } read ? new ChatTokenDetails { CachedTokens = read } : null,
        CompletionTokensDetails = Part(reasoning, output) is { } reasoned ? new ChatTokenDetails { ReasoningTokens = reasoned } : null,
    };

    /// <summary>The usage in Anthropic's shape, whose <c>input_tokens</c> leave out what was read from or written to the cache.</summary>
    public static AnthropicUsage Anthropic(long input, long output, long? cached, long? written = null)
    {
        var usage = Of(input, output, cached, reasoning: null, written);
        return new AnthropicUsage
        {
            InputTokens = input - (usage.CacheReadInputTokens ?? 0) - (usage.CacheCreationInputTokens ?? 0),
            OutputTokens = output,
            CacheReadInputTokens = usage.CacheReadInputTokens,
            CacheCreationInputTokens = usage.CacheCreationInputTokens,
        };
    }
}
