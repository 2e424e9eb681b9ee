namespace AICentral.EndpointSelectors.LowestLatency;

public class LowestLatencyEndpointConfig
{
    public string[]? Endpoints { get; init; }
}