namespace AICentral.EndpointSelectors.Random;

public class RandomEndpointConfig
{
    public string[]? Endpoints { get; init; }
}