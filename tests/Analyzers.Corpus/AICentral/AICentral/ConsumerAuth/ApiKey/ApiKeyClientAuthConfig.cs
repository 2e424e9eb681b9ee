namespace AICentral.ConsumerAuth.ApiKey;

public class ApiKeyClientAuthConfig
{
    public ApiKeyClientAuthClientConfig[]? Clients { get; init; }
}