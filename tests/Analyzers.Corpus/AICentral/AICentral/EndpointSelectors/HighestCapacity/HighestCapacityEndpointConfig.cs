namespace AICentral.EndpointSelectors.HighestCapacity;

public class HighestCapacityConfig
{
    public string[]? Endpoints { get; init; }
}