using System.Text.Json.Serialization;

namespace Switchyard.Infrastructure.OpenRouter;

internal sealed record OpenRouterRequest(
    string Model,
    IReadOnlyList<OpenRouterMessage> Messages,
    double? Temperature,
    [property: JsonPropertyName("max_tokens")] int? MaxTokens);

internal sealed record OpenRouterMessage(string Role, string Content);

internal sealed record OpenRouterResponse(string Id, string Model, IReadOnlyList<OpenRouterChoice> Choices, OpenRouterUsage? Usage);

internal sealed record OpenRouterChoice(OpenRouterMessage Message, [property: JsonPropertyName("finish_reason")] string? FinishReason);

internal sealed record OpenRouterUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens);
