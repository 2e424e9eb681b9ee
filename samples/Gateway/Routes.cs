using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Samples.Gateway;

/// <summary>
/// The gateway's routes. Each handler is plain code: the generated pipeline around it records the
/// span tree, reads the route's metadata slot and runs the one failure path. A route's streaming
/// handler (returning IAsyncEnumerable) runs when the body says "stream": true.
/// </summary>
public static class Routes
{
    /// <summary>OpenAI chat completions; gateway metadata in <c>metadata</c>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async Task<ChatCompletionResponse> ChatCompletions(ChatCompletionRequest request, LlmCall call, ProviderRouter providers)
    {
        var reply = await providers.CompleteAsync(call, ChatRequest(request, call));
        Record(call, reply.Model, reply.Id, reply.FinishReason, reply.InputTokens, reply.OutputTokens);
        return new ChatCompletionResponse
        {
            Id = reply.Id,
            Created = 0,
            Model = reply.Model,
            Choices = new List<ChatChoice>
            {
                new() { Index = 0, Message = new ChatResponseMessage { Content = reply.Text }, FinishReason = reply.FinishReason },
            },
            Usage = new ChatUsage { PromptTokens = reply.InputTokens, CompletionTokens = reply.OutputTokens, TotalTokens = reply.InputTokens + reply.OutputTokens },
        };
    }

    /// <summary>OpenAI chat completions with <c>"stream": true</c>: <c>data:</c> chunks, then <c>data: [DONE]</c>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async IAsyncEnumerable<ChatCompletionChunk> ChatCompletionsStream(ChatCompletionRequest request, LlmCall call, ProviderRouter providers)
    {
        var first = true;
        await foreach (var delta in providers.StreamAsync(call, ChatRequest(request, call)))
        {
            if (delta.FinishReason is not null)
            {
                Record(call, delta.Model, delta.Id, delta.FinishReason, delta.InputTokens ?? 0, delta.OutputTokens ?? 0);
            }

            yield return new ChatCompletionChunk
            {
                Id = delta.Id,
                Model = delta.Model,
                Choices = new List<ChatChunkChoice>
                {
                    new() { Index = 0, Delta = new ChatDelta { Role = first ? "assistant" : null, Content = delta.Text }, FinishReason = delta.FinishReason },
                },
                Usage = delta.FinishReason is null ? null : new ChatUsage
                {
                    PromptTokens = delta.InputTokens ?? 0,
                    CompletionTokens = delta.OutputTokens ?? 0,
                    TotalTokens = (delta.InputTokens ?? 0) + (delta.OutputTokens ?? 0),
                },
            };
            first = false;
        }
    }

    /// <summary>Anthropic messages; gateway metadata in <c>litellm_metadata</c>, the native <c>metadata.user_id</c> forwarded.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async Task<MessagesResponse> Messages(MessagesRequest request, LlmCall call, ProviderRouter providers)
    {
        var reply = await providers.CompleteAsync(call, MessagesRequestFor(request));
        Record(call, reply.Model, reply.Id, reply.FinishReason, reply.InputTokens, reply.OutputTokens);
        return new MessagesResponse
        {
            Id = reply.Id,
            Model = reply.Model,
            Content = new List<AnthropicContentBlock> { new() { Text = reply.Text } },
            StopReason = StopReason(reply.FinishReason),
            Usage = new AnthropicUsage { InputTokens = reply.InputTokens, OutputTokens = reply.OutputTokens },
        };
    }

    /// <summary>Anthropic messages with <c>"stream": true</c>: message_start, content block events, message_delta, message_stop.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async IAsyncEnumerable<AnthropicStreamEvent> MessagesStream(MessagesRequest request, LlmCall call, ProviderRouter providers, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = false;
        await foreach (var delta in providers.StreamAsync(call, MessagesRequestFor(request)).WithCancellation(cancellationToken))
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
                Record(call, delta.Model, delta.Id, delta.FinishReason, delta.InputTokens ?? 0, delta.OutputTokens ?? 0);
                yield return new AnthropicStreamEvent { Type = "content_block_stop", Index = 0 };
                yield return new AnthropicStreamEvent
                {
                    Type = "message_delta",
                    Delta = new AnthropicDelta { StopReason = StopReason(delta.FinishReason) },
                    Usage = new AnthropicUsage { InputTokens = delta.InputTokens ?? 0, OutputTokens = delta.OutputTokens ?? 0 },
                };
                yield return new AnthropicStreamEvent { Type = "message_stop" };
            }
        }
    }

    private static ProviderRequest ChatRequest(ChatCompletionRequest request, LlmCall call)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        return new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, call.UpstreamBody);
    }

    private static ProviderRequest MessagesRequestFor(MessagesRequest request)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        if (request.MaxTokens is null or < 1)
        {
            throw new InvalidLlmRequestException("'max_tokens' is required and must be at least 1.");
        }

        return new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, ForwardBody: null);
    }

    private static void Record(LlmCall call, string model, string id, string finishReason, long inputTokens, long outputTokens)
    {
        call.RecordResponse(model, id, finishReason);
        call.RecordUsage(inputTokens, outputTokens);
    }

    private static string StopReason(string finishReason) => finishReason == "length" ? "max_tokens" : "end_turn";

    private static string RequireModel(string? model) =>
        string.IsNullOrWhiteSpace(model) ? throw new InvalidLlmRequestException("'model' is required.") : model;

    private static void RequireMessages(int count)
    {
        if (count == 0)
        {
            throw new InvalidLlmRequestException("'messages' must contain at least one message.");
        }
    }
}
