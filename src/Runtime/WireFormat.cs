namespace TracedLlm;

/// <summary>The provider API shape a route speaks, which decides the shape of its error responses.</summary>
public enum WireFormat
{
    /// <summary>Chosen from the path at compile time.</summary>
    Default = 0,

    /// <summary>OpenAI: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    OpenAI = 1,

    /// <summary>Anthropic: <c>{"type":"error","error":{"type","message"}}</c>.</summary>
    Anthropic = 2,
}
