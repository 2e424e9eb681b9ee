using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 78, item 2, for Microsoft.Extensions.AI: a call on an <c>IChatClient</c> the container resolves is an attempt
/// when every registration of that client ends its builder with <c>UseTracedLlm()</c>; a client the code cannot tell
/// apart from one registered without it stays a finding.
/// </summary>
public sealed class UseTracedLlmTests
{
    /// <summary>Microsoft.Extensions.AI's builders and TracedLlm.Extensions.AI's <c>UseTracedLlm()</c>.</summary>
    internal static readonly Assembly[] Libraries =
    {
        typeof(Microsoft.Extensions.AI.ChatClientBuilder).Assembly,
        typeof(Microsoft.Extensions.AI.TracedLlmChatClientBuilderExtensions).Assembly,
    };

    internal const string Usings = """
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;

        """;

    private static string Message(string call, string chain = "") => UnscopedUpstreamCallTests.Message(call)
        + (chain.Length == 0 ? string.Empty : $" (reached from route 'POST /v1/chat' through {chain})");

    /// <summary>The container's chat client reached five ways.</summary>
    /// <remarks>A route's parameter, a helper it is handed to, a service's primary constructor, a readonly field a
    /// constructor sets, and resolved by hand from the request's services.</remarks>
    private const string Registered = Usings + Corpus.Header + """
        internal static class Startup
        {
            public static void Register(IServiceCollection services, IChatClient inner)
            {
                var chat = services.AddChatClient(inner).UseLogging();
                chat.UseTracedLlm().UseOpenTelemetry();
            }
        }

        internal sealed class Summaries(IChatClient chat)
        {
            public Task<ChatResponse> SummarizeAsync(string text) => @2chat.GetResponseAsync(text)@;
        }

        internal sealed class Titles
        {
            private readonly IChatClient _chat;

            public Titles(IChatClient chat) => _chat = chat;

            public Task<ChatResponse> TitleAsync(string text) => @3_chat.GetResponseAsync(text)@;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(
                ChatRequest request, IChatClient chat, Summaries summaries, Titles titles, HttpContext context)
            {
                var reply = await @0chat.GetResponseAsync("hello")@;
                var text = await StreamAsync(chat);
                var summary = await summaries.SummarizeAsync(text);
                var title = await titles.TitleAsync(text);
                var resolved = context.RequestServices.GetRequiredService<IChatClient>();
                var again = await @4resolved.GetResponseAsync("again")@;
                return new Reply { Text = $"{reply}{summary}{title}{again}" };
            }

            private static async Task<string> StreamAsync(IChatClient chat)
            {
                var text = "";
                await foreach (var update in @1chat.GetStreamingResponseAsync("hello")@)
                {
                    text += update;
                }

                return text;
            }
        }
        """;

    [Fact]
    public Task CallsOnAClientRegisteredWithUseTracedLlmAreAttempts() => AnalyzerAsync(
        Marked(Registered, markup: false), Libraries);

    [Fact]
    public Task WithoutUseTracedLlmTheSameCallsAreReported() => AnalyzerAsync(
        Marked(Registered.Replace("chat.UseTracedLlm().UseOpenTelemetry();", "chat.UseOpenTelemetry();",
            System.StringComparison.Ordinal), markup: true),
        Libraries,
        Diagnostic("TLLM2006", 0, Message("IChatClient.GetResponseAsync")),
        Diagnostic(
            "TLLM2006", 1, Message("IChatClient.GetStreamingResponseAsync", "Routes.Chat → Routes.StreamAsync")),
        Diagnostic("TLLM2006", 2, Message("IChatClient.GetResponseAsync", "Routes.Chat → Summaries.SummarizeAsync")),
        Diagnostic("TLLM2006", 3, Message("IChatClient.GetResponseAsync", "Routes.Chat → Titles.TitleAsync")),
        Diagnostic("TLLM2006", 4, Message("IChatClient.GetResponseAsync")));

