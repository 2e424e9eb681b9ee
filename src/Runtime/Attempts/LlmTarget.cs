namespace TracedLlm;

/// <summary>What one upstream attempt calls: a provider (by name) and a model.</summary>
/// <param name="Provider">The provider, recorded as <c>gen_ai.provider.name</c>.</param>
/// <param name="Model">The model, recorded as <c>gen_ai.request.model</c> of the attempt.</param>
public sealed record LlmTarget(string Provider, string Model);
