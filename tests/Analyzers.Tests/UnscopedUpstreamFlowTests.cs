using System.Linq;
using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 78, items 1 to 3: TLLM2006 follows a send's client, request and address to where the code makes them
/// (parameters, locals, fields, constants, concatenations, conditionals), leaves out a send whose client the
/// compilation registers with <c>AddTracedLlmAttempts()</c>, and reports every SDK call its page counts.
/// </summary>
public sealed class UnscopedUpstreamFlowTests
{
    private const string Configuration = "using Configuration = Microsoft.Extensions.Configuration.IConfiguration;\n";

    private static string Message(string call, string chain = "") => UnscopedUpstreamCallTests.Message(call)
        + (chain.Length == 0 ? string.Empty : $" (reached from route 'POST /v1/chat/completions' through {chain})");

    /// <summary>
    /// A translating proxy's main route: the named client and the request (its URL built from configuration) are made
    /// in the route and sent by private helpers, one for JSON, one for a stream. Its twin sends in place.
    /// </summary>
    [Fact]
    public Task ASendInAHelperIsReadWithWhatTheRouteHandsIt() => AnalyzerAsync(Configuration + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory, Configuration config)
            {
                var client = factory.CreateClient("upstream");
                var url = $"{config["Upstream:BaseUrl"]}/v1/messages";
                using var message = new HttpRequestMessage(HttpMethod.Post, url);
                message.Content = JsonContent.Create(request);
                return request.Model == "stream"
                    ? await StreamAsync(client, message)
                    : await SendJsonAsync(client, message);
            }

            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, HttpClient http, Configuration config)
            {
                var url = $"{config["Upstream:BaseUrl"]}/v1/messages";
                using var response = await {|#2:http.PostAsJsonAsync(url, request)|};
                return new Reply { Text = await response.Content.ReadAsStringAsync() };
            }

            private static async Task<Reply> SendJsonAsync(HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|#0:client.SendAsync(message)|};
                return new Reply { Text = await response.Content.ReadAsStringAsync() };
            }

            private static async Task<Reply> StreamAsync(HttpClient client, HttpRequestMessage message)
            {
                var headers = HttpCompletionOption.ResponseHeadersRead;
                using var response = await {|#1:client.SendAsync(message, headers)|};
                return new Reply { Text = response.ReasonPhrase };
            }
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync", "Routes.Chat → Routes.SendJsonAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.SendAsync", "Routes.Chat → Routes.StreamAsync")),
        Diagnostic("TLLM2006", 2, Message("HttpClient.PostAsJsonAsync")));

    /// <summary>Two calls down: the address given as a string, a declared named client through a conditional.</summary>
    [Fact]
    public Task TheClientsNameAndTheAddressAreFollowedUpTheCalls() => DeclaredAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory)
            {
                var client = request.Model is null
                    ? factory.CreateClient("primary")
                    : factory.CreateClient(Names.Backup);
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
        Diagnostic("TLLM2006", 0,
            Message("HttpClient.PostAsync", "Routes.Chat → Orchestrator.RunAsync → Provider.SendAsync")));

    /// <summary>
    /// A client's name handed down as a string names the client the helper makes: a declared model's is a model call,
    /// one registered as attempts (here, <c>"routed"</c>) is an attempt, another (<c>"hooks"</c>) is neither.
    /// </summary>
    [Fact]
    public Task AClientsNameHandedDownNamesTheClientTheHelperMakes() => DeclaredAsync(
        "using Microsoft.Extensions.DependencyInjection;\n" + Corpus.Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services) =>
                services.AddHttpClient("routed").AddTracedLlmAttempts();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory)
            {
                await Sender.SendAsync(factory, "hooks");
                await Sender.SendAsync(factory, "routed");
                await Sender.SendAsync(factory, Names.Model);
                return new Reply();
            }
        }

        internal static class Names { public const string Model = "backup-llm"; }

        internal static class Sender
        {
            public static Task SendAsync(IHttpClientFactory factory, string name) =>
                {|#0:factory.CreateClient(name).PostAsync("run", new StringContent("{}"))|};
        }
        """,
        "dotnet_code_quality.TLLM2006.model_http_clients = backup-llm|routed",
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", "Routes.Chat → Sender.SendAsync")));

    /// <summary>A request a helper builds from the address it is given, and addresses kept in fields.</summary>
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
            public static HttpRequestMessage Post(string url) =>
                new(HttpMethod.Post, url) { Content = new StringContent("{}") };
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.PostAsync")));

    /// <summary>A helper that sends what it gets is no model call where no caller gives it a model's address.</summary>
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
            public static Task NotifyAsync(HttpClient client, string url) =>
                client.PostAsync(url, new StringContent("{}"));
        }
        """);

    private const string Registered = "using Microsoft.Extensions.DependencyInjection;\n" + Corpus.Header + """
        internal static class Startup
        {
            public static void Register(IServiceCollection services)
            {
                services.AddHttpClient("OpenRouter").AddTracedLlmAttempts();
                var builder = services.AddHttpClient<OpenAiClient>()
                    .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(30));
                builder.AddTracedLlmAttempts();
            }
        }

        internal sealed class OpenAiClient(HttpClient http)
        {
            public Task<HttpResponseMessage> CompleteAsync(string body) =>
                @2http.PostAsync("https://api.openai.com/v1/chat/completions", new StringContent(body))@;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory, OpenAiClient openAi)
            {
                var routed = factory.CreateClient("OpenRouter");
                var url = "https://openrouter.ai/api/v1/chat/completions";
                using var sent = await @1routed.PostAsync(url, new StringContent("{}"))@;
                using var typed = await openAi.CompleteAsync("{}");
                using var relayed = await Relay.SendAsync(factory.CreateClient("OpenRouter"));
                using var direct = await Relay.SendAsync(factory.CreateClient("direct"));
                return new Reply { Text = $"{sent}{typed}{relayed}{direct}" };
            }
        }

        internal static class Relay
        {
            public static Task<HttpResponseMessage> SendAsync(HttpClient client) =>
                {|#0:client.PostAsync("https://openrouter.ai/api/v1/chat/completions", new StringContent("{}"))|};
        }
        """;

    /// <summary>
    /// Every send of a named or typed client registered with <c>AddTracedLlmAttempts()</c> is an attempt: not reported
    /// in the route, in the typed client, or in a helper it is handed to; the same helper handed another client is.
    /// </summary>
    [Fact]
    public Task ClientsRegisteredAsAttemptsAreClean() => AnalyzerAsync(
        Registered.Replace("@1", string.Empty, System.StringComparison.Ordinal)
            .Replace("@2", string.Empty, System.StringComparison.Ordinal)
            .Replace("@;", ";", System.StringComparison.Ordinal),
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", "Routes.Chat → Relay.SendAsync")));

    /// <summary>Without the registrations, the same sends are model calls outside an attempt.</summary>
    [Fact]
    public Task WithoutTheRegistrationsTheSameSendsAreReported() => AnalyzerAsync(
        Registered.Replace("builder.AddTracedLlmAttempts();", string.Empty, System.StringComparison.Ordinal)
            .Replace(".AddTracedLlmAttempts()", string.Empty, System.StringComparison.Ordinal)
            .Replace("@1", "{|#1:", System.StringComparison.Ordinal)
            .Replace("@2", "{|#2:", System.StringComparison.Ordinal)
            .Replace("@;", "|};", System.StringComparison.Ordinal),
        Diagnostic("TLLM2006", 0, Message("HttpClient.PostAsync", "Routes.Chat → Relay.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.PostAsync")),
        Diagnostic("TLLM2006", 2, Message("HttpClient.PostAsync", "Routes.Chat → OpenAiClient.CompleteAsync")));

    /// <summary>
    /// Item 3: every SDK call the rule's page counts as a model call is reported: the OpenAI SDK's service methods that
    /// return a collection result (the Assistants API's <c>GetMessages</c>, <c>GetRuns</c>), a streaming result (the
    /// Responses API's) or a <c>ClientResult</c>, the Anthropic SDK's services, M.E.AI's streaming and embedding calls.
    /// </summary>
    [Fact]
    public Task EverySdkCallThePageCountsIsReported() => AnalyzerAsync(
        "#pragma warning disable OPENAI001\nusing Microsoft.Extensions.AI;\n" + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IChatClient chat,
                IEmbeddingGenerator<string, Embedding<float>> embeddings, Anthropic.AnthropicClient anthropic,
                Anthropic.Models.Messages.MessageCountTokensParams count)
            {
                var assistants = new OpenAI.Assistants.AssistantClient("key");
                var responses = new OpenAI.Responses.ResponsesClient("key");
                var options = new OpenAI.Responses.CreateResponseOptions();
                var run = await {|#0:assistants.CreateRunAsync("thread", "assistant")|};
                var text = "";
                foreach (var message in {|#1:assistants.GetMessages("thread")|}) { text += message; }
                await foreach (var message in {|#2:assistants.GetMessagesAsync("thread")|}) { text += message; }
                await foreach (var past in {|#3:assistants.GetRunsAsync("thread")|}) { text += past; }
                var stream = await {|#4:responses.CreateResponseStreamingAsync(options)|};
                await foreach (var update in stream) { text += update; }
                await foreach (var update in {|#5:chat.GetStreamingResponseAsync("hello")|}) { text += update; }
                var vector = await {|#6:embeddings.GenerateVectorAsync("hello")|};
                var tokens = await {|#7:anthropic.Messages.CountTokens(count)|};
                return new Reply { Text = $"{text}{run.Value}{vector.Length}{tokens}" };
            }
        }
        """,
        new[] { typeof(OpenAI.Chat.ChatClient), typeof(System.ClientModel.ClientResult),
            typeof(Anthropic.AnthropicClient) }
            .Select(type => type.Assembly).ToArray(),
        Diagnostic("TLLM2006", 0, Message("AssistantClient.CreateRunAsync")),
        Diagnostic("TLLM2006", 1, Message("AssistantClient.GetMessages")),
        Diagnostic("TLLM2006", 2, Message("AssistantClient.GetMessagesAsync")),
        Diagnostic("TLLM2006", 3, Message("AssistantClient.GetRunsAsync")),
        Diagnostic("TLLM2006", 4, Message("ResponsesClient.CreateResponseStreamingAsync")),
        Diagnostic("TLLM2006", 5, Message("IChatClient.GetStreamingResponseAsync")),
        Diagnostic("TLLM2006", 6, Message("IEmbeddingGenerator.GenerateVectorAsync")),
        Diagnostic("TLLM2006", 7, Message("IMessageService.CountTokens")));

    /// <summary>
    /// Of an interface's implementations, those the app never names outside their own declaration (an SDK's other
    /// adapter) are not followed where it names some (creates or registers them); where it names none (an assembly
    /// scan), every one is.
    /// </summary>
    [Fact]
    public Task AnImplementationTheAppNeverNamesIsNotFollowedWhereItNamesAnother() => AnalyzerAsync(
        Corpus.Header + """
        internal interface IChat { Task<string> AskAsync(HttpClient http, string prompt); }

        internal interface IScanned { Task<string> AskAsync(HttpClient http, string prompt); }

        internal static class Routes
        {
            private static readonly IChat Chat = new CompletionsChat();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Ask(ChatRequest request, HttpClient http, IScanned scanned) =>
                new() { Text = await Chat.AskAsync(http, request.Model!) + await scanned.AskAsync(http, "") };
        }

        internal sealed class CompletionsChat : IChat
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|#0:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }

        internal sealed class ResponsesChat : IChat
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await http.PostAsync("https://api.openai.com/v1/responses",
                    new StringContent(prompt))).Content.ReadAsStringAsync();
        }

        internal sealed class ScannedCompletions : IScanned
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|#1:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }

        internal sealed class ScannedResponses : IScanned
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|#2:http.PostAsync("https://api.openai.com/v1/responses",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }
        """,
        Diagnostic("TLLM2006", 0,
            Message("HttpClient.PostAsync", "Routes.Ask → IChat.AskAsync → CompletionsChat.AskAsync")),
        Diagnostic("TLLM2006", 1,
            Message("HttpClient.PostAsync", "Routes.Ask → IScanned.AskAsync → ScannedCompletions.AskAsync")),
        Diagnostic("TLLM2006", 2,
            Message("HttpClient.PostAsync", "Routes.Ask → IScanned.AskAsync → ScannedResponses.AskAsync")));
}
