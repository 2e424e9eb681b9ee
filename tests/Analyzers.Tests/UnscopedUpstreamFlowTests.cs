using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 78, items 1 and 2: TLLM2006 follows a send's client, request and address to where the code makes them (through
/// parameters, locals, fields, constants, concatenations and conditionals), and leaves out a send whose client the
/// compilation registers with <c>AddTracedLlmAttempts()</c>, or the team declares so.
/// </summary>
public sealed class UnscopedUpstreamFlowTests
{
    private static string Message(string call, string path = "") => UnscopedUpstreamCallTests.Message(call) + path;

    /// <summary>
    /// The translating proxy's main route: the named client and the request (its URL built from configuration) are made in the
    /// route and sent by private helpers, one for JSON and one for a stream. Its twin sends in place and is reported while typing.
    /// </summary>
    [Fact]
    public Task ASendInAHelperIsReadWithWhatTheRouteHandsIt() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory, Microsoft.Extensions.Configuration.IConfiguration configuration)
            {
                var client = factory.CreateClient("upstream");
                var url = $"{configuration["Upstream:BaseUrl"]}/v1/messages";
                using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(request) };
                return request.Model == "stream" ? await StreamAsync(client, message) : await SendJsonAsync(client, message);
            }

            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, HttpClient http, Microsoft.Extensions.Configuration.IConfiguration configuration)
            {
                using var response = await {|#2:http.PostAsJsonAsync($"{configuration["Upstream:BaseUrl"]}/v1/messages", request)|};
                return new Reply { Text = await response.Content.ReadAsStringAsync() };
            }

            private static async Task<Reply> SendJsonAsync(HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|#0:client.SendAsync(message)|};
                return new Reply { Text = await response.Content.ReadAsStringAsync() };
            }

            private static async Task<Reply> StreamAsync(HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|#1:client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|};
                return new Reply { Text = response.ReasonPhrase };
            }
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Routes.SendJsonAsync)")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.SendAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Routes.StreamAsync)")),
        Diagnostic("TLLM2006", 2, Message("HttpClient.PostAsJsonAsync")));

    /// <summary>Two calls down, the address given as a string and the client as a declared named client's, through a local and a conditional.</summary>
    [Fact]
    public Task TheClientsNameAndTheAddressAreFollowedUpTheCalls() => DeclaredAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory)
            {
                var client = request.Model is null ? factory.CreateClient("primary") : factory.CreateClient(Names.Backup);
                return new Reply { Text = await Orchestrator.RunAsync(client, "run/" + request.Model) };
            }
        }

        internal static class Names { public const string Backup = "backup-llm"; }

        internal static class Orchestrator
        {
            public static Task<string> RunAsync(HttpClient client, string path) => Provider.SendAsync(client, path);
        }

        internal static class Provider
        {
            public static async Task<string> SendAsync(HttpClient client, string path) =>
                await (await {|#0:client.PostAsync(path, new StringContent("{}"))|}).Content.ReadAsStringAsync();
        }
        """,
        "dotnet_code_quality.TLLM2006.model_http_clients = backup-llm",
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Orchestrator.RunAsync → Provider.SendAsync)")));

    /// <summary>A request a helper builds from the address it is given (points-to analysis follows it into the helper), and addresses kept in fields.</summary>
    [Fact]
    public Task RequestsMadeByHelpersAndAddressesInFieldsAreRead() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            private const string Host = "https://api.anthropic.com";
            private static readonly string Completions = "https://api.openai.com/v1/chat/completions";

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                using var built = Requests.Post(Host + "/v1/messages");
                using var first = await {|#0:http.SendAsync(built)|};
                using var second = await {|#1:http.PostAsync(Completions, new StringContent("{}"))|};
                return new Reply { Text = first.ReasonPhrase + second.ReasonPhrase };
            }
        }

        internal static class Requests
        {
            public static HttpRequestMessage Post(string url) => new(HttpMethod.Post, url) { Content = new StringContent("{}") };
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.PostAsync")));

    /// <summary>A helper that sends what it is given is no model call where no caller gives it a model API's client or address.</summary>
    [Fact]
    public Task AHelperGivenNoModelsClientOrAddressIsClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http, IHttpClientFactory factory)
            {
                await Hooks.NotifyAsync(http, "https://hooks.contoso.com/delivered");
                await Hooks.NotifyAsync(factory.CreateClient("hooks"), $"https://hooks.contoso.com/{request.Model}");
                return new Reply();
            }
        }

        internal static class Hooks
        {
            public static Task NotifyAsync(HttpClient client, string url) => client.PostAsync(url, new StringContent("{}"));
        }
        """);

    private const string Registered = "using Microsoft.Extensions.DependencyInjection;\n" + Corpus.Header + """
        internal static class Startup
        {
            public static void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
            {
                services.AddHttpClient("OpenRouter").AddTracedLlmAttempts();
                var builder = services.AddHttpClient<OpenAiClient>().ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(30));
                builder.AddTracedLlmAttempts();
            }
        }

        internal sealed class OpenAiClient(HttpClient http)
        {
            public Task<HttpResponseMessage> CompleteAsync(string body) => http.PostAsync("https://api.openai.com/v1/chat/completions", new StringContent(body));
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory, OpenAiClient openAi)
            {
                using var routed = await factory.CreateClient("OpenRouter").PostAsync("https://openrouter.ai/api/v1/chat/completions", new StringContent("{}"));
                using var typed = await openAi.CompleteAsync("{}");
                using var relayed = await Relay.SendAsync(factory.CreateClient("OpenRouter"));
                using var direct = await Relay.SendAsync(factory.CreateClient("direct"));
                return new Reply { Text = routed.ReasonPhrase + typed.ReasonPhrase + relayed.ReasonPhrase + direct.ReasonPhrase };
            }
        }

        internal static class Relay
        {
            public static Task<HttpResponseMessage> SendAsync(HttpClient client) =>
                {|#0:client.PostAsync("https://openrouter.ai/api/v1/chat/completions", new StringContent("{}"))|};
        }
        """;

    /// <summary>
    /// Every send of a named or typed client registered with <c>AddTracedLlmAttempts()</c> is an attempt: not reported, in the
    /// route, in the typed client, or in a helper the client is handed to; the same helper handed another client is.
    /// </summary>
    [Fact]
    public Task ClientsRegisteredAsAttemptsAreClean() => AnalyzerAsync(
        Registered,
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Relay.SendAsync)")));

    /// <summary>Without the registrations, the same sends are model calls outside an attempt.</summary>
    [Fact]
    public Task WithoutTheRegistrationsTheSameSendsAreReported() => AnalyzerAsync(
        Registered.Replace("builder.AddTracedLlmAttempts();", string.Empty, System.StringComparison.Ordinal)
            .Replace(".AddTracedLlmAttempts()", string.Empty, System.StringComparison.Ordinal)
            .Replace("using var routed = await factory", "using var routed = await {|#1:factory", System.StringComparison.Ordinal)
            .Replace("new StringContent(\"{}\"));\n        using var typed", "new StringContent(\"{}\"))|};\n        using var typed", System.StringComparison.Ordinal)
            .Replace("=> http.PostAsync(\"https://api.openai.com/v1/chat/completions\", new StringContent(body));", "=> {|#2:http.PostAsync(\"https://api.openai.com/v1/chat/completions\", new StringContent(body))|};", System.StringComparison.Ordinal),
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Relay.SendAsync)")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.PostAsync")),
        Diagnostic("TLLM2006", 2, Message("HttpClient.PostAsync", " (reached from route 'POST /v1/chat/completions' through Routes.Chat → OpenAiClient.CompleteAsync)")));

    /// <summary>
    /// Item 3: every SDK call the rule's page counts as a model call is reported: the OpenAI SDK's service methods that return
    /// a collection result (the Assistants API's <c>GetMessages</c>, <c>GetRuns</c>, the Responses API's stream), its
    /// <c>ClientResult</c> ones, the Anthropic SDK's services, M.E.AI's streaming and embedding extensions.
    /// </summary>
    [Fact]
    public Task EverySdkCallThePageCountsIsReported() => AnalyzerAsync(
        "#pragma warning disable OPENAI001\nusing Microsoft.Extensions.AI;\n" + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IChatClient chat, IEmbeddingGenerator<string, Embedding<float>> embeddings,
                Anthropic.AnthropicClient anthropic, Anthropic.Models.Messages.MessageCountTokensParams count)
            {
                var assistants = new OpenAI.Assistants.AssistantClient("key");
                var responses = new OpenAI.Responses.ResponsesClient("key");
                var run = await {|#0:assistants.CreateRunAsync("thread", "assistant")|};
                var text = "";
                foreach (var message in {|#1:assistants.GetMessages("thread")|}) { text += message; }
                await foreach (var message in {|#2:assistants.GetMessagesAsync("thread")|}) { text += message; }
                await foreach (var past in {|#3:assistants.GetRunsAsync("thread")|}) { text += past; }
                await foreach (var update in await {|#4:responses.CreateResponseStreamingAsync(new OpenAI.Responses.CreateResponseOptions())|}) { text += update; }
                await foreach (var update in {|#5:chat.GetStreamingResponseAsync("hello")|}) { text += update; }
                var vector = await {|#6:embeddings.GenerateVectorAsync("hello")|};
                var tokens = await {|#7:anthropic.Messages.CountTokens(count)|};
                return new Reply { Text = $"{text}{run.Value}{vector.Length}{tokens}" };
            }
        }
        """,
        new[] { typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly, typeof(Anthropic.AnthropicClient).Assembly },
        Diagnostic("TLLM2006", 0, Message("AssistantClient.CreateRunAsync")),
        Diagnostic("TLLM2006", 1, Message("AssistantClient.GetMessages")),
        Diagnostic("TLLM2006", 2, Message("AssistantClient.GetMessagesAsync")),
        Diagnostic("TLLM2006", 3, Message("AssistantClient.GetRunsAsync")),
        Diagnostic("TLLM2006", 4, Message("ResponsesClient.CreateResponseStreamingAsync")),
        Diagnostic("TLLM2006", 5, Message("IChatClient.GetStreamingResponseAsync")),
        Diagnostic("TLLM2006", 6, Message("IEmbeddingGenerator.GenerateVectorAsync")),
        Diagnostic("TLLM2006", 7, Message("IMessageService.CountTokens")));
}
