using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The default provider, as a Microsoft.Extensions.AI <see cref="IChatClient"/>: deterministic, in
/// process, no network. It answers with a fixed transformation of the last user message (one word
/// a token), so `dotnet run` needs nothing else and tests can assert exact responses. Delays make
/// cancellation and streaming timings observable.
/// </summary>
public sealed class EmbeddedChatClient : IChatClient
{
    /// <summary>The provider name its attempts record.</summary>
    public const string ProviderName = "tracedllm.embedded";

    private readonly EmbeddedProviderDelays _delays;

    /// <summary>Creates the client.</summary>
    public EmbeddedChatClient(EmbeddedProviderDelays delays)
    {
        _delays = delays;
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_delays.Response > TimeSpan.Zero)
        {
            await Task.Delay(_delays.Response, cancellationToken).ConfigureAwait(false);
        }

        var answer = Answer(messages, options);
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, string.Join(' ', answer.Words)))
        {
            ModelId = answer.Model,
            ResponseId = answer.Id,
            FinishReason = answer.Finish,
            Usage = answer.Usage,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var answer = Answer(messages, options);
        for (var i = 0; i < answer.Words.Length; i++)
        {
            var delay = i == 0 ? _delays.FirstToken : _delays.Token;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }

            var update = new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? answer.Words[i] : " " + answer.Words[i])
            {
                ModelId = answer.Model,
                ResponseId = answer.Id,
            };
            if (i == answer.Words.Length - 1)
            {
                update.FinishReason = answer.Finish;
                update.Contents.Add(new UsageContent(answer.Usage));
            }

            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static (string[] Words, ChatFinishReason Finish, UsageDetails Usage, string Model, string Id) Answer(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var conversation = messages.ToList();
        var lastUser = conversation.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var words = $"Echo: {lastUser}".Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var finish = ChatFinishReason.Stop;
        if (options?.MaxOutputTokens is { } max && words.Length > max)
        {
            words = words.Take(max).ToArray();
            finish = ChatFinishReason.Length;
        }

        var input = conversation.Sum(m => (long)m.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var model = options?.ModelId ?? "embedded";

        // Deterministic ids: the same request always gets the same answer.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\n" + string.Join(' ', words)));
        return (words, finish, new UsageDetails { InputTokenCount = input, OutputTokenCount = words.Length, TotalTokenCount = input + words.Length }, model, "emb-" + Convert.ToHexStringLower(hash.AsSpan(0, 8)));
    }
}

/// <summary>The embedded client's delays: before a whole response, before the first streamed token, between tokens.</summary>
public sealed record EmbeddedProviderDelays(TimeSpan Response, TimeSpan FirstToken, TimeSpan Token);
