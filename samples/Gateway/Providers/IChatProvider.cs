using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>An LLM provider the gateway calls upstream.</summary>
public interface IChatProvider
{
    /// <summary>The <c>gen_ai.provider.name</c> recorded on the LLM span.</summary>
    string Name { get; }

    /// <summary>Completes a conversation.</summary>
    Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmCall call, CancellationToken cancellationToken);
}

/// <summary>What the gateway asks a provider, whatever the route's wire shape.</summary>
/// <param name="Model">The model.</param>
/// <param name="Messages">The conversation.</param>
/// <param name="MaxTokens">The output limit, if any.</param>
/// <param name="ForwardBody">The client's body (the metadata slot removed) when it is already in the provider's shape; else null.</param>
public sealed record ProviderRequest(string Model, IReadOnlyList<PromptMessage> Messages, int? MaxTokens, System.ReadOnlyMemory<byte>? ForwardBody);

/// <summary>A provider's answer.</summary>
public sealed record ProviderReply(string Id, string Model, string Text, string FinishReason, long InputTokens, long OutputTokens);
