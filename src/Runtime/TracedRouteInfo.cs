namespace TracedLlm;

/// <summary>What the generator knows about one traced route, available at run time.</summary>
/// <param name="HttpMethod">The HTTP method.</param>
/// <param name="Pattern">The route template.</param>
/// <param name="MetadataSlot">The body property that carries gateway metadata on this route.</param>
/// <param name="ErrorFormat">The wire format of error responses (never <see cref="WireFormat.Default"/>).</param>
/// <param name="Operation">The <c>gen_ai.operation.name</c> of the LLM span.</param>
/// <param name="Handler">The handler, as <c>Namespace.Type.Method</c>.</param>
public sealed record TracedRouteInfo(
    string HttpMethod,
    string Pattern,
    string MetadataSlot,
    WireFormat ErrorFormat,
    string Operation,
    string Handler);
