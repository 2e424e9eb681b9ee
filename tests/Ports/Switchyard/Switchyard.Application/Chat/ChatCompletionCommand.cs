using Switchyard.Domain;

namespace Switchyard.Application.Chat;

/// <summary>A request for a completion, as the application reads it.</summary>
public sealed record ChatCompletionCommand(string Model, IReadOnlyList<ChatMessage> Messages, double? Temperature, int? MaxTokens);
