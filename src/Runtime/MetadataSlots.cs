namespace TracedLlm;

/// <summary>The LiteLLM-compatible metadata slot names.</summary>
public static class MetadataSlots
{
    /// <summary>Gateway metadata in <c>metadata</c> (chat completions, completions, embeddings).</summary>
    public const string Metadata = "metadata";

    /// <summary>
    /// Gateway metadata in <c>litellm_metadata</c> (routes whose provider body has its own <c>metadata</c>).
    /// </summary>
    public const string LiteLlmMetadata = "litellm_metadata";

    /// <summary>
    /// No gateway metadata slot (<c>MetadataSlot = MetadataSlots.None</c>): nothing in the body is read
    /// as gateway metadata, no field is cut out, and the body goes upstream as it came. The caller's
    /// trace is then joined from <c>traceparent</c> only.
    /// </summary>
    public const string None = "";
}
