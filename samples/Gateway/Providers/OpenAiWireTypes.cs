using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace TracedLlm.Samples.Gateway.Providers;

// The OpenAI chat completions wire shapes the provider writes and reads: only the fields it uses.
// Serialized by the source-generated OpenAiWireJsonContext, so nothing here needs reflection (Native AOT).

/// <summary>A chat completion request built from the gateway's own request shape.</summary>
internal sealed class OpenAiChatRequest
{
    public required string Model { get; init; }
    public required List<OpenAiMessage> Messages { get; init; }
    public int? MaxTokens { get; init; }
    public bool? Stream { get; init; }
    public OpenAiStreamOptions? StreamOptions { get; init; }
}

/// <summary>One message, as plain text.</summary>
internal sealed class OpenAiMessage
{
    public string? Role { get; init; }
    public string? Content { get; init; }
}

/// <summary>Asks for the usage on a chunk of its own at the end of the stream.</summary>
internal sealed class OpenAiStreamOptions
{
    public bool IncludeUsage { get; init; }
}

/// <summary>A chat completion or a streamed chunk of one (a chunk has <c>delta</c> where a completion has <c>message</c>).</summary>
internal sealed class OpenAiCompletion
{
    public string? Id { get; init; }
    public string? Model { get; init; }
    public List<OpenAiChoice>? Choices { get; init; }
    public OpenAiUsage? Usage { get; init; }

    /// <summary>An error object in place of a chunk: some upstreams report a failure mid-stream this way.</summary>
    public System.Text.Json.JsonElement? Error { get; init; }
}

/// <summary>One choice of a completion or chunk.</summary>
internal sealed class OpenAiChoice
{
    public OpenAiMessage? Message { get; init; }
    public OpenAiMessage? Delta { get; init; }
    public string? FinishReason { get; init; }
}

/// <summary>Token usage.</summary>
internal sealed class OpenAiUsage
{
    public long? PromptTokens { get; init; }
    public long? CompletionTokens { get; init; }
    public OpenAiTokenDetails? PromptTokensDetails { get; init; }
    public OpenAiTokenDetails? CompletionTokensDetails { get; init; }
}

/// <summary>The part of a usage count the provider cached (prompt) or spent reasoning (completion).</summary>
internal sealed class OpenAiTokenDetails
{
    public long? CachedTokens { get; init; }
    public long? ReasoningTokens { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpenAiChatRequest))]
[JsonSerializable(typeof(OpenAiCompletion))]
internal sealed partial class OpenAiWireJsonContext : JsonSerializerContext
{
}
