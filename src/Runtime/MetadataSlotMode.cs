namespace TracedLlm;

/// <summary>Whose the route's metadata slot is (<see cref="TracedLlmRouteAttribute.MetadataSlotMode"/>).</summary>
public enum MetadataSlotMode
{
    /// <summary>
    /// The gateway's: the whole field is read as gateway metadata and removed from what is forwarded
    /// upstream. A value that is not an object is a 400. The default.
    /// </summary>
    Gateway,

    /// <summary>
    /// Shared with the provider, whose own API has a field of that name (OpenAI's chat-completions <c>metadata</c>, for
    /// stored completions).
    /// </summary>
    /// <remarks>
    /// The gateway takes only the keys it recognises, each with the JSON type it reads (<c>generation_name</c>,
    /// <c>trace_user_id</c>, <c>tags</c>, ...), and removes them; every other key, and a recognised key of another
    /// type, stays in the field, forwarded upstream and not recorded. A value that is not an object is the provider's,
    /// forwarded untouched; the field goes only when every key in it was the gateway's.
    /// </remarks>
    Shared,
}
