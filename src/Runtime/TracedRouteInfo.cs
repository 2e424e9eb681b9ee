using System;
using System.Collections.Generic;

namespace TracedLlm;

/// <summary>What the generator knows about one traced route, available at run time.</summary>
/// <param name="HttpMethod">The HTTP method.</param>
/// <param name="Pattern">The route template.</param>
/// <param name="MetadataSlot">The body property that carries gateway metadata on this route; empty when it has none
/// (<see cref="MetadataSlots.None"/>).</param>
/// <param name="ErrorFormat">The wire format of error responses (never <see cref="WireFormat.Default"/>).</param>
/// <param name="Operation">The <c>gen_ai.operation.name</c> of the LLM span.</param>
/// <param name="Handler">The handler, as <c>Namespace.Type.Method</c>.</param>
public sealed record TracedRouteInfo(
    string HttpMethod,
    string Pattern,
    string MetadataSlot,
    WireFormat ErrorFormat,
    string Operation,
    string Handler)
{
    /// <summary>
    /// Whose the metadata slot is: the gateway's, or shared with the provider's own field of that name.
    /// </summary>
    public MetadataSlotMode MetadataSlotMode { get; init; }

    /// <summary>
    /// How the pipeline writes the errors it answers itself on this route; <see cref="LlmErrorResponses.Default"/>
    /// takes the options'.
    /// </summary>
    public LlmErrorResponses ErrorResponses { get; init; }

    /// <summary>
    /// The handler's request body type (deserialized from the body without the metadata slot), or
    /// null when it takes none. A body that may be a service is known once the app has started: the
    /// endpoint's copy of the route says it.
    /// </summary>
    public Type? RequestType { get; init; }

    /// <summary>
    /// The regular handler's result type, written as JSON with status 200; null for a streaming-only route or an
    /// <c>IResult</c>.
    /// </summary>
    public Type? ResponseType { get; init; }

    /// <summary>
    /// The streaming handler's chunk type, written as server-sent events; null when the route does not stream.
    /// </summary>
    public Type? StreamChunkType { get; init; }

    /// <summary>
    /// True when the route refuses <c>"stream": true</c> with 400 (a JSON-only handler whose body reads the flag).
    /// </summary>
    public bool RefusesStream { get; init; }

    /// <summary>
    /// True when a slot value of the wrong JSON type is left as the client sent it instead of refused.
    /// </summary>
    /// <remarks>
    /// The body type has no member of the slot's name (<see cref="TracedLlmOptions.StrictMetadata"/> refuses it still).
    /// </remarks>
    public bool LenientMetadata { get; init; }

    /// <summary>The handlers' parameters and where each comes from.</summary>
    public IReadOnlyList<TracedRouteParameter> Parameters { get; init; } = Array.Empty<TracedRouteParameter>();
}
