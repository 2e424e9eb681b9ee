namespace Switchyard.Domain;

/// <summary>One message of a conversation.</summary>
public sealed record ChatMessage(string Role, string Content);
