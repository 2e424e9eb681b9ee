namespace AICentral.AzureAISearchVectorizer;

internal class Config
{
    public string? EmbeddingsDeploymentName { get; init; }
    public string? ProxyPath { get; init; }
    public string? OpenAIApiVersion { get; init; }
}