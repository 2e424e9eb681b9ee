extern alias traced;

using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace ChatService.Tests;

/// <summary>The port's two apps and their provider, an upstream that checks requests as OpenAI does.</summary>
public sealed class ChatPorts() : PortPair<Program, TracedProgram>("ChatService/ChatService.Api")
{
    public const string Route = "/api/chat";

    /// <summary>How many times OpenAI's client sends a call that keeps failing: once and its three retries.</summary>
    public const int ClientSends = 4;

    /// <summary>The provider's 503 with OpenAI's <c>retry-after-ms</c>, the client's wait before a retry.</summary>
    internal static readonly UpstreamReply Unavailable = UpstreamStub.Reply.Status(503, ("retry-after-ms", "1"));

    internal UpstreamStub Provider { get; private set; } = null!;

    protected override async Task<IReadOnlyDictionary<string, string>> StartUpstreamsAsync()
    {
        Provider = await OpenAiUpstream.StartAsync();
        return new Dictionary<string, string>
        {
            ["OpenAI:Endpoint"] = Provider.BaseUrl,
            ["OpenAI:ApiKey"] = "sk-test-key",
        };
    }

    protected override ValueTask StopUpstreamsAsync() => Provider.DisposeAsync();
}
