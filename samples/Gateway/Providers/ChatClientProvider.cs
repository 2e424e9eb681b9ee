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
    public async Task<ProviderReply> CompleteAsync(ProviderRequest request, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        var response = await attempt.GetResponseAsync(_client, Messages(request), Options(request), cancellationToken).ConfigureAwait(false);
        return new ProviderReply(
            response.ResponseId ?? "response",
            response.ModelId ?? request.Model,
            response.Text,
            response.FinishReason?.Value ?? "stop",
            response.Usage?.InputTokenCount ?? 0,
            response.Usage?.OutputTokenCount ?? 0);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ProviderDelta> StreamAsync(ProviderRequest request, LlmAttempt attempt, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in attempt.GetStreamingResponseAsync(_client, Messages(request), Options(request), cancellationToken).ConfigureAwait(false))
        {
            var usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details;
            yield return new ProviderDelta(
                update.ResponseId ?? "response",
                update.ModelId ?? request.Model,
                update.Text,
                update.FinishReason?.Value,
                usage?.InputTokenCount,
                usage?.OutputTokenCount);
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
