using System;

namespace TracedLlm;

/// <summary>
/// Marks a traced LLM gateway route: a static handler, which the TracedLlm source generator wraps in the request
/// pipeline (span tree, metadata-slot reader, failure path) and maps in <c>MapTracedLlmRoutes()</c>.
/// </summary>
/// <remarks>
/// Or an MVC controller action, whose pipeline runs inside MVC's own action invocation (docs/mvc.md).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TracedLlmRouteAttribute : Attribute
{
    /// <summary>
    /// Marks an MVC controller action: MVC's routing (<c>[HttpPost]</c>, <c>[Route]</c>) gives its method and path.
    /// </summary>
    public TracedLlmRouteAttribute()
    {
        HttpMethod = string.Empty;
        Pattern = string.Empty;
    }

    /// <summary>
    /// Marks a static handler, mapped with <paramref name="httpMethod"/> and <paramref name="pattern"/>.
    /// </summary>
    /// <param name="httpMethod">The HTTP method, e.g. <c>POST</c>.</param>
    /// <param name="pattern">The route template, e.g. <c>/v1/chat/completions</c>.</param>
    public TracedLlmRouteAttribute(string httpMethod, string pattern)
    {
        HttpMethod = httpMethod;
        Pattern = pattern;
    }

    /// <summary>The HTTP method; empty on a controller action (MVC's routing says it).</summary>
    public string HttpMethod { get; }

    /// <summary>The route template; empty on a controller action (MVC's routing says it).</summary>
    public string Pattern { get; }

    /// <summary>
    /// The top-level body property that carries gateway metadata on this route. When not set the
    /// LiteLLM-compatible default for the path applies: <c>litellm_metadata</c> for
    /// <c>/v1/messages</c>, responses, batches, files, threads and assistants; <c>metadata</c> otherwise.
    /// <see cref="MetadataSlots.None"/> says the route has none: nothing in the body is read as gateway
    /// metadata, and the body goes upstream as it came.
    /// </summary>
    public string? MetadataSlot { get; set; }

    /// <summary>Whose the metadata slot is.</summary>
    /// <remarks>
    /// The gateway's (the default: read whole, not forwarded), or <see cref="TracedLlm.MetadataSlotMode.Shared"/> with
    /// the provider whose own body has a field of that name (the gateway takes the keys it recognises and forwards the
    /// rest).
    /// </remarks>
    public MetadataSlotMode MetadataSlotMode { get; set; }

    /// <summary>
    /// The wire format of this route's error responses. Default: Anthropic for <c>/v1/messages</c>, OpenAI otherwise.
    /// </summary>
    public WireFormat ErrorFormat { get; set; } = WireFormat.Default;

    /// <summary>
    /// How the pipeline writes the errors it answers itself (a refused body, authentication, a
    /// guardrail's block, timeouts, upstream failures): <see cref="LlmErrorResponses.Default"/> takes
    /// <see cref="TracedLlmOptions.ErrorResponses"/>, whose default is the route's wire format
    /// (<see cref="ErrorFormat"/>).
    /// </summary>
    public LlmErrorResponses ErrorResponses { get; set; }

    /// <summary>
    /// When true, a JSON-only handler answers a body that says <c>"stream": true</c> with its JSON, as if it had said
    /// false, instead of refusing it with 400.
    /// </summary>
    /// <remarks>
    /// For a port whose clients send the flag and read JSON. A JSON-only handler has no stream handler and returns
    /// neither <c>LlmResult</c> nor <c>IResult</c>. A handler whose body type has no member named <c>stream</c>
    /// answers so already (the app never read the flag); the refusal stays on an untyped body or a type that binds
    /// <c>stream</c>, and TLLM2009 says so at the attribute. No effect on a route that streams.
    /// </remarks>
    public bool IgnoreStream { get; set; }

    /// <summary>
    /// When true, a metadata slot value of the wrong JSON type is refused with 400 on this route, even where the body
    /// type never read the slot.
    /// </summary>
    /// <remarks>
    /// Wrong means a value that is not a JSON object, or a recognised key of another JSON type; it is refused even
    /// though the body type has no member of the slot's name.
    /// By default such a value is left as the client sent it on such a route (the app never read the
    /// field); <see cref="TracedLlmOptions.StrictMetadata"/> sets it for every route. A route with an untyped
    /// body, or a type that binds the slot's name, refuses it either way.
    /// </remarks>
    public bool StrictMetadata { get; set; }

    /// <summary>
    /// The <c>gen_ai.operation.name</c> of the LLM span. Default by path: <c>chat</c>, <c>embeddings</c> or
    /// <c>text_completion</c>.
    /// </summary>
    public string? Operation { get; set; }
}
