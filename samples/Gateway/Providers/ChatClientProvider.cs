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

    private static ProviderReply Reply(ChatResponse response, string model)
    {
        var usage = response.Usage.ToLlmUsage();
        return new(
            response.ResponseId ?? "response",
            response.ModelId ?? model,
            response.Text,
            response.FinishReason?.Value ?? "stop",
            usage?.InputTokens ?? 0,
            usage?.OutputTokens ?? 0,
            usage?.CacheReadInputTokens,
            usage?.ReasoningOutputTokens,
            usage?.CacheCreationInputTokens);
    }

    /// <summary>
    /// Each update's text at once until the first finish reason, then one last delta with that update's
    /// text, the finish reason and the usage. A client may state them in updates of their own (Anthropic's
    /// adapter: the input and cache counts as the stream starts, the output and the finish reason as it
    /// ends, the reason again at its stop), so the usage adds up over the updates, as M.E.AI's
    /// ToChatResponse() adds it, and the last reason wins.
    /// </summary>
    private static async IAsyncEnumerable<ProviderDelta> Deltas(IAsyncEnumerable<ChatResponseUpdate> updates, string model, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = "response";
        string? finish = null;
        var last = new System.Text.StringBuilder();
        UsageDetails? stated = null;
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            id = update.ResponseId ?? id;
            model = update.ModelId ?? model;
            foreach (var usageContent in update.Contents.OfType<UsageContent>())
            {
                (stated ??= new UsageDetails()).Add(usageContent.Details);
            }

            if (finish is null && update.FinishReason is null)
            {
                yield return new ProviderDelta(id, model, update.Text);
                continue;
            }

            finish = update.FinishReason?.Value ?? finish;
            last.Append(update.Text);
        }

        var usage = stated.ToLlmUsage();
        yield return new ProviderDelta(
            id,
            model,
            last.ToString(),
            finish ?? "stop",
            usage?.InputTokens,
            usage?.OutputTokens,
            usage?.CacheReadInputTokens,
            usage?.ReasoningOutputTokens,
            usage?.CacheCreationInputTokens);
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
