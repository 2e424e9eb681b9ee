using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>Review 8's probes of issue 78's analyzer changes, each asserting what the analyzers report.</summary>
/// <remarks>The changes: TLLM2004's unfiltered "client going away", its warning shapes, dispatch leaving out an
/// implementation the app never names. Five probes were mended and say so; two say what they should report: a
/// caller's timed token handed to a public helper (a regression against 8025ad0, left: reading it needs the callers)
/// and a guardrail failing open through a flag helper (as at 8025ad0).</remarks>
public sealed class Review8ProbeTests
{
    private const string Ai = "using System.Linq;\nusing Microsoft.Extensions.AI;\n";

    private static DiagnosticResult At(string id, int location, DiagnosticSeverity severity) =>
        new DiagnosticResult(id, severity).WithLocation(location);

    /// <summary>
    /// A route catching a cancellation around an OpenAI SDK call that it hands its own token: the SDK's network
    /// timeout (100 s by default) ends the call with a <c>TaskCanceledException</c> too, and the route answers 200.
    /// </summary>
    /// <remarks>Mended after review 8: an SDK call on a pipeline with a network timeout of its own (a
    /// System.ClientModel result, Anthropic's services) counts as an exchange over HTTP; <c>IChatClient</c> is left to
    /// what it wraps.</remarks>
    [Fact]
    public Task ASdkCallsOwnTimeoutKeepsTheCatchReported() => AnalyzerAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, OpenAI.Chat.ChatClient openAi,
                CancellationToken ct)
            {
                try
                {
                    var completion = await {|TLLM2006:{|#0:openAi.CompleteChatAsync(
                        new OpenAI.Chat.ChatMessage[] { OpenAI.Chat.ChatMessage.CreateUserMessage(request.Model!) },
                        cancellationToken: ct)|}|};
                    return Results.Ok(completion.Value.Content[0].Text);
                }
                {|TLLM2004:catch|} (OperationCanceledException)
                {
                    return Results.Ok("");
                }
            }
        }
        """,
        new[] { typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly },
        Unfinished(0));

    /// <summary>
    /// A helper catching a cancellation of the token it is given, where its only caller hands it a linked source's
    /// token with <c>CancelAfter</c>: the code shows a timeout, and the catch turns it into an empty answer.
    /// </summary>
    /// <remarks>MISS. Should be: TLLM2004 at the catch (the filtered reading reports a non-private method's parameter
    /// for this reason). Smallest fix: read <c>given</c> as the filtered branch does, a private method's parameter
    /// that every call gives a request token (<c>IsRequestToken</c> without the <c>given</c> shortcut for non-private
    /// methods), or at least check the callers in source when there are any.</remarks>
    [Fact]
    public Task ProbeCallersTimedTokenGivenToAHelperIsNotReported() => AnalyzerAsync(
        Ai + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IChatClient chat, CancellationToken ct)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(20));
                return new Reply { Text = await Ask.OrEmptyAsync(chat, request.Model!, timeout.Token) };
            }
        }

        internal static class Ask
        {
            public static async Task<string> OrEmptyAsync(IChatClient chat, string prompt, CancellationToken ct)
            {
                try
                {
                    return (await {|TLLM2006:{|#0:chat.GetResponseAsync(prompt, cancellationToken: ct)|}|}).Text;
                }
                catch (OperationCanceledException)
                {
                    return "";
                }
            }
        }
        """,
        Unfinished(0, " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Ask.OrEmptyAsync)"));

    /// <summary>
    /// A resilience helper (Polly's <c>ExecuteAsync(callback, token)</c> shape) given a method group whose body sends
    /// on an <c>HttpClient</c>: the client's <c>Timeout</c> cancels the send, and the route's catch answers 200.
    /// </summary>
    /// <remarks>Mended after review 8: a method group handed on in the try is followed as a call is.</remarks>
    [Fact]
    public Task ASendHandedOnAsAMethodGroupKeepsTheCatchReported() => AnalyzerAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, Upstream upstream, CancellationToken ct)
            {
                try
                {
                    return Results.Ok(await Pipeline.ExecuteAsync(upstream.SendAsync, ct));
                }
                {|TLLM2004:catch|} (OperationCanceledException)
                {
                    return Results.Ok("");
                }
            }
        }

        internal static class Pipeline
        {
            public static async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> callback, CancellationToken ct)
                => await callback(ct);
        }

        internal sealed class Upstream(HttpClient http)
        {
            public async Task<string> SendAsync(CancellationToken ct)
            {
                using var answer = await {|TLLM2006:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent("{}"), ct)|};
                return await answer.Content.ReadAsStringAsync(ct);
            }
        }
        """);

    /// <summary>
    /// The <c>IHttpClientFactory</c> typed client behind its interface (<c>AddHttpClient&lt;IOpenAiApi,
    /// OpenAiApi&gt;()</c>): the route's catch of <c>TaskCanceledException</c> also takes the client's timeout.
    /// </summary>
    /// <remarks>Mended after review 8: a call with no body is followed into its implementations.</remarks>
    [Fact]
    public Task ATypedClientBehindItsInterfaceKeepsTheCatchReported() => AnalyzerAsync(
        Corpus.Header + """
        internal interface IOpenAiApi { Task<string> CompleteAsync(string prompt, CancellationToken ct); }

        internal sealed class OpenAiApi(HttpClient http) : IOpenAiApi
        {
            public async Task<string> CompleteAsync(string prompt, CancellationToken ct)
            {
                using var answer = await {|#0:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt), ct)|};
                return await answer.Content.ReadAsStringAsync(ct);
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IOpenAiApi api, CancellationToken ct)
            {
                try
                {
                    return Results.Ok(await api.CompleteAsync(request.Model!, ct));
                }
                {|TLLM2004:catch|} (TaskCanceledException)
                {
                    return Results.Ok("");
                }
            }
        }
        """,
        At("TLLM2006", 0, DiagnosticSeverity.Warning));

    /// <summary>
    /// Every <c>IChat</c> of the assembly registered by a scan, then wrapped in one decorator the code names: the
    /// provider doing the send is never named, so dispatch follows only the decorator.
    /// </summary>
    /// <remarks>Mended after review 8: where the code makes types by reflection (an assembly scan, an
    /// activation by name) or a named implementation wraps another, every implementation is followed.</remarks>
    [Fact]
    public Task AScannedProviderBehindANamedDecoratorIsFollowed() => AnalyzerAsync(
        "using System.Linq;\n" + Corpus.Header + """
        internal interface IChat { Task<string> AskAsync(HttpClient http, string prompt); }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Ask(ChatRequest request, HttpClient http, IChat chat) =>
                new() { Text = await chat.AskAsync(http, request.Model!) };
        }

        internal static class Registration
        {
            // Scrutor's Scan(...).AsImplementedInterfaces() then Decorate<IChat, CachingChat>(), by hand.
            public static IEnumerable<IChat> All(Func<Type, object> make) => typeof(Registration).Assembly.GetTypes()
                .Where(t => t.IsClass && typeof(IChat).IsAssignableFrom(t) && t != typeof(CachingChat))
                .Select(t => (IChat)new CachingChat((IChat)make(t)));
        }

        internal sealed class CachingChat(IChat inner) : IChat
        {
            private readonly Dictionary<string, string> _cache = new();

            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                _cache.TryGetValue(prompt, out var hit) ? hit : _cache[prompt] = await inner.AskAsync(http, prompt);
        }

        internal sealed class OpenAiChat : IChat
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|TLLM2006:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }
        """);

    /// <summary>
    /// A provider chosen by configuration (<c>Type.GetType(name)</c>, <c>Activator.CreateInstance</c>) with a default
    /// the code names: the configured provider is never named and its send is not followed.
    /// </summary>
    /// <remarks>Mended after review 8, as the scan above.</remarks>
    [Fact]
    public Task AProviderActivatedByNameIsFollowed() => AnalyzerAsync(
        Corpus.Header + """
        internal interface IChat { Task<string> AskAsync(HttpClient http, string prompt); }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Ask(ChatRequest request, HttpClient http) =>
                new() { Text = await Providers.Make(Environment.GetEnvironmentVariable("CHAT_PROVIDER"))
                    .AskAsync(http, request.Model!) };
        }

        internal static class Providers
        {
            public static IChat Make(string? configured) =>
                configured is { } name && Type.GetType(name) is { } type
                    ? (IChat)Activator.CreateInstance(type)! : new OpenAiChat();
        }

        internal sealed class OpenAiChat : IChat
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|#0:http.PostAsync("https://api.openai.com/v1/chat/completions",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }

        internal sealed class AnthropicChat : IChat
        {
            public async Task<string> AskAsync(HttpClient http, string prompt) =>
                await (await {|TLLM2006:http.PostAsync("https://api.anthropic.com/v1/messages",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }
        """,
        At("TLLM2006", 0, DiagnosticSeverity.Warning));

    /// <summary>
    /// A guardrail that fails open through a flag: its helper swallows the moderation call's failure into
    /// <c>false</c> ("not flagged"), and <c>CheckAsync</c> allows the request; the trace says the guardrail passed.
    /// </summary>
    /// <remarks>MISS by default. Only TLLM2007 reports it, and TLLM2007 is off by default (the tests turn it on), so a
    /// team's build says nothing; issue 78 item 6 names "a failure swallowed into a flag" and a guardrail that fails
    /// open as TLLM2004's warning shapes, but only a catch inside the function returning <c>GuardrailVerdict</c> is
    /// read as one (unchanged since 8025ad0). Should be: TLLM2004 at #0 as a Warning. Smallest fix: read a catch in a
    /// private method whose only callers are a guardrail's <c>CheckAsync</c> and whose recovered value decides the
    /// verdict as the guardrail's own (the call graph has the callers).</remarks>
    [Fact]
    public Task ProbeGuardrailFailingOpenThroughAFlagHelperIsNoWarning() => AnalyzerAsync(
        Corpus.Header + """
        internal sealed class Moderation(HttpClient http) : ILlmGuardrail
        {
            public string Name => "moderation";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public async ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken ct) =>
                await IsFlaggedAsync(ct) ? GuardrailVerdict.Block("flagged") : GuardrailVerdict.Allow;

            private async Task<bool> IsFlaggedAsync(CancellationToken ct)
            {
                try
                {
                    using var answer = await http.GetAsync("http://moderation.internal/check", ct);
                    return !answer.IsSuccessStatusCode;
                }
                {|#0:catch|} (HttpRequestException)
                {
                    return false;
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = request.Model };
        }
        """,
        At("TLLM2007", 0, DiagnosticSeverity.Warning));
}
