using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>Review 10's probes of the session's new readings (a model call reaching the app's M.E.AI decorators, a
/// cache's failure read as a miss, a handler class the route returns, no relay in a function returning an
/// <c>IResult</c>), each asserting what the analyzers report: six mended after the review, two known limits (a
/// decorator's base call read as sending through the container's unkeyed client) with what they should
/// report.</summary>
public sealed class Review10ProbeTests
{
    private static readonly System.Reflection.Assembly[] Libraries = UseTracedLlmTests.Libraries;

    private const string Ai = UseTracedLlmTests.Usings + Corpus.Header;

    // ---- 6. No relay in a function returning an IResult ---------------------------------------------------------

    /// <summary>A minimal-API route returning <c>IResult</c> that copies the upstream's body into
    /// <c>context.Response.Body</c> itself, then returns <c>Results.Empty</c>: a cut mid-copy leaves the client with
    /// part of a 200 and the catch ends the request as a success.</summary>
    /// <remarks>Found as a lost finding (SwallowCollector.Relays read any function returning an <c>IResult</c> as not
    /// having started its response). Mended: such a function is still a relay where its try writes on the response;
    /// the relay-cut warning it was at 2994eb66.</remarks>
    [Fact]
    public Task ProbeARelayWrittenToTheResponseByAnIResultRouteStaysARelay() => AnalyzerAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/files")]
            public static async Task<IResult> Relay(ChatRequest request, HttpContext context, HttpClient http)
            {
                using var upstream = await http.GetAsync("http://files.internal/" + request.Model,
                    HttpCompletionOption.ResponseHeadersRead);
                try
                {
                    await upstream.Content.CopyToAsync(context.Response.Body);
                }
                {|#0:catch|} (System.IO.IOException)
                {
                }

                return Results.Empty;
            }
        }
        """,
        Diagnostic("TLLM2004", 0, SwallowedExceptionTests.Message("System.IO.IOException"))
            .WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));

    // ---- 4. A cache's failure read as a miss --------------------------------------------------------------------

    /// <summary>The route's own catch gives up its only model call, made by a service whose name says it caches
    /// (<c>CachedChatService</c>: a read-through cache that asks the model on a miss), and answers a fallback 200.
    /// </summary>
    /// <remarks>Found as a lost finding (ReachesModel cut every cache's method). Mended: a cache's method is a
    /// shortcut only where it answers no value or one that may be missing (<c>Task</c>, <c>bool</c>, <c>string?</c>);
    /// a read-through cache's <c>Task&lt;string&gt;</c> is the answer, so the route's catch gives up the model
    /// call (TLLM2004).</remarks>
    [Fact]
    public Task ProbeARoutesCatchOfAModelCallMadeByAReadThroughCacheGivesItUp() => AnalyzerAsync(Ai + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request, CachedChatService answers)
            {
                try
                {
                    return new Reply { Text = await answers.AskAsync(request.Model!) };
                }
                {|TLLM2004:catch|} (Exception)
                {
                    return new Reply { Text = "The assistant is busy." };
                }
            }
        }

        internal sealed class CachedChatService(IChatClient chat)
        {
            private readonly Dictionary<string, string> _answers = new();

            public async Task<string> AskAsync(string prompt)
            {
                if (_answers.TryGetValue(prompt, out var hit))
                {
                    return hit;
                }

                var response = await {|TLLM2006:chat.GetResponseAsync(prompt)|};
                _ = response.FinishReason;
                return _answers[prompt] = response.Text;
            }
        }
        """, Libraries);

    /// <summary>A route whose method name says cache (<c>ChatCached</c>: it serves cached answers) gives up its own
    /// direct model call in its catch with a fallback 200.</summary>
    /// <remarks>Found as a lost finding (WellKnownTypes.Caches read any member whose name holds "Cach"). Mended: a
    /// method that answers a value that cannot be missing (<c>Reply</c>) is no cache's shortcut: TLLM2004.</remarks>
    [Fact]
    public Task ProbeARouteNamedForACacheKeepsItsOwnModelCall() => AnalyzerAsync(Ai + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/cached")]
            public static async Task<Reply> ChatCached(ChatRequest request, IChatClient chat)
            {
                try
                {
                    var response = await {|TLLM2006:chat.GetResponseAsync(request.Model!)|};
                    return new Reply { Text = response.Text + response.FinishReason };
                }
                {|TLLM2004:catch|} (Exception)
                {
                    return new Reply { Text = "The assistant is busy." };
                }
            }
        }
        """, Libraries);

    // ---- 2. A library's extension of an interface ---------------------------------------------------------------

    /// <summary>The route embeds with M.E.AI's most common extension, <c>GenerateVectorAsync</c>; the app's
    /// <c>DelegatingEmbeddingGenerator</c> makes the model call with <c>base.GenerateAsync</c>.</summary>
    /// <remarks>Found as a lost finding (CallCollector followed an extension only to the interface's members of its
    /// own name). Mended: an extension of <c>IChatClient</c> or <c>IEmbeddingGenerator</c> reaches every model call
    /// of the interface, so the decorator's base call is TLLM2006's with its path.</remarks>
    [Fact]
    public Task ProbeAnEmbeddingDecoratorIsReachedThroughGenerateVectorAsync() => AnalyzerAsync(
        "using System.Linq;\n" + Ai + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/embed")]
            public static async Task<Reply> Embed(ChatRequest request,
                IEmbeddingGenerator<string, Embedding<float>> vectors)
            {
                var vector = await {|TLLM2006:vectors.GenerateVectorAsync(request.Model!)|};
                return new Reply { Text = vector.Length.ToString() };
            }
        }

        internal sealed class Normalizing(IEmbeddingGenerator<string, Embedding<float>> inner)
            : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
        {
            public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
                EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
                {|TLLM2006:base.GenerateAsync(values.Select(v => v.Trim()), options, cancellationToken)|};
        }
        """, Libraries);

    // ---- 2b. A library's extension of a non-model interface -----------------------------------------------------

    /// <summary>A route logs with <c>logger.Log(LogLevel.Information, ...)</c> and <c>logger.LogInformation(...)</c>;
    /// the app has its own file <c>ILogger</c> whose catch drops a failed write (by design: logging never fails a
    /// request).</summary>
    /// <remarks>Found as noise (CallCollector followed any interface's extension to the member of its name, so
    /// <c>LoggerExtensions.Log</c> reached the app's logger and <c>LogInformation</c> did not). Mended: only the
    /// extensions of M.E.AI's model clients are followed; neither call reaches the logger.</remarks>
    [Fact]
    public Task ProbeALoggerExtensionReachesNoAppLogger() => AnalyzerAsync(
        "using Microsoft.Extensions.Logging;\n" + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static Reply Chat(ChatRequest request, ILogger<ChatRequest> logger)
            {
                logger.Log(LogLevel.Information, "chat {Model}", request.Model);
                logger.LogInformation("chat {Model}", request.Model);
                return new Reply();
            }
        }

        internal sealed class FileLogger : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                try
                {
                    System.IO.File.AppendAllText("app.log", formatter(state, exception));
                }
                catch (System.IO.IOException)
                {
                }
            }
        }
        """);

    // ---- 3. A decorator's base call sends through the service it implements -------------------------------------

    /// <summary>A decorator the app wraps by hand around a raw client kept in a static (no container), while another
    /// chat client is registered with <c>UseTracedLlm()</c>.</summary>
    /// <remarks>Lost finding (UpstreamCollector.Site: a <c>base</c> call's client is the service "IChatClient",
    /// whichever pipeline the decorator is in): the hand-built decorator's base call is not in any attempt, yet is
    /// read as covered by the container's registration. It should report TLLM2006 at the base call, with its path
    /// (Routes.Chat → IChatClient.GetResponseAsync → Logged.GetResponseAsync), as it does when the Startup class is
    /// removed, and as the route's own call on the same client is.</remarks>
    [Fact]
    public Task ProbeAHandBuiltDecoratorIsCoveredByAnotherClientsUseTracedLlm() => AnalyzerAsync(Ai + """
        internal static class Clients
        {
            public static IChatClient Raw { get; set; } = null!;

            public static readonly IChatClient Chat = new Logged(Raw);
        }

        internal static class Startup
        {
            public static void Register(IServiceCollection services, IChatClient other) =>
                services.AddChatClient(other).UseTracedLlm();
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                var response = await {|TLLM2006:Clients.Chat.GetResponseAsync(request.Model!)|};
                return new Reply { Text = response.Text + response.FinishReason };
            }
        }

        internal sealed class Logged(IChatClient inner) : DelegatingChatClient(inner)
        {
            public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
                ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                base.GetResponseAsync(messages, options, cancellationToken);
        }
        """, Libraries);

    /// <summary>The decorator is used only in a keyed pipeline registered with <c>UseTracedLlm()</c>; the route
    /// resolves that keyed client.</summary>
    /// <remarks>False alarm (UpstreamCollector.Site names the base call's client the unkeyed "IChatClient", which no
    /// registration adds): the decorator's base call is read as outside an attempt, though its only pipeline is
    /// traced. Today TLLM2006 (a warning) with the path Routes.Chat → IChatClient.GetResponseAsync →
    /// Logged.GetResponseAsync. It should report nothing at the base call (the route's own call is an attempt and is
    /// not reported).
    /// </remarks>
    [Fact]
    public Task ProbeADecoratorInAKeyedTracedPipelineIsReported() => AnalyzerAsync(Ai + """
        internal static class Startup
        {
            public static void Register(IServiceCollection services, IChatClient inner) =>
                services.AddKeyedChatClient("cheap", inner).Use(c => new Logged(c)).UseTracedLlm();
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request, [FromKeyedServices("cheap")] IChatClient chat)
            {
                var response = await chat.GetResponseAsync(request.Model!);
                return new Reply { Text = response.Text + response.FinishReason };
            }
        }

        internal sealed class Logged(IChatClient inner) : DelegatingChatClient(inner)
        {
            public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
                ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                {|TLLM2006:base.GetResponseAsync(messages, options, cancellationToken)|};
        }
        """, Libraries);

    // ---- 5. A handler class the route returns -------------------------------------------------------------------

    /// <summary>Two routes that return a handler's answer as it is: one through the handler's interface
    /// (<c>IChatHandler</c>, as DI-registered handler classes are: read as the route's, TLLM2004), one with
    /// <c>.ConfigureAwait(false)</c>.</summary>
    /// <remarks>Found as a lost finding (AnswersRoute read the call's syntactic parent only). Mended: the value is
    /// followed through <c>await</c>, <c>ConfigureAwait</c>, parentheses, casts and <c>!</c> to the return.</remarks>
    [Fact]
    public Task ProbeAHandlerReturnedWithConfigureAwaitAnswersTheRoute() => AnalyzerAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("GET", "/token/{id}")]
            public static Task<IResult> Token(IChatHandler handler, string id) => handler.HandleAsync(id);

            [TracedLlmRoute("GET", "/token2/{id}")]
            public static async Task<IResult> Token2(TokenHandler2 handler, string id) =>
                await handler.HandleAsync(id).ConfigureAwait(false);
        }

        internal interface IChatHandler
        {
            Task<IResult> HandleAsync(string id);
        }

        internal sealed class TokenHandler(HttpClient http) : IChatHandler
        {
            public async Task<IResult> HandleAsync(string id)
            {
                try
                {
                    return Results.Ok(await http.GetStringAsync($"http://auth/tokens/{id}"));
                }
                {|TLLM2004:catch|} (HttpRequestException e)
                {
                    return Results.Problem(detail: e.Message, statusCode: 500);
                }
            }
        }

        internal sealed class TokenHandler2(HttpClient http)
        {
            public async Task<IResult> HandleAsync(string id)
            {
                try
                {
                    return Results.Ok(await http.GetStringAsync($"http://auth/tokens/{id}"));
                }
                {|TLLM2004:catch|} (HttpRequestException e)
                {
                    return Results.Problem(detail: e.Message, statusCode: 500);
                }
            }
        }
        """);
}
