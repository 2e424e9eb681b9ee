namespace TracedLlm;

/// <summary>The LiteLLM-compatible metadata slot names.</summary>
public static class MetadataSlots
{
    /// <summary>Gateway metadata in <c>metadata</c> (chat completions, completions, embeddings).</summary>
    public const string Metadata = "metadata";

    /// <summary>Gateway metadata in <c>litellm_metadata</c> (routes whose provider body has its own <c>metadata</c>).</summary>
    public const string LiteLlmMetadata = "litellm_metadata";
}
