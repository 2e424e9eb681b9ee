namespace Switchyard.Infrastructure.OpenRouter;

/// <summary>Where the OpenRouter-compatible provider is, and the key to call it with.</summary>
public sealed class OpenRouterOptions
{
    public const string Section = "OpenRouter";

    public string BaseUrl { get; set; } = "https://openrouter.ai/api/v1";

    public string? ApiKey { get; set; }
}
