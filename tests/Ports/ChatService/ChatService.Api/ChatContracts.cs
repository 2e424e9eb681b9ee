namespace ChatService.Api;

/// <summary>A conversation to answer; <see cref="Stream"/> asks for the answer as server-sent events.</summary>
public sealed record ChatRequest(IReadOnlyList<ChatTurn>? Messages, bool Stream = false);

/// <summary>One message of the conversation: <c>system</c>, <c>user</c> or <c>assistant</c>.</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>The answer: its text, the model that wrote it and why it stopped.</summary>
public sealed record ChatReply(string Text, string? Model, string? FinishReason);

/// <summary>One piece of a streamed answer.</summary>
public sealed record ChatDelta(string Text);
