using System;
using System.Collections.Generic;
using System.Text;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TracedLlm.Samples.Gateway;

/// <summary>A request whose prompt text the guardrails and providers can read, whatever its wire shape.</summary>
public interface IPromptRequest
{
    /// <summary>The model asked for.</summary>
    string? Model { get; }

    /// <summary>The conversation as (role, text) pairs, system prompt first (read from the request once, when first asked).</summary>
    IReadOnlyList<PromptMessage> PromptMessages();
}

/// <summary>One message as plain text.</summary>
public readonly record struct PromptMessage(string Role, string Text);

// ---- OpenAI chat completions ----

/// <summary>An OpenAI chat completion request (the fields this gateway reads; the rest are forwarded as sent).</summary>
public sealed class ChatCompletionRequest : IPromptRequest, IJsonOnDeserialized
{
    public string? Model { get; set; }
    public List<ChatMessage> Messages { get; set; } = new();
    public double? Temperature { get; set; }
    public int? MaxTokens { get; set; }
    public bool? Stream { get; set; }
    public string? User { get; set; }

    // The route and the pre-call guardrail both read the prompt: its text is decoded once.
    private PromptMessage[]? _prompt;

    public IReadOnlyList<PromptMessage> PromptMessages() => _prompt ??= ReadPrompt();

    private PromptMessage[] ReadPrompt()
    {
        var prompt = new PromptMessage[Messages.Count];
        for (var i = 0; i < prompt.Length; i++)
        {
            prompt[i] = new PromptMessage(Messages[i].Role ?? "user", Messages[i].Content ?? string.Empty);
        }

        return prompt;
    }

    void IJsonOnDeserialized.OnDeserialized() => RequestChecks.Messages(Messages);
}

/// <summary>An OpenAI chat message; content is a string or an array of parts, read as its text.</summary>
public sealed class ChatMessage
{
    public string? Role { get; set; }

    [JsonConverter(typeof(ContentText))]
    public string? Content { get; set; }
}

/// <summary>An OpenAI chat completion response.</summary>
public sealed class ChatCompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion";
    public long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChatChoice> Choices { get; init; }
    public required ChatUsage Usage { get; init; }
}

/// <summary>One choice.</summary>
public sealed class ChatChoice
{
    public int Index { get; init; }
    public required ChatResponseMessage Message { get; init; }
    public required string FinishReason { get; init; }
}

/// <summary>The assistant's message.</summary>
public sealed class ChatResponseMessage
{
    public string Role { get; init; } = "assistant";
    public required string Content { get; init; }
}

/// <summary>OpenAI token usage.</summary>
public sealed class ChatUsage
{
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }
    public long TotalTokens { get; init; }

    /// <summary>The prompt's cached part (<c>cached_tokens</c>), when the provider stated it.</summary>
    public ChatTokenDetails? PromptTokensDetails { get; init; }

    /// <summary>The completion's reasoning part (<c>reasoning_tokens</c>), when the provider stated it.</summary>
    public ChatTokenDetails? CompletionTokensDetails { get; init; }
}

/// <summary>The part of an OpenAI token count read from the cache (prompt) or spent reasoning (completion).</summary>
public sealed class ChatTokenDetails
{
    public long? CachedTokens { get; init; }
    public long? ReasoningTokens { get; init; }
}

// ---- Anthropic messages ----

/// <summary>
/// An Anthropic Messages request. Its own <c>metadata</c> (<c>user_id</c>) is provider-native and
/// forwarded untouched, which is why this route keeps gateway metadata in <c>litellm_metadata</c>.
/// </summary>
public sealed class MessagesRequest : IPromptRequest, IJsonOnDeserialized
{
    public string? Model { get; set; }
    public int? MaxTokens { get; set; }
    public List<AnthropicMessage> Messages { get; set; } = new();
    [JsonConverter(typeof(ContentText))]
    public string? System { get; set; }
    public AnthropicMetadata? Metadata { get; set; }
    public bool? Stream { get; set; }

    // The route and the pre-call guardrail both read the prompt: its text is decoded once.
    private PromptMessage[]? _prompt;

    public IReadOnlyList<PromptMessage> PromptMessages() => _prompt ??= ReadPrompt();

    private PromptMessage[] ReadPrompt()
    {
        var prompt = new PromptMessage[Messages.Count + (System is null ? 0 : 1)];
        var next = 0;
        if (System is not null)
        {
            prompt[next++] = new PromptMessage("system", System);
        }

        foreach (var message in Messages)
        {
            prompt[next++] = new PromptMessage(message.Role ?? "user", message.Content ?? string.Empty);
        }

        return prompt;
    }

    void IJsonOnDeserialized.OnDeserialized() => RequestChecks.Messages(Messages);
}

/// <summary>Anthropic's native request metadata.</summary>
public sealed class AnthropicMetadata
{
    public string? UserId { get; set; }
}

/// <summary>An Anthropic message; content is a string or an array of blocks, read as its text.</summary>
public sealed class AnthropicMessage
{
    public string? Role { get; set; }

