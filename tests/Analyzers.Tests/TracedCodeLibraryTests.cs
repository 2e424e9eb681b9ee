using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 66, item 3: a solution in several projects. The route is in the API project; the code it calls is in a library
/// (Application, Infrastructure) that has no route. A library that says so with <c>[TracedLlmCode]</c> is read as
/// traced code: its entry points are roots of their own, and its findings are reported in the library's own build.
/// </summary>
public sealed class TracedCodeLibraryTests
{
    private const string Usings = """
        using System;
        using System.Net.Http;
        using System.Text.Json.Nodes;
        using System.Threading;
        using System.Threading.Tasks;
        using TracedLlm;

        """;

    /// <summary>
    /// The Application layer: an orchestrator behind a public interface, a provider, a hosted service, a helper nobody
    /// calls.
    /// </summary>
    private const string Application = """
        namespace Contoso.Application;

        public interface IChatOrchestrator
        {
            Task<string> RunAsync(string prompt, CancellationToken cancellationToken);
        }

        internal sealed class ChatOrchestrator(HttpClient http) : IChatOrchestrator
        {
            public async Task<string> RunAsync(string prompt, CancellationToken cancellationToken)
            {
                try
                {
                    var response = await {|#0:http.PostAsync("https://api.openai.com/v1/chat/completions",
                        new StringContent(prompt), cancellationToken)|};
                    return await response.Content.ReadAsStringAsync(cancellationToken);
                }
                {|#1:catch|} (HttpRequestException)
                {
                    return "";
                }
            }
        }

        public static class Models
        {
            public static async Task<string> SummarizeAsync(HttpClient http, string text) =>
                await (await {|#2:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(text))|}).Content.ReadAsStringAsync();

            internal static async Task<string> NobodyCallsAsync(HttpClient http, string text) =>
                await (await http.PostAsync("https://api.openai.com/v1/embeddings",
                    new StringContent(text))).Content.ReadAsStringAsync();
        }

        internal sealed class Warmup(HttpClient http) : Microsoft.Extensions.Hosting.IHostedService
        {
            public async Task StartAsync(CancellationToken cancellationToken)
            {
                try { await http.PostAsync("https://api.openai.com/v1/chat/completions", new StringContent("ping"),
                    cancellationToken); }
                catch (HttpRequestException) { }
            }

            public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        }
        """;

    /// <summary>The API project: a route that calls the orchestrator, inside an attempt.</summary>
    private const string Api = """
        namespace Contoso.Api;

        public sealed class ChatRequest { public string? Prompt { get; set; } }

        public static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<string> Chat(ChatRequest request, IChatOrchestrator orchestrator, LlmCall call) =>
                await call.ExecuteAsync<string>(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    (attempt, token) => orchestrator.RunAsync(request.Prompt!, token));
        }
        """;

