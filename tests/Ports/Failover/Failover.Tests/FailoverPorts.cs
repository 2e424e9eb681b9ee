extern alias traced;

using System.Runtime.CompilerServices;
using TracedLlm.Tests;
using TracedProgram = traced::Program;

namespace Failover.Tests;

/// <summary>
/// Both apps of the port and their two providers (OpenAI first, Groq second, each an OpenAI-compatible upstream on a
/// loopback port that checks requests as OpenAI does), started once for a test class; the spans every app records.
/// </summary>
public sealed class FailoverPorts : IAsyncLifetime
{
    public const string Route = "/v1/chat/completions";

    internal UpstreamStub OpenAi { get; private set; } = null!;

    internal UpstreamStub Groq { get; private set; } = null!;

    internal PortApp<Program> Before { get; private set; } = null!;

    internal PortApp<TracedProgram> After { get; private set; } = null!;

    internal SpanCollector Spans { get; } = new();

    public async Task InitializeAsync()
    {
        OpenAi = await UpstreamStub.StartWithAsync(OpenAiUpstream.Checked(UpstreamStub.Reply.Status(200)));
        Groq = await UpstreamStub.StartWithAsync(OpenAiUpstream.Checked(UpstreamStub.Reply.Status(200)));
        Before = new PortApp<Program>(Settings(OpenAi.BaseUrl, Groq.BaseUrl));
        After = Adopted(Settings(OpenAi.BaseUrl, Groq.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        Spans.Dispose();
        await Before.DisposeAsync();
        await After.DisposeAsync();
        await OpenAi.DisposeAsync();
        await Groq.DisposeAsync();
    }

    /// <summary>The providers of appsettings.json, the first at <paramref name="first"/>, the second at <paramref name="second"/>.</summary>
    internal static Dictionary<string, string> Settings(string first, string second) => new()
    {
        ["Providers:0:BaseUrl"] = first,
        ["Providers:0:ApiKey"] = "sk-openai-test",
        ["Providers:1:BaseUrl"] = second,
        ["Providers:1:ApiKey"] = "sk-groq-test",
    };

    /// <summary>The adopted app, reading appsettings.json where adoption left it, in Failover.Api.</summary>
    internal static PortApp<TracedProgram> Adopted(Dictionary<string, string> settings) =>
        new(settings, Path.GetFullPath(Path.Combine(ThisDirectory(), "../Failover.Api")));

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;}
