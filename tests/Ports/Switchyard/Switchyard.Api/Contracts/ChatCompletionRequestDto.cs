using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Switchyard.Application.Chat;
using Switchyard.Domain;

namespace Switchyard.Api.Contracts;

/// <summary>An OpenAI-style chat completion request.</summary>
public sealed class ChatCompletionRequestDto
{
    [Required]
    public string? Model { get; set; }

    [Required]
    [MinLength(1)]
    public List<ChatMessageDto>? Messages { get; set; }

    [Range(0, 2)]
    public double? Temperature { get; set; }

    [JsonPropertyName("max_tokens")]
    [Range(1, 32768)]
    public int? MaxTokens { get; set; }

    public ChatCompletionCommand ToCommand() =>
        new(Model!, Messages!.Select(m => new ChatMessage(m.Role!, m.Content!)).ToList(), Temperature, MaxTokens);
}

public sealed class ChatMessageDto
{
    [Required]
    [RegularExpression("^(system|user|assistant)$")]
    public string? Role { get; set; }

    [Required]
    public string? Content { get; set; }
}
