using System.Reflection;
using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A call through Microsoft.Extensions.AI's interfaces (or their extensions) reaches the app's own decorators
/// (<c>DelegatingChatClient</c>, <c>DelegatingEmbeddingGenerator</c>): their <c>base</c> call is the model call, and
/// the code around it is the request's.
/// </summary>
public sealed class DecoratorChainTests
{
    private static readonly Assembly[] Libraries = UseTracedLlmTests.Libraries;

    private const string Usings = "using System.Linq;\n" + UseTracedLlmTests.Usings;

    private const string Decorators = """
        internal sealed class Caching(IChatClient inner, IEmbeddingGenerator<string, Embedding<float>> vectors)
            : DelegatingChatClient(inner)
        {
            public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
                ChatOptions? options = null, CancellationToken cancellationToken = default)
            {
                var key = await @3vectors.GenerateAsync(messages.Last().Text, cancellationToken: cancellationToken)@;
                return await @1base.GetResponseAsync(messages, options, cancellationToken)@;
            }
        }

        internal sealed class Normalizing(IEmbeddingGenerator<string, Embedding<float>> inner)
            : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
        {
            public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
                EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
                @2base.GenerateAsync(values.Select(v => v.Trim()), options, cancellationToken)@;
        }
        """;

    /// <summary>The way from the route to the embedding decorator, after the chat decorator's.</summary>
    private const string Embedded = " → IEmbeddingGenerator.GenerateAsync → Normalizing.GenerateAsync";

    /// <summary>The way from the chat decorator to the cache's lookup.</summary>
    private const string Cached = " → IAnswerCache.TryGetCachedAsync → SemanticCache.TryGetCachedAsync";

    private static string Message(string call, string beyond) => UnscopedUpstreamCallTests.Message(call) + Path(beyond);

    private static string Path(string beyond) => " (reached from route 'POST /v1/chat' through Routes.Chat → "
        + $"IChatClient.GetResponseAsync → Caching.GetResponseAsync{beyond})";

    private const string Route = """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat")]
            public static async Task<Reply> Chat(ChatRequest request, IChatClient chat)
            {
                var response = await @0chat.GetResponseAsync("hi")@;
                return new Reply { Text = response.Text + response.FinishReason };
            }
        }

        """;

    [Fact]
    public Task ADecoratorsBaseCallIsReachedThroughTheInterface() => AnalyzerAsync(
        Marked(Usings + Corpus.Header + Route + Decorators, markup: true), Libraries,
        Diagnostic("TLLM2006", 0, UnscopedUpstreamCallTests.Message("IChatClient.GetResponseAsync")),
        Diagnostic("TLLM2006", 3, Message("IEmbeddingGenerator.GenerateAsync", string.Empty)),
        Diagnostic("TLLM2006", 1, Message("DelegatingChatClient.GetResponseAsync", string.Empty)),
        Diagnostic("TLLM2006", 2, Message("DelegatingEmbeddingGenerator.GenerateAsync", Embedded)));

    [Fact]
    public Task InsideAnAttemptTheDecoratorsAreTheAttempts() => AnalyzerAsync(
        Marked(Usings + Corpus.Header + Route.Replace("await @0chat.GetResponseAsync(\"hi\")@",
            "await call.ExecuteAsync(new LlmTarget(\"openai\", \"gpt-4o\"), LlmRetryPolicy.None, "
            + "(attempt, ct) => chat.GetResponseAsync(\"hi\", cancellationToken: ct))",
            System.StringComparison.Ordinal).Replace("IChatClient chat)", "LlmCall call, IChatClient chat)",
            System.StringComparison.Ordinal) + Decorators, markup: false), Libraries);

    [Fact]
    public Task APipelineRegisteredWithUseTracedLlmCoversItsDecorators() => AnalyzerAsync(
        Marked(Usings + Corpus.Header + Route + Decorators + """

            internal static class Startup
            {
                public static void Register(IServiceCollection services, IChatClient inner,
                    IEmbeddingGenerator<string, Embedding<float>> vectors) =>
                    services.AddChatClient(inner).Use(c => new Caching(c, vectors)).UseTracedLlm();
            }
            """, markup: true), Libraries,
        Diagnostic("TLLM2006", 3, Message("IEmbeddingGenerator.GenerateAsync", string.Empty)),
        Diagnostic("TLLM2006", 2, Message("DelegatingEmbeddingGenerator.GenerateAsync", Embedded)));

    /// <summary>A cache's own work and a model call reached only through a cache are shortcuts: their catches are
    /// TLLM2007's (a miss); the decorator's catch of its own model call stays TLLM2004's.</summary>
    [Fact]
    public Task ACachesFailureIsAMissButTheDecoratorsOwnCallIsNot() => AnalyzerAsync(
        Marked(Usings + Corpus.Header + Route + """
            internal interface IAnswerCache
            {
                Task<string?> TryGetCachedAsync(string prompt);
            }

            internal sealed class SemanticCache(IEmbeddingGenerator<string, Embedding<float>> vectors) : IAnswerCache
            {
                public async Task<string?> TryGetCachedAsync(string prompt)
                {
                    try
                    {
                        var vector = await @3vectors.GenerateAsync(prompt)@;
                        return vector.Vector.Length > 0 ? prompt : null;
                    }
                    @4catch (Exception)
                    {
                        return null;
                    }
                }
            }

            internal sealed class Caching(IChatClient inner, IAnswerCache cache) : DelegatingChatClient(inner)
            {
                public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
                    ChatOptions? options = null, CancellationToken cancellationToken = default)
                {
                    try
                    {
                        if (await cache.TryGetCachedAsync(messages.Last().Text) is { } hit)
                        {
                            return new ChatResponse(new ChatMessage(ChatRole.Assistant, hit));
                        }
                    }
                    @5catch (Exception)
                    {
                    }

                    try
                    {
                        return await @1base.GetResponseAsync(messages, options, cancellationToken)@;
                    }
                    @2catch (HttpRequestException)
                    {
                        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "sorry"));
                    }
                }
            }
            """, markup: true).Replace("catch (", "catch|} (", System.StringComparison.Ordinal), Libraries,
        Diagnostic("TLLM2006", 0, UnscopedUpstreamCallTests.Message("IChatClient.GetResponseAsync")),
        Diagnostic("TLLM2006", 3, Message("IEmbeddingGenerator.GenerateAsync", Cached)),
        Diagnostic("TLLM2007", 4, SwallowedExceptionTests.HandledMessage("System.Exception") + Path(Cached)),
        Diagnostic("TLLM2007", 5, SwallowedExceptionTests.HandledMessage("System.Exception") + Path(string.Empty)),
        Diagnostic("TLLM2006", 1, Message("DelegatingChatClient.GetResponseAsync", string.Empty)),
        Diagnostic("TLLM2004", 2, SwallowedExceptionTests.Message("System.Net.Http.HttpRequestException")
            + Path(string.Empty)).WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info));
}
