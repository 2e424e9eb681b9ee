using System;

namespace TracedLlm;

/// <summary>
/// Marks a static handler as a traced LLM gateway route. The TracedLlm source generator emits the
/// request pipeline around it (span tree, metadata-slot reader, failure path) and maps it in
/// <c>MapTracedLlmRoutes()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TracedLlmRouteAttribute : Attribute
{
    /// <param name="httpMethod">The HTTP method, e.g. <c>POST</c>.</param>
    /// <param name="pattern">The route template, e.g. <c>/v1/chat/completions</c>.</param>
    public TracedLlmRouteAttribute(string httpMethod, string pattern)
    {
        HttpMethod = httpMethod;
        Pattern = pattern;
    }

    /// <summary>The HTTP method.</summary>
    public string HttpMethod { get; }

    /// <summary>The route template.</summary>
    public string Pattern { get; }

    /// <summary>
    /// The top-level body property that carries gateway metadata on this route. When not set the
    /// LiteLLM-compatible default for the path applies: <c>litellm_metadata</c> for
    /// <c>/v1/messages</c>, responses, batches, files, threads and assistants; <c>metadata</c> otherwise.
    /// </summary>
    public string? MetadataSlot { get; set; }

    /// <summary>
    /// Whose the metadata slot is: the gateway's (the default: read whole, not forwarded), or
    /// <see cref="TracedLlm.MetadataSlotMode.Shared"/> with the provider whose own body has a field of
    /// that name (the gateway takes the keys it recognises and forwards the rest).
    /// </summary>
    public MetadataSlotMode MetadataSlotMode { get; set; }

    /// <summary>The wire format of this route's error responses. Default: Anthropic for <c>/v1/messages</c>, OpenAI otherwise.</summary>
    public WireFormat ErrorFormat { get; set; } = WireFormat.Default;

    /// <summary>The <c>gen_ai.operation.name</c> of the LLM span. Default by path: <c>chat</c>, <c>embeddings</c> or <c>text_completion</c>.</summary>
    public string? Operation { get; set; }
}
