namespace AICentral.ConsumerAuth.ApiKey;

public class ApiKeyClientAuthClientConfig
{
    public string? ClientName { get; init; }
    public string? Key1 { get; init; }
    public string? Key2 { get; init; }
}