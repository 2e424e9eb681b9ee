extern alias traced;

using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace Failover.Tests;

/// <summary>
/// The port's two apps and their two providers, OpenAI first and Groq second, each an upstream that checks requests
/// as OpenAI does.
/// </summary>
public sealed class FailoverPorts() : PortPair<Program, TracedProgram>("Failover/Failover.Api")
{
    public const string Route = "/v1/chat/completions";

    internal UpstreamStub OpenAi { get; private set; } = null!;

    internal UpstreamStub Groq { get; private set; } = null!;

    /// <summary>appsettings.json's providers at <paramref name="first"/> and <paramref name="second"/>.</summary>
    internal static Dictionary<string, string> Settings(string first, string second) => new()
    {
        ["Providers:0:BaseUrl"] = first,
        ["Providers:0:ApiKey"] = "sk-openai-test",
        ["Providers:1:BaseUrl"] = second,
        ["Providers:1:ApiKey"] = "sk-groq-test",
    };

    protected override async Task<IReadOnlyDictionary<string, string>> StartUpstreamsAsync()
    {
        OpenAi = await OpenAiUpstream.StartAsync();
        Groq = await OpenAiUpstream.StartAsync();
        return Settings(OpenAi.BaseUrl, Groq.BaseUrl);
    }

    protected override async ValueTask StopUpstreamsAsync()
    {
        await OpenAi.DisposeAsync();
        await Groq.DisposeAsync();
    }
}
