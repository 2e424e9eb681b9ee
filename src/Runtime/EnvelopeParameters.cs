namespace TracedLlm;

/// <summary>The top-level request parameters the LLM span records (<see cref="LlmCall.Parameters"/>).</summary>
public readonly record struct EnvelopeParameters(
    string? Model,
    bool Stream,
    double? Temperature,
    double? TopP,
    long? MaxTokens)
{
    /// <summary>
    /// The service tier the request asked for (OpenAI's and Anthropic's <c>service_tier</c>), or null.
    /// </summary>
    /// <remarks>
    /// Null when it named none, or a value that is not a short token (which the span does not record).
    /// </remarks>
    public string? ServiceTier { get; init; }
}
