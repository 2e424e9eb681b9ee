using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Analyzers.Tests.Matrix;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>Review 9's probes of the session's new readings (an empty success, a content filter mapped to a success
/// stop, a helper shared by model and non-model callers, a finish reason never read, detached work), each asserting
/// what the analyzers should report.</summary>
/// <remarks>Mended after review 9 (failing at f7c1107e): a Task.Run kept in a field the request awaits, a producer
/// Task.Run whose channel the route reads (both regressions against 3d12c7d8), a filter kept out of a success arm by
/// <c>not</c> or a guard, a finish reason checked by a helper or the response handed on whole (false alarms). Known
/// limits, asserted as they are today with what they should report (a trimmed body and <c>text is null or ""</c> read
/// since): M.E.AI's reason mapped in a guard, a shared helper handed an attempt client read as TLLM2007.</remarks>
public sealed class Review9ProbeTests
{
    private const string Header = "#pragma warning disable OPENAI001\nusing System.Linq;\nusing System.Net;\n"
        + "using Microsoft.Extensions.AI;\n" + Corpus.Header
        + "internal static class Llm { public static readonly LlmTarget Gpt = new(\"openai\", \"gpt-4o\"); "
        + "public const string Url = \"http://upstream/v1/chat/completions\"; }\n";

    private const string Di = "using Microsoft.Extensions.DependencyInjection;\n";

    private static readonly System.Reflection.Assembly[] Libraries =
    {
        typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly,
        typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly,
        typeof(Microsoft.Extensions.AI.ChatClientBuilder).Assembly,
        typeof(Microsoft.Extensions.AI.TracedLlmChatClientBuilderExtensions).Assembly,
    };

    private static string Message(string what, string how) =>
        $"{what}, and {how}: no exception carries the failure, so no span, failure logger or error format sees it; "
        + "throw (an UpstreamException) or record it (LlmCall.RecordHandledFailure)";

    private static string Through(string chain) => $" (reached from route 'POST /v1/chat/completions' through {chain})";

    private const string Filtered = "a filtered answer reaches the client as complete";

    private static readonly DiagnosticResult Empty =
        Diagnostic("TLLM2008", 0, Message("The model call answered an empty body", "a success is answered"));

    // ---- 1. An empty success ------------------------------------------------------------------------------------

    /// <summary>The body text trimmed as it is read, then tested with <c>string.IsNullOrEmpty</c>: the same empty
    /// success as the untrimmed text.</summary>
    /// <remarks>A known limit until the text was followed through calls on it (2026-11-30).</remarks>
    [Fact]
    public Task ProbeEmptyBodyReadThroughTrimIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var text = (await response.Content.ReadAsStringAsync()).Trim();
                if ({|#0:string.IsNullOrEmpty(text)|}) { return Results.Ok(new Reply()); }
                return Results.Ok(new Reply { Text = text });
            }
        }
        """, Libraries, Empty);

    /// <summary>The body text tested by a pattern (<c>text is null or ""</c>) rather than
    /// <c>string.IsNullOrEmpty</c>.</summary>
    /// <remarks>A known limit until patterns and comparisons with <c>""</c> were read (2026-11-30).</remarks>
    [Fact]
    public Task ProbeEmptyBodyTestedByAPatternIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var text = await response.Content.ReadAsStringAsync();
                if ({|#0:text is null or ""|}) { return Results.Ok(new Reply()); }
                return Results.Ok(new Reply { Text = text });
            }
        }
        """, Libraries, Empty);

    /// <summary>Sound neighbours: the emptiness tested on its success side with the empty body thrown after it, and a
    /// buffered SSE body whose blank keep-alive lines are skipped.</summary>
    [Fact]
    public Task ProbeEmptyBodyOnItsSuccessSideAndKeepAliveLinesAreNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadAsStringAsync();
                if (!string.IsNullOrWhiteSpace(body))
                {
                    var events = new List<string>();
                    foreach (var line in body.Split('\n'))
                    {
                        if (string.IsNullOrWhiteSpace(line)) { continue; }
                        if (line.StartsWith(": ", StringComparison.Ordinal)) { continue; }
                        events.Add(line);
                    }

                    return Results.Ok(new Reply { Text = string.Join("\n", events) });
                }

                throw new UpstreamException(502, "The model answered nothing.");
            }
        }
        """, Libraries);

    // ---- 2. A content filter mapped to a success stop -----------------------------------------------------------

    /// <summary>Mappings that keep the content filter out of their success arm: a negated pattern (<c>not
    /// "content_filter" => "end_turn"</c>) and a case whose guard excludes it.</summary>
    [Fact]
    public Task ProbeAFilterKeptOutOfASuccessArmIsNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new Reply
            {
                Text = Stops.ToAnthropic(request.Model) + Stops.ToOpenAi(request.Model),
            };
        }

        internal static class Stops
        {
            public static string ToAnthropic(string? reason) => reason switch
            {
                "length" => "max_tokens",
                "tool_calls" or "function_call" => "tool_use",
                not "content_filter" => "end_turn",
                _ => "refusal",
            };

            public static string ToOpenAi(string? reason)
            {
                switch (reason)
                {
                    case "max_tokens":
                        return "length";
                    case var other when other != "content_filter":
                        return "stop";
                    default:
                        return "content_filter";
                }
            }
        }
        """, Libraries);

    /// <summary>Odd mappings must not crash: a nullable SDK enum with <c>when</c> arms, a <c>case</c> with a guard,
    /// a combined <c>case null: default:</c> section. The unguarded filter arm is still reported.</summary>
    [Fact]
    public Task ProbeANullableEnumMappingWithGuardsIsReadWithoutACrash() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new Reply
            {
                Text = Stops.FromSdk(null, request.Model is null) + Stops.Case(null, request.Model is null),
            };
        }

        internal static class Stops
        {
            public static string FromSdk(OpenAI.Chat.ChatFinishReason? reason, bool strict) => reason switch
            {
                null => "end_turn",
                OpenAI.Chat.ChatFinishReason.ContentFilter when strict => "refusal",
                {|#0:OpenAI.Chat.ChatFinishReason.ContentFilter => "end_turn"|},
                OpenAI.Chat.ChatFinishReason.Length => "max_tokens",
                _ => "end_turn",
            };

            public static string Case(OpenAI.Chat.ChatFinishReason? reason, bool strict)
            {
                switch (reason)
                {
                    case OpenAI.Chat.ChatFinishReason.Length:
                        return "max_tokens";
                    case OpenAI.Chat.ChatFinishReason.ContentFilter when strict:
                        return "refusal";
                    case null:
                    default:
                        return "end_turn";
                }
            }
        }
        """, Libraries,
        Diagnostic("TLLM2008", 0, Message("The model's 'content_filter' stop is mapped to 'end_turn'", Filtered)
            + Through("Routes.Chat → Stops.FromSdk")));

    /// <summary>M.E.AI's <c>ChatFinishReason</c> is a struct, so a mapping of it can only compare in a guard
    /// (<c>var r when r == ChatFinishReason.ContentFilter => "end_turn"</c>): the same mapping as the enum's
    /// arm.</summary>
    /// <remarks>Known limit (TLLM2008.md): a mapping's guard is not read; this asserts today's silence. It should
    /// report TLLM2008 at the arm ("The model's 'content_filter' stop is mapped to 'end_turn'").</remarks>
    [Fact]
    public Task ProbeMeaiFinishReasonMappedInAGuardIsAKnownMiss() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new Reply { Text = Stops.ToAnthropic(null) };
        }

        internal static class Stops
        {
            public static string ToAnthropic(ChatFinishReason? reason) => reason switch
            {
                var r when r == ChatFinishReason.Length => "max_tokens",
                var r when r == ChatFinishReason.ToolCalls => "tool_use",
                var r when r == ChatFinishReason.ContentFilter => "end_turn",
                _ => "end_turn",
            };
        }
        """, Libraries);

    // ---- 3. A helper shared by model and non-model callers ------------------------------------------------------

    /// <summary>A helper shared by a model route that hands it a client registered with
    /// <c>AddTracedLlmAttempts()</c> and a file route: the model's send is an attempt, the other no model call, so its
    /// failing status answered by hand is not TLLM2008's.</summary>
    [Fact]
    public Task ProbeASharedHelperWhoseModelCallerHandsAnAttemptClientIsNotReported() => AnalyzerAsync(
        Di + Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services)
            {
                services.AddHttpClient("llm").AddTracedLlmAttempts();
                services.AddHttpClient("files");
            }

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, IHttpClientFactory factory)
            {
                await Mixed.AnswerAsync(ctx, factory.CreateClient("llm"), new(HttpMethod.Post, Llm.Url));
                return Results.Empty;
            }

            [TracedLlmRoute("POST", "/v1/files")]
            public static async Task<IResult> Files(ChatRequest request, HttpContext ctx, IHttpClientFactory factory)
            {
                await Mixed.AnswerAsync(ctx, factory.CreateClient("files"),
                    new(HttpMethod.Post, "http://files.internal/report"));
                return Results.Empty;
            }
        }

        internal static class Mixed
        {
            public static async Task AnswerAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
            {
                using var response = await client.SendAsync(message);
                if (!response.IsSuccessStatusCode) { ctx.Response.StatusCode = 502; return; }
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
            }
        }
        """, Libraries);

    /// <summary>The same shared forwarder with a catch: its model route hands it the client its attempts use, so the
    /// catch gives up a model call (TLLM2004, as a send on a named attempt client in the try is), not a
    /// TLLM2007.</summary>
    /// <remarks>Known limit: a send whose callers hand it its client is read as a model call only where no caller's
    /// client is registered as attempts, so this catch is TLLM2007's today (asserted); it should be
    /// TLLM2004's.</remarks>
    [Fact]
    public Task ProbeACatchInASharedHelperHandedAnAttemptClientIsTllm2007Today() => AnalyzerAsync(
        Di + Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services)
            {
                services.AddHttpClient("llm").AddTracedLlmAttempts();
                services.AddHttpClient("files");
            }

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, IHttpClientFactory factory)
            {
                await Forwarder.ForwardAsync(ctx, factory.CreateClient("llm"), Llm.Url);
                return Results.Empty;
            }

            [TracedLlmRoute("POST", "/v1/files")]
            public static async Task<IResult> Files(ChatRequest request, HttpContext ctx, IHttpClientFactory factory)
            {
                await Forwarder.ForwardAsync(ctx, factory.CreateClient("files"), "http://files.internal/report");
                return Results.Empty;
            }
        }

        internal static class Forwarder
        {
            public static async Task ForwardAsync(HttpContext ctx, HttpClient client, string url)
            {
                string text;
                try
                {
                    using var response = await client.PostAsync(url, new StringContent("{}"));
                    response.EnsureSuccessStatusCode();
                    text = await response.Content.ReadAsStringAsync();
                }
                {|#0:catch|} (HttpRequestException)
                {
                    ctx.Response.StatusCode = 503;
                    return;
                }

                await ctx.Response.WriteAsync(text);
            }
        }
        """, Libraries,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.Net.Http.HttpRequestException")
            + Through("Routes.Chat → Forwarder.ForwardAsync")));

    // ---- 4. A finish reason never read --------------------------------------------------------------------------

    /// <summary>The finish reason read by a property pattern
    /// (<c>response is { FinishReason: var reason }</c>).</summary>
    [Fact]
    public Task ProbeAFinishReasonReadByAPatternIsNotSuggested() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IChatClient chat)
            {
                var response = await {|TLLM2006:chat.GetResponseAsync(request.Model!)|};
                if (response is { FinishReason: { } reason } && reason != ChatFinishReason.Stop)
                {
                    throw new UpstreamException(502, $"The model stopped: {reason}");
                }

                return Results.Ok(new Reply { Text = response.Text });
            }
        }
        """, Libraries);

    /// <summary>The finish reason checked by a helper the response is handed to, and a helper that logs the text and
    /// hands the whole response on to a caller that reads its reason (the rule page: "nor where the method hands the
    /// whole response on").</summary>
    [Fact]
    public Task ProbeAResponseCheckedByAHelperOrHandedOnWholeIsNotSuggested() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IChatClient chat)
            {
                var response = await Ask.LoggedAsync(chat, request.Model!);
                if (response.FinishReason != ChatFinishReason.Stop)
                {
                    throw new UpstreamException(502, "The model did not finish.");
                }

                return Results.Ok(new Reply { Text = response.Text + await Ask.CheckedAsync(chat, request.Model!) });
            }
        }

        internal static class Ask
        {
            public static async Task<ChatResponse> LoggedAsync(IChatClient chat, string prompt)
            {
                var response = await {|TLLM2006:chat.GetResponseAsync(prompt)|};
                Console.WriteLine(response.Text);
                return response;
            }

            public static async Task<string> CheckedAsync(IChatClient chat, string prompt)
            {
                var response = await {|TLLM2006:chat.GetResponseAsync(prompt)|};
                Finish.Ensure(response);
                return response.Text;
            }
        }

        internal static class Finish
        {
            public static void Ensure(ChatResponse response)
            {
                if (response.FinishReason != ChatFinishReason.Stop)
                {
                    throw new UpstreamException(502, $"The model stopped: {response.FinishReason}");
                }
            }
        }
        """, Libraries);

    /// <summary>The container's chat client, registered with <c>UseTracedLlm()</c>: every call is an attempt whose
    /// span records the finish reason, so neither the call nor the stream is suggested.</summary>
    [Fact]
    public Task ProbeAChatClientRegisteredWithUseTracedLlmIsNotSuggested() => AnalyzerAsync(Di + Header + """
        internal static class Startup
        {
            public static void Register(IServiceCollection services, IChatClient inner) =>
                services.AddChatClient(inner).UseTracedLlm();
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, IChatClient chat)
            {
                if (request.Model == "stream")
                {
                    await foreach (var update in chat.GetStreamingResponseAsync(request.Model!))
                    {
                        await ctx.Response.WriteAsync(update.Text);
                    }

                    return Results.Empty;
                }

                var response = await chat.GetResponseAsync(request.Model!);
                return Results.Ok(new Reply { Text = response.Text });
            }
        }
        """, Libraries);

    // ---- 5. Detached work ---------------------------------------------------------------------------------------

    /// <summary>A warm-up task kept in a field and awaited by the same request: the request waits for it, so its
    /// catch is the request's.</summary>
    [Fact]
    public Task ProbeATaskRunKeptInAFieldThatTheRequestAwaitsIsReported() => AnalyzerAsync(Header + """
        internal interface IIndex { Task EnsureAsync(string path); }

        internal sealed class FileIndex : IIndex
        {
            private Task? _warm;

            public async Task EnsureAsync(string path)
            {
                if (_warm is null)
                {
                    _warm = Task.Run(() => WarmAsync(path));
                }

                await _warm;
            }

            private static async Task WarmAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "index"); }
                {|#0:catch|} (System.IO.IOException) { }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IIndex index)
            {
                await index.EnsureAsync(request.Model!);
                return Results.Text("ready");
            }
        }
        """, Libraries,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")
            + Through("Routes.Chat → IIndex.EnsureAsync → FileIndex.EnsureAsync → FileIndex.WarmAsync")));

    /// <summary>A streaming gateway's producer started with <c>_ = Task.Run(...)</c> that pumps the model's stream
    /// into a channel the route reads to its end: the request waits on the channel, and the producer's catch ends the
    /// client's stream as complete (TLLM2004).</summary>
    [Fact]
    public Task ProbeAProducerWhoseChannelTheRouteReadsIsReported() => AnalyzerAsync(
        "using System.Threading.Channels;\n" + Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, IChatClient chat)
            {
                var channel = Channel.CreateUnbounded<string>();
                _ = Task.Run(() => Producer.PumpAsync(chat, request.Model!, channel.Writer));
                await foreach (var text in channel.Reader.ReadAllAsync())
                {
                    await ctx.Response.WriteAsync(text);
                }

                return Results.Empty;
            }
        }

        internal static class Producer
        {
            public static async Task PumpAsync(IChatClient chat, string prompt, ChannelWriter<string> writer)
            {
                try
                {
                    await foreach (var update in {|TLLM2006:chat.GetStreamingResponseAsync(prompt)|})
                    {
                        if (update.FinishReason == ChatFinishReason.ContentFilter)
                        {
                            throw new UpstreamException(502, "The answer was filtered.");
                        }

                        await writer.WriteAsync(update.Text);
                    }
                }
                {|#0:catch|} (HttpRequestException)
                {
                }
                finally
                {
                    writer.Complete();
                }
            }
        }
        """, Libraries,
        Diagnostic("TLLM2004", 0, SwallowedExceptionTests.Message("System.Net.Http.HttpRequestException")
            + Through("Routes.Chat → Producer.PumpAsync")));

    /// <summary>A <c>Task.Run</c> kept in a local and awaited before the answer, and a method both a discarded
    /// <c>Task.Run</c> and the route itself await: the request waits on both, so both catches are reported.</summary>
    [Fact]
    public Task ProbeATaskRunAwaitedLaterAndAMethodAlsoAwaitedByTheRouteAreReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                var path = request.Model!;
                var job = Task.Run(() => Jobs.BuildAsync(path));
                _ = Task.Run(() => Jobs.RefreshAsync(path));
                await Jobs.RefreshAsync(path + ".now");
                await job;
                return Results.Text("built");
            }
        }

        internal static class Jobs
        {
            public static async Task BuildAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "build"); }
                {|#0:catch|} (System.IO.IOException) { }
            }

            public static async Task RefreshAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "refresh"); }
                {|#1:catch|} (System.IO.IOException) { }
            }
        }
        """, Libraries,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")
            + Through("Routes.Chat → Jobs.BuildAsync")),
        Diagnostic("TLLM2007", 1, SwallowedExceptionTests.HandledMessage("System.IO.IOException")
            + Through("Routes.Chat → Jobs.RefreshAsync")));
}
