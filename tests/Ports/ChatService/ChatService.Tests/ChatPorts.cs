extern alias traced;

using System.Runtime.CompilerServices;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace ChatService.Tests;

/// <summary>
/// Both apps of the port and their provider (an OpenAI-compatible upstream on a loopback port that checks requests
/// as OpenAI does), started once for a test class; the spans every app records.
/// </summary>
public sealed class ChatPorts : IAsyncLifetime
{
    public const string Route = "/api/chat";

    /// <summary>How many times OpenAI's client sends a call that keeps failing: once and its three retries.</summary>
    public const int ClientSends = 4;

    /// <summary>The provider's 503, with OpenAI's <c>retry-after-ms</c> that the client waits before it retries.</summary>
    internal static readonly UpstreamReply Unavailable = UpstreamStub.Reply.Status(503, ("retry-after-ms", "1"));

    internal UpstreamStub Provider { get; private set; } = null!;

    internal PortApp<Program> Before { get; private set; } = null!;

    internal PortApp<TracedProgram> After { get; private set; } = null!;

    internal SpanCollector Spans { get; } = new();

    public async Task InitializeAsync()
    {
        Provider = await UpstreamStub.StartWithAsync(OpenAiUpstream.Checked(UpstreamStub.Reply.Status(200)));
        Before = new PortApp<Program>(Settings(Provider.BaseUrl));
        After = new PortApp<TracedProgram>(
            Settings(Provider.BaseUrl), Path.GetFullPath(Path.Combine(ThisDirectory(), "../ChatService.Api")));
    }

    public async Task DisposeAsync()
    {
        Spans.Dispose();
        await Before.DisposeAsync();
        await After.DisposeAsync();
        await Provider.DisposeAsync();
    }

    /// <summary>The provider's endpoint and key over appsettings.json's.</summary>
    private static Dictionary<string, string> Settings(string provider) => new()
    {
        ["OpenAI:Endpoint"] = provider,
        ["OpenAI:ApiKey"] = "sk-test-key",
    };

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
