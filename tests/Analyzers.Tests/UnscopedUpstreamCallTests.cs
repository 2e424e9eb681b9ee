using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2006: an upstream call in traced code outside an attempt scope.</summary>
public sealed class UnscopedUpstreamCallTests
{
    private const string Usings = "using System.Linq;\nusing Microsoft.Extensions.AI;\n";

    internal static string Message(string call) =>
        $"{call} is called upstream outside an attempt scope, so its retries and fallbacks go unseen; make the call "
        + "inside LlmCall.ExecuteAsync / StreamAsync, or take an LlmAttempt";

    [Fact]
    public Task DirectInAHelperInALambdaAndThroughJsonExtensions() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http, IChatClient chat)
            {
                using var response = await {|#0:http.SendAsync(
                    new HttpRequestMessage(HttpMethod.Post, "http://upstream/v1/chat/completions") {
                        Content = JsonContent.Create(request) })|};
                using var embedded = await Task.Run(() => {|#1:http.PostAsync("http://upstream/v1/embeddings",
                    new StringContent("{}"))|});
                using var posted = await {|#2:http.PostAsJsonAsync("http://upstream/v1/chat/completions", request)|};
                var answer = await Upstream.AskAsync(chat, await embedded.Content.ReadAsStringAsync());
                return new Reply { Text = answer };
            }
        }

        internal static class Upstream
        {
            public static Task<string> AskAsync(IChatClient chat, string text) => AskCoreAsync(chat, text);

            private static async Task<string> AskCoreAsync(IChatClient chat, string text)
            {
                var response = await {|#3:chat.GetResponseAsync(text)|};
                return response.Text;
            }
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.PostAsync")),
        Diagnostic("TLLM2006", 2, Message("HttpClient.PostAsJsonAsync")),
        Diagnostic("TLLM2006", 3, Message("IChatClient.GetResponseAsync")
            + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Upstream.AskAsync → "
            + "Upstream.AskCoreAsync)"),
        Unfinished(3, " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Upstream.AskAsync → "
            + "Upstream.AskCoreAsync)"));

    [Fact]
    public Task AttemptScopesAreClean() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http, IChatClient chat)
            {
                var text = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    (attempt, ct) => Provider.CompleteAsync(http, attempt, ct));
                var answer = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    async (attempt, ct) => (await chat.GetResponseAsync(text, cancellationToken: ct)).Text);
                using (call.StartAttempt(new LlmTarget("openai", "gpt-4o")))
                {
                    await http.PostAsync("http://upstream/v1/embeddings", new StringContent("{}"));
                }

                return new Reply { Text = answer };
            }
        }

        internal static class Provider
        {
            public static async Task<string> CompleteAsync(HttpClient http, LlmAttempt attempt,
                CancellationToken cancellationToken)
            {
                using var message = new HttpRequestMessage(HttpMethod.Post,
                    "http://upstream/v1/chat/completions") { Content = new StringContent("{}") };
                attempt.ApplyTraceContext(message);
                using var response = await http.SendAsync(message, cancellationToken);
                return await Read.BodyAsync(http, response);
            }
        }

        internal static class Read
        {
            // Reached only from inside an attempt: clean.
            public static async Task<string> BodyAsync(HttpClient http, HttpResponseMessage response) =>
                await (await http.PostAsync("http://upstream/v1/embeddings",
                    response.Content)).Content.ReadAsStringAsync();
        }
        """);

    [Fact]
    public Task TheSameCallOutsideTracedCodeIsClean() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new();
        }

        internal static class Warmup
        {
            public static Task<HttpResponseMessage> WarmAsync(HttpClient http) =>
                http.PostAsync("http://upstream/v1/chat/completions", new StringContent("{}"));
        }
        """);

    [Fact]
    public Task APragmaSuppressesIt() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
        #pragma warning disable TLLM2006 // a webhook's delivery, not an LLM call
                using var delivered = await http.PostAsync("http://hooks/delivered", new StringContent("{}"));
        #pragma warning restore TLLM2006
                return new Reply { Text = delivered.ReasonPhrase };
            }
        }
        """);
    [Fact]
    public Task EveryUpstreamClientIsKnownAndNamedAsItIsCalled() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(
                ChatRequest request,
                HttpMessageInvoker invoker,
                Yarp.ReverseProxy.Forwarder.IHttpForwarder forwarder,
                OpenAI.Chat.ChatClient openAi,
                OpenAI.Embeddings.EmbeddingClient embeddings,
                Anthropic.AnthropicClient anthropic,
                Anthropic.Models.Messages.MessageCreateParams parameters,
                IEmbeddingGenerator<string, Embedding<float>> generator)
            {
                // A send is a model call when its address names a model API (issue 68); the other clients are model
                // calls by type.
                using var sent = await {|#0:invoker.SendAsync(
                    new HttpRequestMessage(HttpMethod.Post, "http://upstream/v1/chat/completions") {
                        Content = new StringContent("{}") }, CancellationToken.None)|};
                var error = await {|#1:forwarder.SendAsync(new DefaultHttpContext(), "http://upstream", invoker,
                    new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig(),
                    Yarp.ReverseProxy.Forwarder.HttpTransformer.Default)|};
                var completion = await {|#2:openAi.CompleteChatAsync("hello")|};
                var vector = await {|#3:embeddings.GenerateEmbeddingAsync("hello")|};
                var message = await {|#4:anthropic.Messages.Create(parameters)|};
                await foreach (var update in {|#5:anthropic.Messages.CreateStreaming(parameters)|})
                {
                }

                var generated = await {|#6:generator.GenerateAsync(new[] { "hello" })|};
                return new Reply { Text = $"{error}{completion.Value.Content[0].Text}{vector.Value.ToFloats().Length}"
                    + $"{message.ID}{generated.Count}" };
            }
        }
        """,
        new[] { typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly,
            typeof(Anthropic.AnthropicClient).Assembly, typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly },
        Diagnostic("TLLM2006", 0, Message("HttpMessageInvoker.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("IHttpForwarder.SendAsync")),
        Diagnostic("TLLM2006", 2, Message("ChatClient.CompleteChatAsync")),
        Unfinished(2),
        Diagnostic("TLLM2006", 3, Message("EmbeddingClient.GenerateEmbeddingAsync")),
        Diagnostic("TLLM2006", 4, Message("IMessageService.Create")),
        Diagnostic("TLLM2006", 5, Message("IMessageService.CreateStreaming")),
        Diagnostic("TLLM2006", 6, Message("IEmbeddingGenerator.GenerateAsync")));
    [Fact]
    public Task AttemptsKeptInALocalOrFannedOutAreClean() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, IChatClient chat)
            {
                Func<LlmAttempt, CancellationToken, Task<string>> ask = async (attempt, ct) =>
                    (await chat.GetResponseAsync("hello", cancellationToken: ct)).Text;
                return new Reply { Text = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"),
                    LlmRetryPolicy.None, ask) };
            }

            [TracedLlmRoute("POST", "/v1/completions")]
            public static async Task<Reply> Completions(ChatRequest request, LlmCall call, HttpClient http)
            {
                var targets = new[] { new LlmTarget("openai", "a"), new LlmTarget("openai", "b") };
                var all = await Task.WhenAll(targets.Select(target =>
                    call.ExecuteAsync(target, LlmRetryPolicy.None, (attempt, ct) =>
                        http.PostAsync("http://upstream/" + target.Model, new StringContent("{}"), ct))));
                return new Reply { Text = all.Length.ToString() };
            }

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async Task<Reply> Embeddings(ChatRequest request, LlmCall call, HttpClient http)
            {
                var targets = new[] { new LlmTarget("openai", "a"), new LlmTarget("openai", "b") };
                await Parallel.ForEachAsync(targets, async (target, ct) =>
                {
                    using var attempt = call.StartAttempt(target);
                    await http.PostAsync("http://upstream/" + target.Model, new StringContent("{}"), ct);
                });

                return new Reply();
            }
        }
        """);
    /// <summary>
    /// A send is read by its address, not by its HTTP method: the reading of a method named through a local or a helper
    /// went with issue 68 (bench/analyzers-wide/readings-2026-11-28.md). A send to a model API is a model call whatever
    /// its method, even an
    /// <c>OPTIONS</c> probe (suppress or declare a designed one); a send to an address that names none
    /// (<c>/v1/models</c>) is not.
    /// </summary>
    [Fact]
    public Task ASendIsReadByItsAddressNotByItsMethod() => AnalyzerAsync(Usings + Corpus.Header + """
        internal static class Methods
        {
            public static string Probe() => "OPTIONS";
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                var name = "OPTIONS";
                var probe = new HttpRequestMessage { Method = new HttpMethod(name),
                    RequestUri = new Uri("http://upstream/v1/chat/completions") };
                using var first = await {|#1:http.SendAsync(probe)|};
                using var second = await http.SendAsync(new HttpRequestMessage(new HttpMethod(Methods.Probe()),
                    "http://upstream/v1/models"));
                var either = request.Model is null ? "HEAD" : "POST";
                using var third = await {|#0:http.SendAsync(
                    new HttpRequestMessage(new HttpMethod(either), "http://upstream/v1/chat/completions") {
                        Content = new StringContent("{}") })|};
                return new Reply();
            }
        }
        """,
        Diagnostic("TLLM2006", 0, Message("HttpClient.SendAsync")),
        Diagnostic("TLLM2006", 1, Message("HttpClient.SendAsync")));

    /// <summary>
    /// A middleware in front of YARP's <c>MapReverseProxy()</c> forwards at the pipeline's next (sets 22 and 30 of
    /// bench/analyzers-wide): the call of <c>next</c> is a model call, reported once (at the last call: a pass-through
    /// before it is the same forward); where no proxy is mapped, or TracedLlm's relay forwards (its traced routes
    /// shadow the proxy's), it is none.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public Task AMiddlewareInFrontOfYarpsProxyForwardsAtNext(bool mapped, bool relay) => AnalyzerAsync(
        new[] { "using Microsoft.AspNetCore.Builder;\n" + Corpus.Header + $$"""
        [TracedLlmCode]
        public sealed class TraceMiddleware(RequestDelegate next)
        {
            public async Task InvokeAsync(HttpContext context)
            {
                if (!context.Request.Path.StartsWithSegments("/endpoint"))
                {
                    await next(context);
                    return;
                }

                context.Request.EnableBuffering();
                await {|#0:next(context)|};
                context.Items["seen"] = true;
            }
        }

        internal static class Proxy
        {
            public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app) =>
                {{(mapped ? "app.MapReverseProxy();" : "app.MapGet(\"/\", () => \"ok\");")}}
        }
        """, relay ? "namespace TracedLlm { public sealed class LlmRelay; }" : "" },
        new[] { typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly },
        mapped && !relay ? new[] { Diagnostic("TLLM2006", 0, Message("RequestDelegate (YARP's MapReverseProxy)")
            + " (reached from traced code 'TraceMiddleware.InvokeAsync' through TraceMiddleware.InvokeAsync)") }
            : System.Array.Empty<Microsoft.CodeAnalysis.Testing.DiagnosticResult>());
}
