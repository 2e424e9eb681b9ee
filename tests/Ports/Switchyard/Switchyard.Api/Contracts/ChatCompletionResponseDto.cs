using System.Text.Json.Serialization;
using Switchyard.Domain;

namespace Switchyard.Api.Contracts;

/// <summary>An OpenAI-style chat completion.</summary>
public sealed record ChatCompletionResponseDto(string Id, string Object, string Model, IReadOnlyList<ChoiceDto> Choices, UsageDto Usage)
{
    public static ChatCompletionResponseDto From(ChatCompletion completion) => new(
        completion.Id,
        "chat.completion",
        completion.Model,
        [new ChoiceDto(0, new ChatMessageDto { Role = "assistant", Content = completion.Content }, completion.FinishReason)],
        new UsageDto(completion.PromptTokens, completion.CompletionTokens, completion.PromptTokens + completion.CompletionTokens));
}

public sealed record ChoiceDto(int Index, ChatMessageDto Message, [property: JsonPropertyName("finish_reason")] string FinishReason);

public sealed record UsageDto(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);