    [Fact]
    public Task LibraryMarkedOnTheAssemblyIsReadFromItsEntryPoints() => RunAsync(
        "[assembly: TracedLlmCode]\n" + Application,
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0),
        DiagnosticResult.CompilerWarning("TLLM2004").WithLocation(1),
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(2));

    [Fact]
    public Task LibraryWithoutTheAttributeHasNoTracedCode() => RunAsync(Unmarked(Application));

    [Fact]
    public Task TypeMarkReadsOnlyThatType() =>
        RunAsync(
            Unmarked(Application)
                .Replace(
                    "public static class Models",
                    "[TracedLlmCode]\npublic static class Models",
                    System.StringComparison.Ordinal)
                .Replace(
                    "await http.PostAsync(\"https://api.openai.com/v1/chat/completions\",\n"
                    + "            new StringContent(text))).Content",
                    "await {|#2:http.PostAsync(\"https://api.openai.com/v1/chat/completions\",\n"
                    + "            new StringContent(text))|}).Content",
                    System.StringComparison.Ordinal),
            DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(2));

    [Fact]
    public Task MethodMarkReadsThatMethodWhateverItsAccessibility() =>
        RunAsync(
            Unmarked(Application)
                .Replace(
                    "internal static async Task<string> NobodyCallsAsync",
                    "[TracedLlmCode]\n    internal static async Task<string> NobodyCallsAsync",
                    System.StringComparison.Ordinal)
                .Replace(
                    "http.PostAsync(\"https://api.openai.com/v1/embeddings\",\n            new StringContent(text))",
                    "{|#3:http.PostAsync(\"https://api.openai.com/v1/embeddings\",\n"
                    + "            new StringContent(text))|}",
                    System.StringComparison.Ordinal),
            DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(3));

    [Fact]
    public Task DeclaredSlotChecksTheLibrarysKeys() => RunAsync(
        TaggingApi,
        """
        [assembly: TracedLlmCode(MetadataSlot = "litellm_metadata")]

        namespace Contoso.Application;

        public static class Tagging
        {
            public static string? User(JsonObject body) => (string?)body[{|#0:"metadata"|}]?["user_id"];
        }
        """,
        DiagnosticResult.CompilerWarning("TLLM2001").WithLocation(0)
            .WithMessage("Metadata slot mismatch: key 'metadata' names a metadata slot, "
                + "but this code is reached from traced code 'Tagging.User' (slot 'litellm_metadata') "
                + "(through Tagging.User)"));

    [Fact]
    public Task UndeclaredSlotLeavesTheLibrarysKeysAlone() => RunAsync(
        TaggingApi,
        """
        [assembly: TracedLlmCode]

        namespace Contoso.Application;

        public static class Tagging
        {
            public static string? User(JsonObject body) => (string?)body["metadata"]?["user_id"];
        }
        """);

    /// <summary>
    /// Issue 78, item 2: an Infrastructure service sends through a named client that only the API project registers
    /// with <c>AddTracedLlmAttempts()</c>, which Infrastructure's build cannot see.
    /// </summary>
    private const string Infrastructure = """
        [assembly: TracedLlmCode]

        namespace Contoso.Application;

        public sealed class OpenRouterChatService(IHttpClientFactory factory)
        {
            public const string ClientName = "OpenRouter";

            public async Task<string> CompleteAsync(string prompt, CancellationToken cancellationToken)
            {
                var client = factory.CreateClient(ClientName);
                var url = "https://openrouter.ai/api/v1/chat/completions";
                using var response = await {|#0:client.PostAsync(url, new StringContent(prompt), cancellationToken)|};
                return await response.Content.ReadAsStringAsync(cancellationToken);
            }
        }
        """;

    /// <summary>The API project: it registers Infrastructure's client as attempts; its route calls it.</summary>
    private const string RegisteringApi = """
        using Microsoft.Extensions.DependencyInjection;

        namespace Contoso.Api;

        public sealed class ChatRequest { public string? Prompt { get; set; } }

        public static class Routes
        {
            public static void Register(IServiceCollection services) =>
                services.AddHttpClient(OpenRouterChatService.ClientName).AddTracedLlmAttempts();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Task<string> Chat(ChatRequest request, OpenRouterChatService chat, CancellationToken token) =>
                chat.CompleteAsync(request.Prompt!, token);
        }
        """;

    [Fact]
    public Task AnAttemptClientTheLibraryCannotSeeRegisteredIsDeclaredOnce() =>
        RunAsync(RegisteringApi, Unmarked(Infrastructure), "dotnet_code_quality.TLLM2006.attempt_clients = OpenRouter");

    [Fact]
    public Task UndeclaredTheLibrarysSendThroughItIsReported() => RunAsync(
        RegisteringApi,
        Infrastructure,
        editorConfig: null,
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(
            UnscopedUpstreamCallTests.Message("HttpClient.PostAsync") + " (reached from traced code "
            + "'OpenRouterChatService.CompleteAsync' through OpenRouterChatService.CompleteAsync)"));

    private static string Unmarked(string library) =>
        library
            .Replace("{|#0:", string.Empty, System.StringComparison.Ordinal)
            .Replace("{|#1:", string.Empty, System.StringComparison.Ordinal)
            .Replace("{|#2:", string.Empty, System.StringComparison.Ordinal)
            .Replace("|}", string.Empty, System.StringComparison.Ordinal);

    /// <summary>An API project whose route reads the metadata of the request's body through the library.</summary>
    private const string TaggingApi = """
        namespace Contoso.Api;

        public static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static string? Messages(JsonObject body) => Tagging.User(body);
        }
        """;

    private static Task RunAsync(string library, params DiagnosticResult[] expected) =>
        RunAsync(Api, library, null, expected);

    private static Task RunAsync(string api, string library, params DiagnosticResult[] expected) =>
        RunAsync(api, library, null, expected);

    /// <summary>
    /// The library as its own project, referenced by the API project with the route; diagnostics are expected in the
    /// library. <paramref name="editorConfig"/>'s lines, when given, are the solution's <c>.editorconfig</c>.
    /// </summary>
    private static Task RunAsync(string api, string library, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new TracedLlmTest<Microsoft.CodeAnalysis.Testing.EmptyCodeFixProvider>
        {
            TestCode = Usings + "using Contoso.Application;\n" + api
        };
        var project = test.TestState.AdditionalProjects["Contoso.Application"];
        project.Sources.Add(("/Application/Application.cs", Usings + library));
        project.AdditionalReferences.AddRange(Testing.TestReferences.All);
        test.TestState.AdditionalProjectReferences.Add("Contoso.Application");
        if (editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig + "\n"));
            project.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig + "\n"));
        }

        foreach (var result in expected)
        {
            test.ExpectedDiagnostics.Add(result.WithSeverity(Verify.DefaultSeverity(result.Id)));
        }

        return test.RunAsync();
    }
}