    [JsonConverter(typeof(ContentText))]
    public string? Content { get; set; }
}

/// <summary>An Anthropic Messages response.</summary>
public sealed class MessagesResponse
{
    public required string Id { get; init; }
    public string Type { get; init; } = "message";
    public string Role { get; init; } = "assistant";
    public required string Model { get; init; }
    public required List<AnthropicContentBlock> Content { get; init; }
    public required string StopReason { get; init; }
    public string? StopSequence { get; init; }
    public required AnthropicUsage Usage { get; init; }
}

/// <summary>A text block.</summary>
public sealed class AnthropicContentBlock
{
    public string Type { get; init; } = "text";
    public required string Text { get; init; }
}

/// <summary>Anthropic token usage: its <c>input_tokens</c> leave out the tokens read from the cache.</summary>
public sealed class AnthropicUsage
{
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }

    /// <summary>Input tokens read from the cache, when the provider stated them.</summary>
    public long? CacheReadInputTokens { get; init; }

    /// <summary>Input tokens written to the cache, when the provider stated them.</summary>
    public long? CacheCreationInputTokens { get; init; }
}

/// <summary>An OpenAI chat completion chunk (<c>stream: true</c>).</summary>
public sealed class ChatCompletionChunk
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion.chunk";
    public long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChatChunkChoice> Choices { get; init; }
    public ChatUsage? Usage { get; init; }
}

/// <summary>One choice of a chunk.</summary>
public sealed class ChatChunkChoice
{
    public int Index { get; init; }
    public required ChatDelta Delta { get; init; }
    public string? FinishReason { get; init; }
}

/// <summary>The text a chunk adds.</summary>
public sealed class ChatDelta
{
    public string? Role { get; init; }
    public string? Content { get; init; }
}

/// <summary>
/// One Anthropic stream event: <c>message_start</c>, <c>content_block_start</c>,
/// <c>content_block_delta</c>, <c>content_block_stop</c>, <c>message_delta</c> or <c>message_stop</c>;
/// unset fields are left out. The pipeline names each event after its <c>type</c>.
/// </summary>
public sealed class AnthropicStreamEvent
{
    public required string Type { get; init; }
    public MessagesResponse? Message { get; init; }
    public int? Index { get; init; }
    public AnthropicContentBlock? ContentBlock { get; init; }
    public AnthropicDelta? Delta { get; init; }
    public AnthropicUsage? Usage { get; init; }
}

/// <summary>What a content_block_delta or message_delta event changes.</summary>
public sealed class AnthropicDelta
{
    public string? Type { get; init; }
    public string? Text { get; init; }
    public string? StopReason { get; init; }
}

/// <summary>
/// What the serializer cannot check: JSON <c>null</c> where the wire format wants a list or a message.
/// The error names the field by its JSON path, in the route's error format (a 400 through the failure path).
/// </summary>
internal static class RequestChecks
{
    public static void Messages<T>(List<T>? messages)
        where T : class
    {
        if (messages is null)
        {
            throw new InvalidLlmRequestException("The request body does not match this route's request at $.messages: expected an array of messages, not null.");
        }

        var index = messages.IndexOf(null!);
        if (index >= 0)
        {
            throw new InvalidLlmRequestException($"The request body does not match this route's request at $.messages[{index}]: expected a message object, not null.");
        }
    }
}

/// <summary>
/// Text of a content value as the serializer reads it: a string, or the <c>text</c> of each part of
/// an array (joined by new lines; parts of other kinds, such as images, add none); any other value
/// reads as no text. The guardrails and providers read only the text, so a message's content is read
/// straight into it: no <see cref="JsonDocument"/> per message kept for a second reading.
/// </summary>
internal sealed class ContentText : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString()!;
            case JsonTokenType.StartArray:
                return ReadParts(ref reader);
            default:
                reader.Skip();
                return string.Empty;
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static string ReadParts(ref Utf8JsonReader reader)
    {
        string? single = null;
        StringBuilder? joined = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            if (PartText(ref reader) is not { } text)
            {
                continue;
            }

            if (single is null)
            {
                single = text;
            }
            else
            {
                (joined ??= new StringBuilder(single)).Append('\n').Append(text);
            }
        }

        return joined?.ToString() ?? single ?? string.Empty;
    }

    // The part's "text" when it is a string; the reader ends on the part's closing brace.
    private static string? PartText(ref Utf8JsonReader reader)
    {
        string? text = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isText = reader.ValueTextEquals("text"u8);
            reader.Read();
            if (isText)
            {
                // The last "text" counts, as JsonElement.TryGetProperty finds it.
                text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return text;
    }
}

/// <summary>Source-generated JSON for every body type: no reflection, Native AOT ready.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(MessagesRequest))]
[JsonSerializable(typeof(MessagesResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(AnthropicStreamEvent))]
[JsonSerializable(typeof(ActivityCountsSnapshot))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
}
