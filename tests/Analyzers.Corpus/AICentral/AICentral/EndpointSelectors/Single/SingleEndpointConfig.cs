namespace AICentral.EndpointSelectors.Single;

public class SingleEndpointConfig
{
    public string? Endpoint { get; init; }
}