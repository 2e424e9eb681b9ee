namespace Switchyard.Domain;

/// <summary>A model's answer, and what it cost in tokens.</summary>
public sealed record ChatCompletion(string Id, string Model, string Content, string FinishReason, int PromptTokens, int CompletionTokens);
