extern alias traced;

using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace YarpGateway.Tests;

/// <summary>The port's two apps and their provider, an upstream that checks requests as OpenAI does.</summary>
public sealed class YarpPorts() : PortPair<Program, TracedProgram>("YarpGateway/YarpGateway.Api")
{
    public const string Route = "/v1/chat/completions";

    internal UpstreamStub Provider { get; private set; } = null!;

    /// <summary>The provider's address and the gateway's key for it, over appsettings.json's.</summary>
    internal static Dictionary<string, string> Settings(string provider) => new()
    {
        ["ReverseProxy:Clusters:openai:Destinations:primary:Address"] = provider + "/",
        ["Provider:ApiKey"] = "sk-gateway-key",
    };

    protected override async Task<IReadOnlyDictionary<string, string>> StartUpstreamsAsync()
    {
        Provider = await OpenAiUpstream.StartAsync();
        return Settings(Provider.Address);
    }

    protected override ValueTask StopUpstreamsAsync() => Provider.DisposeAsync();
}
