using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// A provider's answer in the wire formats the gateway speaks: OpenAI chat completions (a response,
/// or chunks) and Anthropic messages (a message, or its stream's events). The typed routes answer
/// with these, and so does the embedded provider when the relay calls it over HTTP.
/// </summary>
public static class WireAnswers
{
    /// <summary>An OpenAI chat completion.</summary>
    public static ChatCompletionResponse Chat(ProviderReply reply) => new()
    {
        Id = reply.Id,
        Created = 0,
        Model = reply.Model,
        Choices = new List<ChatChoice>
        {
            new() { Index = 0, Message = new ChatResponseMessage { Content = reply.Text }, FinishReason = reply.FinishReason },
        },
        Usage = ProviderUsage.Chat(reply.InputTokens, reply.OutputTokens, reply.CachedInputTokens, reply.ReasoningOutputTokens),
    };

    /// <summary>OpenAI chat completion chunks; the last one carries the finish reason and the usage.</summary>
    public static async IAsyncEnumerable<ChatCompletionChunk> ChatChunks(IAsyncEnumerable<ProviderDelta> deltas, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var first = true;
        await foreach (var delta in deltas.WithCancellation(cancellationToken))
        {
            yield return new ChatCompletionChunk
            {
                Id = delta.Id,
                Model = delta.Model,
                Choices = new List<ChatChunkChoice>
                {
                    new() { Index = 0, Delta = new ChatDelta { Role = first ? "assistant" : null, Content = delta.Text }, FinishReason = delta.FinishReason },
                },
                Usage = delta.FinishReason is null ? null : ProviderUsage.Chat(delta.InputTokens ?? 0, delta.OutputTokens ?? 0, delta.CachedInputTokens, delta.ReasoningOutputTokens),
            };
            first = false;
        }
    }

    /// <summary>An Anthropic message.</summary>
    public static MessagesResponse Message(ProviderReply reply) => new()
    {
        Id = reply.Id,
        Model = reply.Model,
        Content = new List<AnthropicContentBlock> { new() { Text = reply.Text } },
        StopReason = StopReason(reply.FinishReason),
        Usage = ProviderUsage.Anthropic(reply.InputTokens, reply.OutputTokens, reply.CachedInputTokens, reply.CacheCreationInputTokens),
    };

    /// <summary>An Anthropic message stream: message_start, content block events, message_delta, message_stop.</summary>
    public static async IAsyncEnumerable<AnthropicStreamEvent> MessageEvents(IAsyncEnumerable<ProviderDelta> deltas, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = false;
        await foreach (var delta in deltas.WithCancellation(cancellationToken))
        {
            if (!started)
            {
                started = true;
                yield return new AnthropicStreamEvent
                {
                    Type = "message_start",
                    Message = new MessagesResponse
                    {
                        Id = delta.Id,
                        Model = delta.Model,
                        Content = new List<AnthropicContentBlock>(),
                        StopReason = null!,
                        Usage = new AnthropicUsage { InputTokens = 0, OutputTokens = 0 },
                    },
                };
                yield return new AnthropicStreamEvent { Type = "content_block_start", Index = 0, ContentBlock = new AnthropicContentBlock { Text = string.Empty } };
            }

            yield return new AnthropicStreamEvent { Type = "content_block_delta", Index = 0, Delta = new AnthropicDelta { Type = "text_delta", Text = delta.Text } };
            if (delta.FinishReason is not null)
            {
                yield return new AnthropicStreamEvent { Type = "content_block_stop", Index = 0 };
                yield return new AnthropicStreamEvent
                {
                    Type = "message_delta",
                    Delta = new AnthropicDelta { StopReason = StopReason(delta.FinishReason) },
                    Usage = ProviderUsage.Anthropic(delta.InputTokens ?? 0, delta.OutputTokens ?? 0, delta.CachedInputTokens, delta.CacheCreationInputTokens),
                };
                yield return new AnthropicStreamEvent { Type = "message_stop" };
            }
        }
    }

    private static string StopReason(string finishReason) => finishReason == "length" ? "max_tokens" : "end_turn";
}
