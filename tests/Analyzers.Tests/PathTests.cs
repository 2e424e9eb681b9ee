using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 68, items 2 and 3: a finding reached through calls shows its path, the route and the chain of calls, in its
/// message and as additional locations (the calls, in order), as a build reports it; and its tier says where it was
/// decided (<c>handler</c>, <c>calls</c>, or <c>dispatch</c> through an interface with several implementations).
/// </summary>
public sealed class PathTests
{
    private const string Source = Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                using var direct = await http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(request.Model!));
                var text = await Orchestrator.RunAsync(http, request.Model!);
                foreach (var backend in Backends.All) { text += await backend.CompleteAsync(http, text); }
                return new Reply { Text = text };
            }
        }

        internal static class Orchestrator
        {
            public static Task<string> RunAsync(HttpClient http, string prompt) => Provider.SendAsync(http, prompt);
        }

        internal static class Provider
        {
            public static async Task<string> SendAsync(HttpClient http, string prompt) =>
                await (await http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt))).Content.ReadAsStringAsync();
        }

        internal interface IBackend { Task<string> CompleteAsync(HttpClient http, string prompt); }

        internal static class Backends { public static readonly IBackend[] All = { new Primary(), new Secondary() }; }

        internal sealed class Primary : IBackend
        {
            public async Task<string> CompleteAsync(HttpClient http, string prompt) =>
                await (await http.PostAsync("https://api.anthropic.com/v1/messages",
                    new StringContent(prompt))).Content.ReadAsStringAsync();
        }

        internal sealed class Secondary : IBackend
        {
            public Task<string> CompleteAsync(HttpClient http, string prompt) => Task.FromResult(prompt);
        }
        """;

    [Fact]
    public async Task EachFindingNamesItsRouteAndChainAndPointsAtItsCalls()
    {
        var compilation = ProjectAnalysis.Compile(Source);
        var text = compilation.SyntaxTrees.First().GetText().ToString();
        var findings = (await ProjectAnalysis.BuildDiagnosticsAsync(compilation))
            .Where(d => d.Id == "TLLM2006")
            .ToList();

        Assert.Equal(3, findings.Count);
        var direct = findings[0];
        Assert.Equal("handler", direct.Properties["Tier"]);
        Assert.Empty(direct.AdditionalLocations);
        Assert.EndsWith("or take an LlmAttempt", direct.GetMessage(), System.StringComparison.Ordinal);

        var chained = findings.Single(d =>
            d.GetMessage().Contains("Provider.SendAsync", System.StringComparison.Ordinal));
        Assert.Equal("calls", chained.Properties["Tier"]);
        Assert.EndsWith(
            " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Orchestrator.RunAsync → "
            + "Provider.SendAsync)",
            chained.GetMessage(),
            System.StringComparison.Ordinal);
        Assert.Equal(
            new[] { "Orchestrator.RunAsync(http, request.Model!)", "Provider.SendAsync(http, prompt)" },
            chained.AdditionalLocations.Select(l => text.Substring(l.SourceSpan.Start, l.SourceSpan.Length)));
        Assert.Equal("2", chained.Properties["PathCalls"]);

        var dispatched = findings.Single(d =>
            d.GetMessage().Contains("Primary.CompleteAsync", System.StringComparison.Ordinal));
        Assert.Equal("dispatch", dispatched.Properties["Tier"]);
        Assert.EndsWith(
            " (reached from route 'POST /v1/chat/completions' through Routes.Chat → IBackend.CompleteAsync → "
            + "Primary.CompleteAsync)",
            dispatched.GetMessage(),
            System.StringComparison.Ordinal);
        Assert.Equal(
            new[] { "backend.CompleteAsync(http, text)" },
            dispatched.AdditionalLocations.Select(l => text.Substring(l.SourceSpan.Start, l.SourceSpan.Length)));
    }

    /// <summary>A decorator that declares <c>IChatClient</c> again beside its library base is one implementation of
    /// the interface, not two: its base call is reached through calls, not through dispatch.</summary>
    [Fact]
    public async Task ADecoratorDeclaringTheInterfaceAgainIsOneImplementation()
    {
        var compilation = ProjectAnalysis.Compile("using System.Linq;\nusing Microsoft.Extensions.AI;\n"
            + Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request, IChatClient chat)
                {
                    var response = await chat.GetResponseAsync("hi");
                    return new Reply { Text = response.Text + response.FinishReason };
                }
            }

            internal sealed class Logged(IChatClient inner) : DelegatingChatClient(inner), IChatClient
            {
                public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
                    ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                    base.GetResponseAsync(messages, options, cancellationToken);
            }
            """);
        var decorated = (await ProjectAnalysis.BuildDiagnosticsAsync(compilation))
            .Single(d => d.Id == "TLLM2006" && d.GetMessage().Contains("Logged", System.StringComparison.Ordinal));
        Assert.Equal("calls", decorated.Properties["Tier"]);
    }

    [Fact]
    public async Task TheEditorsDocumentAnalysisShowsTheHandlersFindingAsTheBuildDoes()
    {
        var compilation = ProjectAnalysis.Compile(Source);
        var live = await ProjectAnalysis.DocumentDiagnosticsAsync(compilation, compilation.SyntaxTrees.First());
        var build = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);
        var first = Assert.Single(live, d => d.Id == "TLLM2006");
        Assert.Contains(
            build,
            d => d.Id == first.Id && d.Location == first.Location && d.GetMessage() == first.GetMessage());
    }
}
