namespace TracedLlm;

/// <summary>The top-level request parameters the LLM span records (<see cref="LlmCall.Parameters"/>).</summary>
public readonly record struct EnvelopeParameters(string? Model, bool Stream, double? Temperature, double? TopP, long? MaxTokens);
