namespace Failover.Api.Providers;

/// <summary>One OpenAI-compatible provider of the chain, in the order they are tried.</summary>
public sealed class ProviderOptions
{
    public const string Section = "Providers";

    public string Name { get; set; } = "";

    public string BaseUrl { get; set; } = "";

    public string ApiKey { get; set; } = "";

    public string Model { get; set; } = "";
}
