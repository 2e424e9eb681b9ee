using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TracedLlm;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// A provider backed by any <see cref="IChatClient"/>. Each call goes through the attempt
/// (TracedLlm.Extensions.AI), which records the model, usage and finish reason from the response.
/// </summary>
public sealed class ChatClientProvider : IChatProvider
{
    private readonly IChatClient _client;

    /// <summary>Creates the provider.</summary>
    public ChatClientProvider(string name, IChatClient client)
    {
        Name = name;
        _client = client;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken) =>
        Reply(await attempt.GetResponseAsync(_client, Messages(request), Options(request), cancellationToken).ConfigureAwait(false), request.Model);

    /// <inheritdoc />
    public IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken) =>
        Deltas(attempt.GetStreamingResponseAsync(_client, Messages(request), Options(request), cancellationToken), request.Model, cancellationToken);

    /// <summary>Completes a conversation with the client itself, outside any attempt (the embedded upstream, which the relay's attempt calls over HTTP).</summary>
    public async Task<ProviderReply> CompleteDirectAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        Reply(await _client.GetResponseAsync(Messages(request), Options(request), cancellationToken).ConfigureAwait(false), request.Model);

    /// <summary>Streams a conversation from the client itself, outside any attempt.</summary>
    public IAsyncEnumerable<ProviderDelta> StreamDirectAsync(ProviderRequest request, CancellationToken cancellationToken) =>
        Deltas(_client.GetStreamingResponseAsync(Messages(request), Options(request), cancellationToken), request.Model, cancellationToken);

    private static ProviderReply Reply(ChatResponse response, string model) => new(
        response.ResponseId ?? "response",
        response.ModelId ?? model,
        response.Text,
        response.FinishReason?.Value ?? "stop",
        response.Usage?.InputTokenCount ?? 0,
        response.Usage?.OutputTokenCount ?? 0,
        response.Usage?.CachedInputTokenCount,
        response.Usage?.ReasoningTokenCount);

    private static async IAsyncEnumerable<ProviderDelta> Deltas(IAsyncEnumerable<ChatResponseUpdate> updates, string model, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details;
            yield return new ProviderDelta(
                update.ResponseId ?? "response",
                update.ModelId ?? model,
                update.Text,
                update.FinishReason?.Value,
                usage?.InputTokenCount,
                usage?.OutputTokenCount,
                usage?.CachedInputTokenCount,
                usage?.ReasoningTokenCount);
        }
    }

    private static List<AiChatMessage> Messages(ProviderRequest request) =>
        request.Messages.Select(m => new AiChatMessage(m.Role switch
        {
            "system" => ChatRole.System,
            "assistant" => ChatRole.Assistant,
            _ => ChatRole.User,
        }, m.Text)).ToList();

    private static ChatOptions Options(ProviderRequest request) => new() { ModelId = request.Model, MaxOutputTokens = request.MaxTokens };
}
