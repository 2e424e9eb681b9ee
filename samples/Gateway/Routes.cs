using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Samples.Gateway;

/// <summary>
/// The gateway's routes. Each handler is plain code: the generated pipeline around it records the
/// span tree, reads the route's metadata slot and runs the one failure path.
/// </summary>
public static class Routes
{
    /// <summary>OpenAI chat completions; gateway metadata in <c>metadata</c>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async Task<ChatCompletionResponse> ChatCompletions(ChatCompletionRequest request, LlmCall call, IChatProvider provider, CancellationToken cancellationToken)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        var reply = await CompleteAsync(provider, call, new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, call.UpstreamBody), cancellationToken);
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

    /// <summary>Anthropic messages; gateway metadata in <c>litellm_metadata</c>, the native <c>metadata.user_id</c> forwarded.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async Task<MessagesResponse> Messages(MessagesRequest request, LlmCall call, IChatProvider provider, CancellationToken cancellationToken)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        if (request.MaxTokens is null or < 1)
        {
            throw new InvalidLlmRequestException("'max_tokens' is required and must be at least 1.");
        }

        var reply = await CompleteAsync(provider, call, new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, ForwardBody: null), cancellationToken);
        return new MessagesResponse
        {
            Id = reply.Id,
            Model = reply.Model,
            Content = new List<AnthropicContentBlock> { new() { Text = reply.Text } },
            StopReason = reply.FinishReason == "length" ? "max_tokens" : "end_turn",
            Usage = new AnthropicUsage { InputTokens = reply.InputTokens, OutputTokens = reply.OutputTokens },
        };
    }

    private static async Task<ProviderReply> CompleteAsync(IChatProvider provider, LlmCall call, ProviderRequest request, CancellationToken cancellationToken)
    {
        call.SetProvider(provider.Name);
        var reply = await provider.CompleteAsync(request, call, cancellationToken);
        call.RecordResponse(reply.Model, reply.Id, reply.FinishReason);
        call.RecordUsage(reply.InputTokens, reply.OutputTokens);
        return reply;
    }

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
