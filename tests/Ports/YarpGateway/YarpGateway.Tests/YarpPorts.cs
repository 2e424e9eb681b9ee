extern alias traced;

using System.Runtime.CompilerServices;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace YarpGateway.Tests;

/// <summary>
/// Both apps of the port and their provider (an OpenAI-compatible upstream on a loopback port that checks requests
/// as OpenAI does), started once for a test class; the spans every app records.
/// </summary>
public sealed class YarpPorts : IAsyncLifetime
{
    public const string Route = "/v1/chat/completions";

    internal UpstreamStub Provider { get; private set; } = null!;

    internal PortApp<Program> Before { get; private set; } = null!;

    internal PortApp<TracedProgram> After { get; private set; } = null!;

    internal SpanCollector Spans { get; } = new();

    public async Task InitializeAsync()
    {
        Provider = await UpstreamStub.StartAtAsync(null, OpenAiUpstream.Checked(UpstreamStub.Reply.Status(200)));
        Before = new PortApp<Program>(Settings(Provider.Address));
        After = Adopted(Settings(Provider.Address));
    }

    public async Task DisposeAsync()
    {
        Spans.Dispose();
        await Before.DisposeAsync();
        await After.DisposeAsync();
        await Provider.DisposeAsync();
    }

    /// <summary>The provider's address and key over appsettings.json's.</summary>
    internal static Dictionary<string, string> Settings(string provider) => new()
    {
        ["ReverseProxy:Clusters:openai:Destinations:primary:Address"] = provider + "/",
        ["Provider:ApiKey"] = "sk-gateway-key",
    };

    /// <summary>The adopted app, reading appsettings.json where adoption left it, in YarpGateway.Api.</summary>
    internal static PortApp<TracedProgram> Adopted(Dictionary<string, string> settings) =>
        new(settings, Path.GetFullPath(Path.Combine(ThisDirectory(), "../YarpGateway.Api")));

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
