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
public sealed record ProviderReply(string Id, string Model, string Text, string FinishReason, long InputTokens, long OutputTokens, long? CachedInputTokens = null, long? ReasoningOutputTokens = null)
{
    /// <summary>The usage as the call records it: cached input within the input, reasoning within the output, as OpenAI counts them.</summary>
    public LlmUsage Usage => new(InputTokens, OutputTokens) { CacheReadInputTokens = CachedInputTokens, ReasoningOutputTokens = ReasoningOutputTokens };
}

/// <summary>A piece of a streamed answer; the last one has <see cref="FinishReason"/> and the usage.</summary>
public sealed record ProviderDelta(string Id, string Model, string Text, string? FinishReason = null, long? InputTokens = null, long? OutputTokens = null);