    /// <summary>
    /// Keyed clients are told apart by a key the code shows: the traced key's calls are attempts; the other key's, the
    /// unkeyed client's (none is registered) and one resolved under a key only known at run time are not.
    /// </summary>
    [Fact]
    public Task KeyedClientsAreToldApartByTheirKey() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Startup
        {
            public const string Traced = "traced";

            public static void Register(IServiceCollection services, IChatClient first, IChatClient second)
            {
                services.AddKeyedChatClient(Traced, first).UseTracedLlm();
                services.AddKeyedChatClient("raw", second);
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request, HttpContext context,
                [FromKeyedServices("traced")] IChatClient traced, [FromKeyedServices("raw")] IChatClient raw,
                IChatClient plain)
            {
                var first = await traced.GetResponseAsync("hello");
                var second = await {|#0:raw.GetResponseAsync("hello")|};
                var third = await {|#1:plain.GetResponseAsync("hello")|};
                var byName = context.RequestServices.GetRequiredKeyedService<IChatClient>(request.Model);
                var fourth = await {|#2:byName.GetResponseAsync("hello")|};
                var byConstant = context.RequestServices.GetRequiredKeyedService<IChatClient>(Startup.Traced);
                var fifth = await byConstant.GetResponseAsync("hello");
                return new Reply { Text = $"{first}{second}{third}{fourth}{fifth}" };
            }
        }
        """,
        Libraries,
        Diagnostic("TLLM2006", 0, Message("IChatClient.GetResponseAsync")),
        Diagnostic("TLLM2006", 1, Message("IChatClient.GetResponseAsync")),
        Diagnostic("TLLM2006", 2, Message("IChatClient.GetResponseAsync")));

    /// <summary>
    /// Two registrations of the unkeyed client, one without <c>UseTracedLlm()</c>: which one the container resolves is
    /// not in the code, so its calls stay findings; a client the route makes itself never was the container's.
    /// </summary>
    [Fact]
    public Task AClientTheCodeCannotTellApartStaysAFinding() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Startup
        {
            public static void Register(IServiceCollection services, IChatClient first, IChatClient second)
            {
                services.AddChatClient(first).UseTracedLlm();
                services.AddSingleton<IChatClient>(second);
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request, IChatClient chat, IChatClient inner)
            {
                var first = await {|#0:chat.GetResponseAsync("hello")|};
                var own = new ChatClientBuilder(inner).Build();
                var second = await {|#1:own.GetResponseAsync("hello")|};
                return new Reply { Text = $"{first}{second}" };
            }
        }
        """,
        Libraries,
        Diagnostic("TLLM2006", 0, Message("IChatClient.GetResponseAsync")),
        Diagnostic("TLLM2006", 1, Message("IChatClient.GetResponseAsync")));

    /// <summary>An Infrastructure service the API project's container builds, with the client it registers.</summary>
    private const string Infrastructure = """
        using Microsoft.Extensions.AI;

        [assembly: TracedLlmCode]

        namespace Contoso.Application;

        public sealed class ChatService(IChatClient chat)
        {
            public async Task<string> AskAsync(string prompt, CancellationToken cancellationToken)
            {
                var response = await {|#0:chat.GetResponseAsync(prompt, cancellationToken: cancellationToken)|};
                return response.Text;
            }
        }
        """;

    private const string Api = """
        using Microsoft.Extensions.AI;
        using Microsoft.Extensions.DependencyInjection;

        namespace Contoso.Api;

        public sealed class ChatRequest { public string? Prompt { get; set; } }

        public static class Routes
        {
            public static void Register(IServiceCollection services, IChatClient inner) =>
                services.AddChatClient(inner).UseTracedLlm();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<string> Chat(ChatRequest request, IChatClient chat, ChatService service,
                CancellationToken token) =>
                (await chat.GetResponseAsync(request.Prompt!, cancellationToken: token)).Text
                + await service.AskAsync(request.Prompt!, token);
        }
        """;

    /// <summary>The registering project needs nothing; the library it references, one line naming the client.</summary>
    [Fact]
    public Task AClientTheLibraryCannotSeeRegisteredIsDeclaredOnce() => AcrossProjectsAsync(
        "dotnet_code_quality.TLLM2006.attempt_clients = IChatClient",
        Infrastructure.Replace("{|#0:", string.Empty, System.StringComparison.Ordinal)
            .Replace("|}", string.Empty, System.StringComparison.Ordinal));

    [Fact]
    public Task UndeclaredTheLibrarysCallIsReported() => AcrossProjectsAsync(
        editorConfig: null,
        Infrastructure,
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(
            UnscopedUpstreamCallTests.Message("IChatClient.GetResponseAsync")
            + " (reached from traced code 'ChatService.AskAsync' through ChatService.AskAsync)"),
        Unfinished(0, " (reached from traced code 'ChatService.AskAsync' through ChatService.AskAsync)"));

    /// <summary>The library as its own project, referenced by the API project that registers the client.</summary>
    private static Task AcrossProjectsAsync(string? editorConfig, string library, params DiagnosticResult[] expected)
    {
        const string Common = "using System.Threading;\nusing System.Threading.Tasks;\nusing TracedLlm;\n";
        var test = new TracedLlmTest<EmptyCodeFixProvider> { TestCode = Common + "using Contoso.Application;\n" + Api };
        var project = test.TestState.AdditionalProjects["Contoso.Application"];
        project.Sources.Add(("/Application/Application.cs", Common + library));
        project.AdditionalReferences.AddRange(Testing.TestReferences.All);
        foreach (var reference in Libraries.Select(l => MetadataReference.CreateFromFile(l.Location)))
        {
            project.AdditionalReferences.Add(reference);
            test.TestState.AdditionalReferences.Add(reference);
        }

        test.TestState.AdditionalProjectReferences.Add("Contoso.Application");
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", $"root = true\n\n[*.cs]\n{editorConfig}\n"));
            project.AnalyzerConfigFiles.Add(("/.editorconfig", $"root = true\n\n[*.cs]\n{editorConfig}\n"));
        }

        test.ExpectedDiagnostics.AddRange(expected.Select(e =>
            e.Severity == DiagnosticSeverity.Info ? e : e.WithSeverity(DefaultSeverity(e.Id))));
        return test.RunAsync();
    }
}
