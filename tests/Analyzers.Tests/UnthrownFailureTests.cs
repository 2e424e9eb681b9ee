using System.Linq;
using System.Threading.Tasks;
using TracedLlm.Analyzers.Tests.Matrix;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2008: an upstream failure no exception carries, answered by hand or as a success (the matrix has every
/// construct).</summary>
public sealed class UnthrownFailureTests
{
    private const string Header = "#pragma warning disable OPENAI001\nusing System.Linq;\nusing System.Net;\n"
        + "using Yarp.ReverseProxy.Forwarder;\nusing OpenAI.Responses;\n" + Corpus.Header
        + "internal static class Llm { public static readonly LlmTarget Gpt = new(\"openai\", \"gpt-4o\"); "
        + "public const string Url = \"http://upstream/v1/chat/completions\"; }\n";

    private static string Message(string what, string how) =>
        $"{what}, and {how}: no exception carries the failure, so no span, failure logger or error format sees it; "
        + "throw (an UpstreamException) or record it (LlmCall.RecordHandledFailure)";

    /// <summary>A gateway that forwards with YARP in an attempt and answers the forwarder's failure by hand.</summary>
    private const string Forwarder = Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext ctx,
                IHttpForwarder forwarder, HttpMessageInvoker invoker)
            {
                var error = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                    await forwarder.SendAsync(ctx, "http://upstream", invoker, new(), HttpTransformer.Default));
                if ({|#0:error != ForwarderError.None|})
                {
                    Console.Error.WriteLine(error);
                    ctx.Response.StatusCode = 502;
                    return Results.Empty;
                }

                return Results.Empty;
            }
        }
        """;

    [Fact]
    public Task TheMessageSaysWhatFailedAndHowItWasAnswered() => AnalyzerAsync(
        Forwarder, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0,
            Message("YARP's forwarder failed (a ForwarderError other than None)", "the response is written by hand")));

    /// <summary>A Responses API result that ended failed or cancelled, its text answered as a success.</summary>
    [Fact]
    public Task AResponseThatEndedFailedAnsweredWithItsTextIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call)
            {
                var result = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                    (await new ResponsesClient("key").CreateResponseAsync("gpt-4o", request.Model!, null, ct)).Value);
                if ({|#0:result.Status is ResponseStatus.Failed or ResponseStatus.Cancelled|})
                {
                    return Results.Ok(new Reply { Text = result.Error?.ToString() });
                }

                return Results.Ok(new Reply { Text = result.Id });
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The run or response ended 'failed'", "a success is answered")));

    /// <summary>
    /// Reaching the failure path: a throw, <c>EnsureSuccessStatusCode</c>, a record, an error result the pipeline takes
    /// as a failure; and a 404 the app answers by design, a status of a call the code does not show is a model call's.
    /// </summary>
    [Fact]
    public Task FailuresHandedToTheFailurePathAndStatusesAnsweredByDesignAreNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                using var response = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                if (response.StatusCode == HttpStatusCode.NotFound) { return Results.Ok(new Reply { Text = "none" }); }
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable) { return Results.StatusCode(503); }
                if ((int)response.StatusCode >= 500)
                {
                    call.RecordHandledFailure(new HttpRequestException("upstream"));
                    return Results.Ok(new Reply());
                }

                if (!response.IsSuccessStatusCode) { throw new UpstreamException((int)response.StatusCode, "failed"); }
                response.EnsureSuccessStatusCode();
                using var profile = await http.GetAsync("http://profiles.internal/me");
                if (!profile.IsSuccessStatusCode) { return Results.Ok(new Reply { Text = "anonymous" }); }
                return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>The team's declarations: a method that keeps the failure as its own record, an answer vouched
    /// for.</summary>
    [Fact]
    public Task ADeclaredRecordOrDesignIsNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                var text = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                    await Answers.BusyAsync(http) + await Answers.KeptAsync(http));
                return Results.Ok(new Reply { Text = text });
            }
        }

        internal static class Answers
        {
            [FailureHandledByDesign("a busy model answers a canned reply the client shows")]
            public static async Task<string> BusyAsync(HttpClient http)
            {
                using var response = await http.PostAsync(Llm.Url, new StringContent("{}"));
                if (!response.IsSuccessStatusCode) { return "busy " + response.ReasonPhrase; }
                return await response.Content.ReadAsStringAsync();
            }

            [RecordsFailures]
            public static async Task<string> KeptAsync(HttpClient http)
            {
                using var response = await http.PostAsync(Llm.Url, new StringContent("{}"));
                if (!response.IsSuccessStatusCode) { return "kept " + response.ReasonPhrase; }
                return await response.Content.ReadAsStringAsync();
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    [Fact]
    public Task ReachedThroughCallsItNamesItsPath() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                var text = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) => Upstream.AskAsync(http));
                return Results.Ok(new Reply { Text = text });
            }
        }

        internal static class Upstream
        {
            public static async Task<string> AskAsync(HttpClient http)
            {
                using var response = await http.PostAsync(Llm.Url, new StringContent("{}"));
                var body = await response.Content.ReadAsStringAsync();
                if ({|#0:!response.IsSuccessStatusCode|})
                {
                    return "The assistant is unavailable: " + body;
                }

                return body;
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0,
            Failing("its text is returned as the answer") + Through("AskAsync", "Upstream")));

    private static readonly string Synthetic =
        Message("The upstream stream can end without its end marker", "the gateway writes one itself after the loop");

    /// <summary>Raw SSE lines read until null, then the gateway's own <c>[DONE]</c>: a cut stream reads as
    /// complete.</summary>
    [Fact]
    public Task AnEndMarkerWrittenAfterReadingLinesUntilNullIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            private const string Done = "data: [DONE]\n\n";

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext ctx, HttpClient http)
            {
                using var response = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                string? line;
                while ((line = await reader.ReadLineAsync()) != null)
                {
                    if (line.StartsWith("data: ") && line != "data: [DONE]")
                    {
                        await ctx.Response.WriteAsync(line + "\n\n");
                    }
                }

                await ctx.Response.WriteAsync({|#0:Done|});
                return Results.Empty;
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Synthetic));

    /// <summary>A source iterator that yields an upstream's lines, read by the route, which then yields a chunk whose
    /// finish reason it sets to <c>stop</c> itself.</summary>
    [Fact]
    public Task AFinishReasonBuiltAfterASourceIteratorOfLinesIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async IAsyncEnumerable<string> Chat(ChatRequest request, HttpClient http)
            {
                await foreach (var chunk in Upstream.LinesAsync(http))
                {
                    yield return chunk;
                }

                yield return JsonSerializer.Serialize(new { {|#0:finish_reason = "stop"|} });
            }
        }

        internal static class Upstream
        {
            public static async IAsyncEnumerable<string> LinesAsync(HttpClient http)
            {
                using var stream = await http.GetStreamAsync(Llm.Url);
                using var reader = new System.IO.StreamReader(stream);
                while (await reader.ReadLineAsync() is { } line) { yield return line; }
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Synthetic));

    /// <summary>The nearest sound forms: the marker written only when the upstream's own was seen, a missing end
    /// thrown before the marker, and an SDK's stream (a cut throws inside the loop, so the write is not reached).
    /// </summary>
    /// <remarks>The SDK stream's end is answered with a fixed <c>"stop"</c>, its updates' reasons unread: that
    /// suggestion is reported.</remarks>
    [Fact]
    public Task AnEndMarkerWrittenOnlyWhenSeenOrAfterAnSdkStreamIsNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext ctx, HttpClient http)
            {
                using var response = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                var done = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line == "data: [DONE]") { done = true; break; }
                    await ctx.Response.WriteAsync(line + "\n\n");
                }

                if (done) { await ctx.Response.WriteAsync("data: [DONE]\n\n"); }
                var ended = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    ended |= line.Contains("message_stop");
                }

                if (!ended) { throw new UpstreamException(502, "The stream was cut."); }
                await ctx.Response.WriteAsync("event: message_stop\n\n");
                return await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                {
                    var chat = new OpenAI.Chat.ChatClient("gpt-4o", "key");
                    await foreach (var update in chat.CompleteChatStreamingAsync("hi"))
                    {
                        await ctx.Response.WriteAsync(update.ContentUpdate.Count.ToString());
                    }

                    await ctx.Response.WriteAsync(JsonSerializer.Serialize(new { {|#0:finish_reason = "stop"|} }));
                    return Results.Empty;
                });
            }
        }
        """, UnthrownFailureMatrix.Libraries, Always(0));

    /// <summary>An upstream client whose public stream is an iterator over its private one, which reads raw lines: the
    /// chunks, a relay flag and the route's own end, reused by the iterator-depth tests.</summary>
    private static string Relayed(string stream, string flag, string end, string upstream) => Header + $$"""
        internal sealed class Chunk { public string? FinishReason { get; set; } public string? Text { get; set; } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                var sent = false;
                await foreach (var chunk in {{stream}})
                {
                    {{flag}}
                    await ctx.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n");
                }

                {{end}}
                return Results.Empty;
            }
        }

        {{upstream}}
        """;

    /// <summary>A client whose <c>StreamAsync</c> iterates <c>StreamAsyncInternal</c>, the raw line loop.</summary>
    private const string TwoDeep = """
        internal sealed class Client(HttpClient http)
        {
            public async IAsyncEnumerable<Chunk> StreamAsync(string model)
            {
                await foreach (var chunk in StreamAsyncInternal(model)) { yield return chunk; }
            }

            private async IAsyncEnumerable<Chunk> StreamAsyncInternal(string model)
            {
                using var reader = new System.IO.StreamReader(await http.GetStreamAsync(Llm.Url + "?m=" + model));
                while (await reader.ReadLineAsync() is { } line)
                {
                    yield return JsonSerializer.Deserialize<Chunk>(line)!;
                }
            }
        }
        """;

    /// <summary>A provider over <see cref="TwoDeep"/>'s client: a third iterator, reached through a method that
    /// returns its result.</summary>
    private const string ThreeDeep = TwoDeep + """

        internal static class Provider
        {
            public static IAsyncEnumerable<Chunk> Relay(HttpClient http) => RelayAsync(new Client(http));

            private static async IAsyncEnumerable<Chunk> RelayAsync(Client client)
            {
                await foreach (var chunk in client.StreamAsync("gpt-4o")) { yield return chunk; }
            }
        }
        """;

    /// <summary>The gateway's <c>[DONE]</c> after a loop over an iterator over an iterator that reads raw
    /// lines.</summary>
    [Fact]
    public Task AnEndMarkerWrittenAfterTwoSourceIteratorsOfLinesIsReported() => AnalyzerAsync(Relayed(
        "new Client(http).StreamAsync(request.Model!)", string.Empty,
        "await ctx.Response.WriteAsync({|#0:\"data: [DONE]\\n\\n\"|});", TwoDeep),
        UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Synthetic));

    /// <summary>OpenRouter's form three iterators down: a finish chunk written unless one with a finish reason was
    /// relayed, which a cut never relays.</summary>
    [Fact]
    public Task AFinishChunkWrittenUnlessOneWasRelayedThreeIteratorsDownIsReported() => AnalyzerAsync(Relayed(
        "Provider.Relay(http).WithCancellation(ctx.RequestAborted)", "sent |= chunk.FinishReason is not null;",
        "if (!sent) { await ctx.Response.WriteAsync(JsonSerializer.Serialize(new Chunk"
        + " { {|#0:FinishReason = \"stop\"|} })); }", ThreeDeep),
        UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Synthetic));

    /// <summary>The stream reached through an interface whose source implementation is an iterator over the raw
    /// one.</summary>
    [Fact]
    public Task AnEndMarkerWrittenAfterAnInterfacesSourceIteratorIsReported() => AnalyzerAsync(Relayed(
        "((IUpstream)new Upstream(new Client(http))).StreamAsync()", string.Empty,
        "await ctx.Response.WriteAsync({|#0:\"event: message_stop\\n\\n\"|});", TwoDeep + """

        internal interface IUpstream { IAsyncEnumerable<Chunk> StreamAsync(); }

        internal sealed class Upstream(Client client) : IUpstream
        {
            public async IAsyncEnumerable<Chunk> StreamAsync()
            {
                await foreach (var chunk in client.StreamAsync("gpt-4o")) { yield return chunk; }
            }
        }
        """), UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Synthetic));

    /// <summary>Two iterators over an SDK's stream (a cut throws), and the marker written only when a finish reason
    /// came up from three iterators down.</summary>
    [Fact]
    public Task AnEndMarkerAfterIteratorsOverAnSdkOrOnlyWhenSeenIsNotReported() => AnalyzerAsync(Relayed(
        "Provider.Relay(http)", "sent |= chunk.FinishReason is not null;",
        "if (sent) { await ctx.Response.WriteAsync(\"data: [DONE]\\n\\n\"); }"
        + "\nawait foreach (var chunk in Sdk.OuterAsync()) { await ctx.Response.WriteAsync(chunk.Text!); }"
        + "\nawait ctx.Response.WriteAsync(\"data: [DONE]\\n\\n\");", ThreeDeep + """

        internal static class Sdk
        {
            public static async IAsyncEnumerable<Chunk> OuterAsync()
            {
                await foreach (var chunk in InnerAsync()) { yield return chunk; }
            }

            private static async IAsyncEnumerable<Chunk> InnerAsync()
            {
                var chat = new OpenAI.Chat.ChatClient("gpt-4o", "key");
                await foreach (var update in {|TLLM2006:{|#0:chat.CompleteChatStreamingAsync("hi")|}|})
                {
                    yield return new Chunk { Text = update.ContentUpdate.Count.ToString() };
                }
            }
        }
        """), UnthrownFailureMatrix.Libraries,
        Unfinished(0, Through("InnerAsync", "Sdk").Replace("Routes.Chat → ", "Routes.Chat → Sdk.OuterAsync → ")));

    private static readonly string HandAnswered = Message(
        "A content-safety check decides the answer outside an ILlmGuardrail",
        "its block is answered by hand, with no guardrail span (adopt it as an ILlmGuardrail)");

    /// <summary>OpenAI's moderation verdict, kept in a local, answered 400 in the route: a status and no guardrail
    /// span.</summary>
    [Fact]
    public Task AModerationVerdictAnswered400ByHandIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call)
            {
                var moderation = new OpenAI.Moderations.ModerationClient("omni-moderation-latest", "key");
                var verdict = (await {|TLLM2006:moderation.ClassifyTextAsync(request.Model!)|}).Value;
                if ({|#0:verdict.Flagged|})
                {
                    return Results.BadRequest(new Reply { Text = "Unsafe prompt detected." });
                }

                return Results.Ok(new Reply { Text = "ok" });
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, HandAnswered));

    /// <summary>A team's own check, declared in the option, whose verdict a helper answers with a refusal
    /// text.</summary>
    [Fact]
    public Task ADeclaredCheckAnsweredWithARefusalTextIsReported() => DeclaredAsync(
        new[]
        {
            Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request, ISafety safety) =>
                    new Reply { Text = await Answer(request.Model!, safety) };

                private static async Task<string> Answer(string prompt, ISafety safety)
                {
                    if ({|#0:!await safety.IsSafeAsync(prompt)|}) { return "I can't help with that."; }
                    return prompt;
                }
            }

            public interface ISafety { Task<bool> IsSafeAsync(string text); }
            """,
        },
        UnthrownFailureMatrix.Libraries, "dotnet_code_quality.TLLM2008.moderation_checks = T:Contoso.ISafety",
        Diagnostic("TLLM2008", 0,
            HandAnswered + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Routes.Answer)"));

    /// <summary>The nearest sound forms: the check adopted as an ILlmGuardrail, its block thrown as the runtime's
    /// guardrail exception, a verdict whose tested branch answers the success, an undeclared check.</summary>
    [Fact]
    public Task ACheckAdoptedAsAGuardrailOrThrownIsNotReported() => AnalyzerAsync(Header + """
        internal sealed class Moderation : ILlmGuardrail
        {
            public string Name => "moderation";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public async ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken ct)
            {
                var client = new OpenAI.Moderations.ModerationClient("omni-moderation-latest", "key");
                var text = context.Request?.ToString() ?? "";
                var verdict = (await {|TLLM2006:client.ClassifyTextAsync(text, ct)|}).Value;
                if (verdict.Flagged) { return GuardrailVerdict.Block("Unsafe prompt detected."); }
                return GuardrailVerdict.Allow;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, ISafety safety)
            {
                var moderation = new OpenAI.Moderations.ModerationClient("omni-moderation-latest", "key");
                if ((await {|TLLM2006:moderation.ClassifyTextAsync(request.Model!)|}).Value.Flagged)
                {
                    throw new GuardrailBlockedException("moderation", "Unsafe prompt detected.");
                }

                var again = (await {|TLLM2006:moderation.ClassifyTextAsync(request.Model!)|}).Value;
                if (!again.Flagged) { return Results.Ok(new Reply { Text = request.Model }); }
                if (!await safety.IsSafeAsync(request.Model!)) { return Results.BadRequest(new Reply()); }
                return Results.Ok(new Reply { Text = "ok" });
            }
        }

        public interface ISafety { Task<bool> IsSafeAsync(string text); }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A helper that turns a model call's failing status into null leaves no trace of it.</summary>
    /// <remarks>Issue 78, item 3: the route's fallback over models, a retry loop whose failure leaves for a null, and
    /// helpers that answer an empty list or array (an embedding, scores).</remarks>
    [Fact]
    public Task AFailingStatusTurnedIntoNullForTheCallerIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                foreach (var model in new[] { "gpt-4o", "gpt-4o-mini" })
                {
                    if (await Upstream.TryAsync(http, model) is { } text)
                    {
                        return Results.Ok(new Reply { Text = text });
                    }
                }

                var found = (await Upstream.EmbedAsync(http)).Count + (await Upstream.ScoresAsync(http)).Length;
                return Results.Ok(new Reply { Text = await Upstream.RetryAsync(http) + found });
            }
        }

        internal static class Upstream
        {
            public static async Task<List<float>> EmbedAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if ({|#2:!response.IsSuccessStatusCode|}) { return new List<float>(); }
                return await response.Content.ReadFromJsonAsync<List<float>>() ?? [];
            }

            public static async Task<float[]> ScoresAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if ({|#3:!response.IsSuccessStatusCode|}) { return Array.Empty<float>(); }
                return await response.Content.ReadFromJsonAsync<float[]>() ?? new float[0];
            }

            public static async Task<string?> TryAsync(HttpClient http, string model)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, JsonContent.Create(new { model }))|};
                if ({|#0:!response.IsSuccessStatusCode|})
                {
                    Console.Error.WriteLine($"{model} answered {response.StatusCode}");
                    return null;
                }

                return await response.Content.ReadAsStringAsync();
            }

            public static async Task<string> RetryAsync(HttpClient http)
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                    if ({|#1:(int)response.StatusCode >= 500|}) { break; }
                    return await response.Content.ReadAsStringAsync();
                }

                return "";
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0,
            Failing("it is turned into null for the caller") + Through("TryAsync", "Upstream")),
        Diagnostic("TLLM2008", 1,
            Failing("it is turned into an empty text for the caller") + Through("RetryAsync", "Upstream")),
        Diagnostic("TLLM2008", 2,
            Failing("it is turned into an empty collection for the caller") + Through("EmbedAsync", "Upstream")),
        Diagnostic("TLLM2008", 3,
            Failing("it is turned into an empty collection for the caller") + Through("ScoresAsync", "Upstream")));

    /// <summary>A streaming helper that turns a model call's failing status into a chunk or its stream's end.</summary>
    /// <remarks>Its caller relays the chunks as the model's: the client reads an error as text of a complete answer, or
    /// an empty one, and the trace says it succeeded. An iterator that throws on the status is not reported.</remarks>
    [Fact]
    public Task AFailingStatusTurnedIntoAChunkOrTheStreamsEndIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                var text = new System.Text.StringBuilder();
                await foreach (var chunk in Upstream.ChunksAsync(http)) { text.Append(chunk.Text); }
                await foreach (var chunk in Upstream.QuietAsync(http)) { text.Append(chunk); }
                await foreach (var chunk in Upstream.CheckedAsync(http)) { text.Append(chunk); }
                return Results.Ok(new Reply { Text = text.ToString() });
            }
        }

        internal sealed record Chunk(string Text, bool Error = false);

        internal static class Upstream
        {
            public static async IAsyncEnumerable<Chunk> ChunksAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if ({|#0:!response.IsSuccessStatusCode|})
                {
                    yield return new Chunk($"Error: {response.StatusCode}", Error: true);
                    yield break;
                }

                yield return new Chunk(await response.Content.ReadAsStringAsync());
            }

            public static async IAsyncEnumerable<string> QuietAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if ({|#1:(int)response.StatusCode >= 500|})
                {
                    yield break;
                }

                yield return await response.Content.ReadAsStringAsync();
            }

            public static async IAsyncEnumerable<string> CheckedAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"upstream {response.StatusCode}");
                }

                yield return await response.Content.ReadAsStringAsync();
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0,
            Failing("it is turned into a chunk of the stream for the caller") + Through("ChunksAsync", "Upstream")),
        Diagnostic("TLLM2008", 1,
            Failing("it is turned into the stream's end for the caller") + Through("QuietAsync", "Upstream")));

    private static readonly string NoMarker = Message("The upstream stream can end without its end marker",
        "it is turned into the stream's end for the caller");

    /// <summary>A streaming helper that leaves on a model stream's <c>[DONE]</c>, or reads on past it, ends alike on a
    /// cut.</summary>
    /// <remarks>Its caller relays a cut answer as complete. Not reported: a helper that throws when the marker never
    /// came, and one whose marker branch yields a closing chunk the caller can tell from a cut.</remarks>
    [Fact]
    public Task AStreamsEndMarkerTheCallerCannotTellFromACutIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                var text = new System.Text.StringBuilder();
                await foreach (var chunk in Upstream.LeavesAsync(http)) { text.Append(chunk); }
                await foreach (var chunk in Upstream.ReadsOnAsync(http)) { text.Append(chunk); }
                await foreach (var chunk in Upstream.CheckedAsync(http)) { text.Append(chunk); }
                await foreach (var chunk in Upstream.ClosedAsync(http)) { text.Append(chunk); }
                return Results.Ok(new Reply { Text = text.ToString() + await Upstream.TextAsync(http) });
            }
        }

        internal static class Upstream
        {
            public static async IAsyncEnumerable<string> LeavesAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (!reader.EndOfStream)
                {
                    var line = await reader.ReadLineAsync();
                    if (line is null || !line.StartsWith("data: ")) { continue; }
                    if (line.StartsWith(": ping")) { yield return line; continue; }
                    var data = line["data: ".Length..].Trim();
                    if ({|#0:data == "[DONE]"|}) { break; }
                    yield return data;
                }
            }

            public static async IAsyncEnumerable<string> ReadsOnAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                await using var stream = await response.Content.ReadAsStreamAsync();
                using var reader = new System.IO.StreamReader(stream);
                string? line;
                var open = false;
                var end = "data: [DONE]";
                while ((line = await reader.ReadLineAsync()) != null)
                {
                    if ({|#1:!string.IsNullOrEmpty(line) && line != end|})
                    {
                        open = true;
                        yield return line;
                    }
                }

                if (open) { yield return "\n"; }
            }

            public static async IAsyncEnumerable<string> CheckedAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                var done = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line == "data: [DONE]") { done = true; break; }
                    yield return line;
                }

                if (!done) { throw new UpstreamException(502, "The stream ended without its end marker."); }
            }

            public static async IAsyncEnumerable<string> ClosedAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line == "data: [DONE]") { yield return "[END]"; yield break; }
                    yield return line;
                }
            }

            public static async Task<string> TextAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                var text = new System.Text.StringBuilder();
                while (await reader.ReadLineAsync() is { } line)
                {
                    if ({|#2:line.Contains("[DONE]")|}) { continue; }
                    text.Append(line);
                }

                return text.ToString();
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, NoMarker + Through("LeavesAsync", "Upstream")),
        Diagnostic("TLLM2008", 1, NoMarker + Through("ReadsOnAsync", "Upstream")),
        Diagnostic("TLLM2008", 2, Message("The upstream stream can end without its end marker",
            "its text is returned as the answer") + Through("TextAsync", "Upstream")));

    /// <summary>The nearest sound forms of a stream's end read, not reported.</summary>
    /// <remarks>Review 6: a relay that leaves on a typed end and throws without it, a registered client's stream read
    /// on past <c>[DONE]</c> (the run time fails that attempt), an iterator that relays the marker line itself, and an
    /// error event kept for after the loop, thrown there.</remarks>
    [Fact]
    public Task AStreamsEndReadOrWatchedIsNotReported() => AnalyzerAsync(Registering + """
                var llm = factory.CreateClient("llm");
                using var watched = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                using (var lines = new System.IO.StreamReader(await watched.Content.ReadAsStreamAsync()))
                {
                    var done = false;
                    while (await lines.ReadLineAsync() is { } line)
                    {
                        var chunk = JsonSerializer.Deserialize<Chunk>(line)!;
                        if (chunk.Done) { done = true; break; }
                        await ctx.Response.WriteAsync(chunk.Text + "\n");
                    }

                    if (!done) { throw new UpstreamException(502, "The stream ended without its end."); }
                }

                using var registered = await llm.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead);
                using var reader = new System.IO.StreamReader(await registered.Content.ReadAsStreamAsync());
                var text = new System.Text.StringBuilder();
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line == "data: [DONE]") { continue; }
                    text.Append(line);
                }

                await foreach (var line in Upstream.LinesAsync(http)) { text.Append(line); }
                return Results.Ok(new Reply { Text = text.ToString() + await Upstream.KeptAsync(http) });
            }
        }

        internal sealed record Chunk(string Text, bool Done);

        internal static class Upstream
        {
            public static async IAsyncEnumerable<string> LinesAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    yield return line;
                    if (line == "data: [DONE]") { yield break; }
                }
            }

            public static async Task<string> KeptAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                var text = new System.Text.StringBuilder();
                string? failure = null;
                var done = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith("event: error")) { failure = line; continue; }
                    if (line == "data: [DONE]") { done = true; break; }
                    text.Append(line);
                }

                if (failure is not null || !done) { throw new UpstreamException(502, failure ?? "Cut."); }
                return text.ToString();
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A model stream's error event turned into a chunk, or left for a success, drops the failure.</summary>
    /// <remarks>Not reported: an error event thrown, and one recorded before the chunk.</remarks>
    [Fact]
    public Task AStreamsErrorEventTurnedIntoDataIsReported() => AnalyzerAsync(Header + """
        internal sealed record Chunk(string Text, bool Error = false);

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http, LlmCall call)
            {
                var text = new System.Text.StringBuilder();
                await foreach (var chunk in Upstream.ChunksAsync(http)) { text.Append(chunk.Text); }
                await foreach (var chunk in Upstream.ThrownAsync(http)) { text.Append(chunk.Text); }
                await foreach (var chunk in Upstream.RecordedAsync(http, call)) { text.Append(chunk.Text); }
                text.Append(await Upstream.SkippedAsync(http));
                return Results.Ok(new Reply { Text = text.ToString() + await Upstream.EventsAsync(http) });
            }
        }

        internal static class Upstream
        {
            private static Task<HttpResponseMessage> SendAsync(HttpClient http, string url) =>
                {|TLLM2006:http.SendAsync(
                    new HttpRequestMessage(HttpMethod.Post, url), HttpCompletionOption.ResponseHeadersRead)|};

            public static async IAsyncEnumerable<Chunk> ChunksAsync(HttpClient http)
            {
                using var response = await SendAsync(http, Llm.Url);
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    using var json = JsonDocument.Parse(line);
                    if ({|#0:json.RootElement.TryGetProperty("error", out var error)|})
                    {
                        yield return new Chunk(error.ToString(), Error: true);
                        yield break;
                    }

                    yield return new Chunk(line);
                }
            }

            public static async IAsyncEnumerable<Chunk> ThrownAsync(HttpClient http)
            {
                using var response = await SendAsync(http, Llm.Url);
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.Contains("\"error\"")) { throw new UpstreamException(502, "The stream failed."); }
                    yield return new Chunk(line);
                }
            }

            public static async IAsyncEnumerable<Chunk> RecordedAsync(HttpClient http, LlmCall call)
            {
                using var response = await SendAsync(http, Llm.Url);
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (!line.StartsWith("event: error")) { yield return new Chunk(line); continue; }
                    call.RecordHandledFailure(new UpstreamException(502, "The stream failed."));
                    yield return new Chunk(line, Error: true);
                }
            }

            public static async Task<string> EventsAsync(HttpClient http)
            {
                using var response = await SendAsync(http, Llm.Url);
                response.EnsureSuccessStatusCode();
                var text = new System.Text.StringBuilder();
                var events = System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync());
                await foreach (var item in events.EnumerateAsync())
                {
                    if ({|#1:item.EventType == "error"|}) { break; }
                    text.Append(item.Data);
                }

                return text.ToString();
            }

            public static async Task<string> SkippedAsync(HttpClient http)
            {
                using var response = await SendAsync(http, Llm.Url);
                var text = new System.Text.StringBuilder();
                var events = System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync());
                await foreach (var item in events.EnumerateAsync())
                {
                    if ({|#2:item.EventType == "error"|}) { Console.Error.WriteLine(item.Data); continue; }
                    text.Append(item.Data);
                }

                return text.ToString();
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The model call's stream carried an error event",
            "it is turned into a chunk of the stream for the caller") + Through("ChunksAsync", "Upstream")),
        Diagnostic("TLLM2008", 1, Message("The model call's stream carried an error event",
            "its text is returned as the answer") + Through("EventsAsync", "Upstream")),
        Diagnostic("TLLM2008", 2, Message("The model call's stream carried an error event",
            "its text is returned as the answer") + Through("SkippedAsync", "Upstream")));

    /// <summary>A model call's success whose body is empty, turned into null for the caller or answered as a success,
    /// leaves no trace of the failure.</summary>
    /// <remarks>Fresh set 28's SDK: the status checked, then an empty body answered as null with an error message kept
    /// aside. Not reported: an empty body thrown on, a blank text that is not a model call's body (a file service's,
    /// the request's), and a helper every caller throws on the null of.</remarks>
    [Fact]
    public Task AModelCallsEmptyBodyTurnedIntoNothingIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                if (string.IsNullOrEmpty(request.Model)) { return Results.BadRequest(); }
                var reply = await Upstream.ChatAsync(http);
                var thrown = await Upstream.ThrownAsync(http) + await Upstream.FileAsync(http);
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var text = await response.Content.ReadAsStringAsync();
                if ({|#1:string.IsNullOrEmpty(text)|}) { return Results.Ok(new Reply()); }
                return Results.Ok(new Reply { Text = text + reply?.Text + thrown });
            }
        }

        internal static class Upstream
        {
            public static string? Error { get; private set; }

            public static async Task<Reply?> ChatAsync(HttpClient http)
            {
                var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode) { throw new UpstreamException((int)response.StatusCode, "failed"); }
                var content = await response.Content.ReadAsStringAsync();
                if ({|#0:string.IsNullOrWhiteSpace(content)|})
                {
                    Error = "empty response";
                    return null;
                }

                return JsonSerializer.Deserialize<Reply>(content);
            }

            public static async Task<string> ThrownAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var content = await response.Content.ReadAsStringAsync();
                if (string.IsNullOrWhiteSpace(content)) { throw new UpstreamException(502, "Nothing answered."); }
                return content;
            }

            public static async Task<string?> FileAsync(HttpClient http)
            {
                using var response = await http.PostAsync("http://files.internal/report", new StringContent("{}"));
                response.EnsureSuccessStatusCode();
                var content = await response.Content.ReadAsStringAsync();
                return string.IsNullOrEmpty(content) ? null : content;
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The model call answered an empty body",
            "it is turned into null for the caller") + Through("ChatAsync", "Upstream")),
        Diagnostic("TLLM2008", 1, Message("The model call answered an empty body", "a success is answered")));

    /// <summary>A model's blank answer tested where the text arrives: an SDK result's text, a JSON field of the body,
    /// or the text a service behind an interface returns, ended on or answered as a success.</summary>
    /// <remarks>Fresh set 31: the review pipeline tests the text its OpenAI reviewer returns, logs and returns. Not
    /// reported: a blank answered with an error, a service that tests the text itself, the request's own text, a
    /// streamed chunk's.</remarks>
    [Fact]
    public Task AModelsBlankAnswerTestedWhereItArrivesIsReported() => AnalyzerAsync(
        "using Microsoft.Extensions.AI;\nusing System.Text.Json;\n" + Header + """
        internal interface IReviewer { Task<string> ReviewAsync(string prompt); }

        internal sealed class OpenAiReviewer : IReviewer
        {
            public async Task<string> ReviewAsync(string prompt)
            {
                var client = new OpenAI.Chat.ChatClient("gpt-4o", "key");
                var response = await {|TLLM2006:{|#4:client.CompleteChatAsync(prompt)|}|};
                return response.Value.Content[0].Text;
            }
        }

        internal sealed class CheckedReviewer
        {
            public async Task<string> ReviewAsync(IChatClient chat)
            {
                var text = (await {|TLLM2006:{|#5:chat.GetResponseAsync("review")|}|}).Text;
                if (string.IsNullOrWhiteSpace(text)) { throw new UpstreamException(502, "No review."); }
                return text;
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IReviewer reviewer, IChatClient chat,
                HttpClient http, CheckedReviewer checkedReviewer)
            {
                if (string.IsNullOrEmpty(request.Model)) { return Results.BadRequest(); }
                var feedback = await reviewer.ReviewAsync("diff");
                if ({|#0:string.IsNullOrWhiteSpace(feedback)|})
                {
                    Console.Error.WriteLine("No feedback.");
                    return Results.Ok(new Reply());
                }

                var reply = await {|TLLM2006:{|#3:chat.GetResponseAsync("hello")|}|};
                if ({|#1:string.IsNullOrEmpty(reply.Text)|}) { return Results.Ok(new Reply { Text = "" }); }
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadAsStringAsync();
                var text = JsonDocument.Parse(body).RootElement.GetProperty("text").GetString();
                if ({|#2:string.IsNullOrEmpty(text)|}) { return Results.Ok(new Reply()); }
                var again = await {|TLLM2006:{|#6:chat.GetResponseAsync("again")|}|};
                if (string.IsNullOrEmpty(again.Text)) { return Results.StatusCode(502); }
                var review = await checkedReviewer.ReviewAsync(chat);
                if (string.IsNullOrEmpty(review)) { return Results.Ok(new Reply()); }
                await foreach (var update in {|TLLM2006:{|#7:chat.GetStreamingResponseAsync("more")|}|})
                {
                    if (string.IsNullOrEmpty(update.Text)) { continue; }
                }

                return Results.Ok(new Reply { Text = feedback + reply.Text + text + again.Text + review });
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The model call answered an empty body", "a success is answered")),
        Diagnostic("TLLM2008", 1, Message("The model call answered an empty body", "a success is answered")),
        Diagnostic("TLLM2008", 2, Message("The model call answered an empty body", "a success is answered")),
        Unfinished(3), Unfinished(4, Through("ReviewAsync", "IReviewer.ReviewAsync → OpenAiReviewer")),
        Unfinished(5, Through("ReviewAsync", "CheckedReviewer")), Unfinished(6), Unfinished(7));

    /// <summary>A translating gateway's mapping of finish reasons that turns the provider's content filter into a
    /// success stop: the client reads a filtered answer as complete.</summary>
    /// <remarks>Fresh sets 16 and 26 (OpenAI's <c>content_filter</c> mapped to Anthropic's <c>end_turn</c>); a switch
    /// expression, an SDK enum's case, an or-pattern. Not reported: the filter mapped to a stop that says so
    /// (<c>refusal</c>), passed through, or a success stop mapped from success reasons only.</remarks>
    [Fact]
    public Task AContentFilterMappedToASuccessStopIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new Reply
            {
                Text = Stops.ToAnthropic(request.Model) + Stops.FromSdk(default) + Stops.Either(request.Model)
                    + Stops.Refused(request.Model) + Stops.Passed(request.Model),
            };
        }

        internal static class Stops
        {
            public static string? ToAnthropic(string? reason) => reason switch
            {
                "stop" => "end_turn",
                "length" => "max_tokens",
                {|#0:"content_filter" => "end_turn"|},
                _ => null,
            };

            public static string FromSdk(OpenAI.Chat.ChatFinishReason reason)
            {
                switch (reason)
                {
                    case OpenAI.Chat.ChatFinishReason.Length: return "length";
                    {|#1:case OpenAI.Chat.ChatFinishReason.ContentFilter:|} return "stop";
                    default: return "stop";
                }
            }

            public static string Either(string? reason) => reason switch
            {
                {|#2:"stop" or "content_filter" => "stop"|},
                _ => "length",
            };

            public static string? Refused(string? reason) => reason switch
            {
                "content_filter" => "refusal",
                "stop" => "end_turn",
                _ => reason,
            };

            public static string? Passed(string? reason) => reason switch
            {
                "end_turn" => "stop",
                _ => reason,
            };
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The model's 'content_filter' stop is mapped to 'end_turn'", Filtered)
            + Through("ToAnthropic", "Stops")),
        Diagnostic("TLLM2008", 1, Message("The model's 'content_filter' stop is mapped to 'stop'", Filtered)
            + Through("FromSdk", "Stops")),
        Diagnostic("TLLM2008", 2, Message("The model's 'content_filter' stop is mapped to 'stop'", Filtered)
            + Through("Either", "Stops")));

    private const string Filtered = "a filtered answer reaches the client as complete";

    /// <summary>A mapper that answers a model's result with a finish reason fixed at a success stop, whatever the model
    /// said: a suggestion, since a filtered or cut answer reaches the client as complete.</summary>
    /// <remarks>Fresh sets 10 and 19 (a Semantic Kernel answer and a chat proxy's, mapped with <c>"stop"</c>). Not
    /// reported: the model's reason read (or given as a default), a stop written on the end marker's branch, a canned
    /// answer no model gave.</remarks>
    [Fact]
    public Task AFinishReasonFixedAtAStopIsASuggestion() => AnalyzerAsync("using Microsoft.Extensions.AI;\n" + Header
        + """
        internal sealed record Choice(int Index, string? Text, string FinishReason);

        internal sealed class Completion { public string? FinishReason { get; set; } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, IChatClient chat)
            {
                var response = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (attempt, ct) =>
                    await chat.GetResponseAsync("hello", cancellationToken: ct));
                return Results.Ok(new[] { Mapper.Anonymous(response), Mapper.Record(response), Mapper.Typed(response),
                    Mapper.Defaulted(response), Mapper.Read(response), Mapper.OnTheMarker(response, request.Model),
                    Mapper.Canned() });
            }
        }

        internal static class Mapper
        {
            public static object Anonymous(ChatResponse response) =>
                new { choices = new[] { new { text = response.Text, {|#0:finish_reason = "stop"|} } } };

            public static object Record(ChatResponse response) => new Choice(0, response.Text, {|#1:"stop"|});

            public static object Typed(ChatResponse response) => new Completion { {|#2:FinishReason = "stop"|} };

            public static object Defaulted(ChatResponse response) =>
                new { finish_reason = response.FinishReason?.Value ?? "stop" };

            public static object Read(ChatResponse response)
            {
                var reason = response.FinishReason;
                return new { finish_reason = "stop", reason };
            }

            public static object OnTheMarker(ChatResponse response, string? line) =>
                line == "[DONE]" ? new { finish_reason = "stop" } : new { finish_reason = "length" };

            public static object Canned() => new { finish_reason = "stop" };
        }
        """, UnthrownFailureMatrix.Libraries,
        Always(0, "Anonymous"), Always(1, "Record"), Always(2, "Typed"));

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Always(int location, string? mapper = null) =>
        Diagnostic("TLLM2008", location, Message("The answer's finish reason is always 'stop'", Cut)
            + (mapper is null ? "" : Through(mapper, "Mapper")))
        .WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info);

    private const string Cut = "a filtered or cut answer (content_filter, length) reaches the client as complete";

    /// <summary>An SDK's chat call outside an attempt whose text is answered with its finish reason read nowhere: a
    /// suggestion, since a filtered or cut answer reaches the client and the trace as complete.</summary>
    /// <remarks>Fresh sets 8, 9, 17 and 28 (the answer built from the text alone). Not reported: the finish reason
    /// read, the response handed on whole (its caller may read it), a call in an attempt (whose span records why it
    /// stopped).</remarks>
    [Fact]
    public Task AModelCallsFinishReasonNeverReadIsASuggestion() => AnalyzerAsync(
        "using Microsoft.Extensions.AI;\n" + Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, IChatClient chat,
                OpenAI.Chat.ChatClient openAi)
            {
                var response = await {|TLLM2006:{|#0:chat.GetResponseAsync("hello")|}|};
                var inside = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (attempt, ct) =>
                    (await chat.GetResponseAsync("hello", cancellationToken: ct)).Text);
                var whole = await Whole.AskAsync(chat);
                return Results.Ok(new Reply { Text = response.Text + inside + await Checked.AskAsync(openAi)
                    + whole.Messages.Count });
            }
        }

        internal static class Checked
        {
            public static async Task<string> AskAsync(OpenAI.Chat.ChatClient client)
            {
                var completion = (await {|TLLM2006:client.CompleteChatAsync("hello")|}).Value;
                if (completion.FinishReason == OpenAI.Chat.ChatFinishReason.ContentFilter)
                {
                    throw new UpstreamException(502, "The answer was filtered.");
                }

                return completion.Content[0].Text;
            }
        }

        internal static class Whole
        {
            public static Task<ChatResponse> AskAsync(IChatClient chat) => {|TLLM2006:chat.GetResponseAsync("hi")|};
        }
        """, UnthrownFailureMatrix.Libraries, Unfinished(0));

    /// <summary>A failing status turned into null is not reported where every caller throws on the null.</summary>
    /// <remarks>A caller that tries its next model on the null leaves the failure unrecorded: reported above.</remarks>
    [Fact]
    public Task AFailingStatusTurnedIntoNullThatEveryCallerThrowsOnIsNotReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                var text = await Upstream.TryAsync(http, "gpt-4o");
                if (text is null)
                {
                    throw new UpstreamException(502, "The model did not answer.");
                }

                return Results.Ok(new Reply { Text = text });
            }
        }

        internal static class Upstream
        {
            public static async Task<string?> TryAsync(HttpClient http, string model)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, JsonContent.Create(new { model }))|};
                if (!response.IsSuccessStatusCode)
                {
                    return null;
                }

                return await response.Content.ReadAsStringAsync();
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A route's fallback loop that goes on to its next model on a failing status.</summary>
    /// <remarks>When a later one answers, the trace says success with no record that one failed.</remarks>
    [Fact]
    public Task AFailingStatusThatSendsTheLoopToItsNextTryIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                foreach (var model in new[] { "gpt-4o", "gpt-4o-mini" })
                {
                    using var response = await {|TLLM2006:http.PostAsync(Llm.Url, JsonContent.Create(new { model }))|};
                    if ({|#0:response.StatusCode == HttpStatusCode.ServiceUnavailable|})
                    {
                        continue;
                    }

                    return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
                }

                return Results.StatusCode(502);
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0,
            Failing("the loop goes on to its next try")));

    /// <summary>The nearest sound forms of a failing status dropped into a flag are not reported.</summary>
    /// <remarks>
    /// The send an attempt (in <c>LlmCall.ExecuteAsync</c>, a helper reached only from one, a client registered with
    /// <c>AddTracedLlmAttempts()</c>), the failure recorded, thrown or handed to the caller, a canned answer declared
    /// by design, and a call the code does not show is a model call's.
    /// </remarks>
    [Fact]
    public Task AFailureDroppedFromAnAttemptOrHandedOnIsNotReported() => AnalyzerAsync(
        "using Microsoft.Extensions.DependencyInjection;\n" + Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services) =>
                services.AddHttpClient("llm").AddTracedLlmAttempts();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http,
                IHttpClientFactory factory)
            {
                var text = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                {
                    using var response = await http.PostAsync(Llm.Url, new StringContent("{}"), ct);
                    if (!response.IsSuccessStatusCode) { return null; }
                    return await Upstream.TryAsync(http, "gpt-4o") ?? await response.Content.ReadAsStringAsync();
                });
                var llm = factory.CreateClient("llm");
                foreach (var model in new[] { "gpt-4o", "gpt-4o-mini" })
                {
                    using var response = await llm.PostAsync(Llm.Url, JsonContent.Create(new { model }));
                    if (!response.IsSuccessStatusCode) { continue; }
                    using var profile = await http.GetAsync("http://profiles.internal/me");
                    if (!profile.IsSuccessStatusCode) { continue; }
                    text += await response.Content.ReadAsStringAsync();
                }

                return Results.Ok(new Reply { Text = text + await Handed.AskAsync(http, call) });
            }
        }

        internal static class Upstream
        {
            public static async Task<string?> TryAsync(HttpClient http, string model)
            {
                using var response = await http.PostAsync(Llm.Url, JsonContent.Create(new { model }));
                if (!response.IsSuccessStatusCode) { return null; }
                return await response.Content.ReadAsStringAsync();
            }
        }

        internal static class Handed
        {
            public static async Task<string?> AskAsync(HttpClient http, LlmCall call) =>
                await RecordedAsync(http, call) + await ThrownAsync(http) + (await PassedAsync(http)).ReasonPhrase
                + await BusyAsync(http);

            private static async Task<string?> RecordedAsync(HttpClient http, LlmCall call)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode)
                {
                    call.RecordHandledFailure(new HttpRequestException($"upstream {response.StatusCode}"));
                    return null;
                }

                return await response.Content.ReadAsStringAsync();
            }

            private static async Task<string> ThrownAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode) { throw new UpstreamException((int)response.StatusCode, "failed"); }
                return await response.Content.ReadAsStringAsync();
            }

            private static async Task<HttpResponseMessage> PassedAsync(HttpClient http)
            {
                var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode) { return response; }
                return response;
            }

            [FailureHandledByDesign("a busy model is answered by the next provider; its status is on its own span")]
            private static async Task<string?> BusyAsync(HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode) { return null; }
                return await response.Content.ReadAsStringAsync();
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A route over a client <c>llm</c> registered as attempts, up to its body.</summary>
    private const string Registering = "using Microsoft.Extensions.DependencyInjection;\n" + Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services) =>
                services.AddHttpClient("llm").AddTracedLlmAttempts();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext ctx, HttpClient http,
                IHttpClientFactory factory)
            {

        """;

    /// <summary>A model call's failure read in a private helper the route hands the client and the request.</summary>
    /// <remarks>Issue 78, item 1: the route makes the named client and the request's address; the helpers answer the
    /// failing status by hand, relay the stream as raw bytes, and turn the failure into null; the route answers as a
    /// success the failing response a helper returns.</remarks>
    [Fact]
    public Task AFailureInAHelperHandedAModelClientIsReported() => AnalyzerAsync(
        "using Microsoft.Extensions.DependencyInjection;\n" + Header + """
        internal static class Routes
        {
            public static void Register(IServiceCollection services) => services.AddHttpClient("openai");

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, IHttpClientFactory factory)
            {
                var client = factory.CreateClient("openai");
                var url = Llm.Url;
                await AnswerAsync(ctx, client, new HttpRequestMessage(HttpMethod.Post, url));
                await StreamAsync(ctx, client, new HttpRequestMessage(HttpMethod.Post, url));
                using var sent = await SendAsync(client, new HttpRequestMessage(HttpMethod.Post, url));
                if ({|#3:!sent.IsSuccessStatusCode|}) { return Results.Ok(new Reply { Text = "busy" }); }
                return Results.Ok(new Reply { Text = await TextAsync(client, new(HttpMethod.Post, url)) });
            }

            private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage message)
            {
                var response = await {|TLLM2006:client.SendAsync(message)|};
                return response;
            }

            private static async Task AnswerAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|TLLM2006:client.SendAsync(message)|};
                if ({|#0:!response.IsSuccessStatusCode|})
                {
                    ctx.Response.StatusCode = 502;
                    return;
                }

                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
            }

            private static async Task StreamAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
            {
                using var response =
                    await {|TLLM2006:client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|};
                await {|#1:response.Content.CopyToAsync(ctx.Response.Body)|};
            }

            private static async Task<string?> TextAsync(HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|TLLM2006:client.SendAsync(message)|};
                if ({|#2:(int)response.StatusCode >= 500|}) { return null; }
                return await response.Content.ReadAsStringAsync();
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Failing("the response is written by hand")
            + Through("AnswerAsync")),
        Diagnostic("TLLM2008", 1, RawRelay + Through("StreamAsync")),
        Diagnostic("TLLM2008", 2, Failing("it is turned into null for the caller") + Through("TextAsync")),
        Diagnostic("TLLM2008", 3, Failing("a success is answered")));

    private static string Through(string helper, string type = "Routes") =>
        $" (reached from route 'POST /v1/chat/completions' through Routes.Chat → {type}.{helper})";

    private static string Failing(string how) => Message("The model call answered a failing status", how);

    /// <summary>The nearest sound forms of a helper handed its client are not reported.</summary>
    /// <remarks>A client registered with <c>AddTracedLlmAttempts()</c>, a helper run only in an attempt, one only
    /// handed an address no model serves, one that throws on the failing status; a model's address in the helper
    /// sent through a registered client it is handed, its failure dropped; a response a helper GETs.</remarks>
    [Fact]
    public Task AFailureInAHelperHandedAnAttemptOrNoModelIsNotReported() => AnalyzerAsync(
        Registering + """
                await Registered.AnswerAsync(ctx, factory.CreateClient("llm"), new(HttpMethod.Post, Llm.Url));
                await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                {
                    await Inside.AnswerAsync(ctx, http, new(HttpMethod.Post, Llm.Url));
                    return 0;
                });
                await Files.AnswerAsync(ctx, http, new(HttpMethod.Post, "http://files.internal/report"));
                await Thrown.AnswerAsync(ctx, http, new(HttpMethod.Post, Llm.Url));
                await Registered.TryAsync(factory.CreateClient("llm"));
                using var profile = await Returning.GetAsync(http, Llm.Url);
                if (!profile.IsSuccessStatusCode) { return Results.Ok(new Reply()); }
                return Results.Empty;
            }
        }

        internal static class Returning
        {
            public static Task<HttpResponseMessage> GetAsync(HttpClient client, string url) => client.GetAsync(url);
        }
        """ + Answering("Registered", "client.SendAsync(message)", "ctx.Response.StatusCode = 502; return;",
            """
            public static async Task<string?> TryAsync(HttpClient client)
            {
                using var response = await client.PostAsync(Llm.Url, new StringContent("{}"));
                if (!response.IsSuccessStatusCode) { return null; }
                return await response.Content.ReadAsStringAsync();
            }
            """)
        + Answering("Inside", "client.SendAsync(message)", "ctx.Response.StatusCode = 502; return;")
        + Answering("Files", "client.SendAsync(message)", "ctx.Response.StatusCode = 502; return;")
        + Answering("Thrown", "{|TLLM2006:client.SendAsync(message)|}",
            "throw new UpstreamException((int)response.StatusCode, \"The model failed.\");"),
        UnthrownFailureMatrix.Libraries);

    /// <summary>A helper handed a model's address by one route and a file service's by another answers the model
    /// call's failure by hand on the first: reported, with the way the model's address came.</summary>
    /// <remarks>Fresh set 27's shared forwarder (model and model-management paths through one helper): every caller
    /// need not send to a model, as TLLM2006 reads the same helper.</remarks>
    [Fact]
    public Task AFailureInAHelperSharedWithPathsNoModelServesIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                await Mixed.AnswerAsync(ctx, http, new(HttpMethod.Post, Llm.Url));
                return Results.Empty;
            }

            [TracedLlmRoute("POST", "/v1/files")]
            public static async Task<IResult> Files(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                await Mixed.AnswerAsync(ctx, http, new(HttpMethod.Post, "http://files.internal/report"));
                return Results.Empty;
            }
        }

        internal static class Mixed
        {
            public static async Task AnswerAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
            {
                using var response = await {|TLLM2006:client.SendAsync(message)|};
                if ({|#0:!response.IsSuccessStatusCode|}) { ctx.Response.StatusCode = 502; return; }
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Failing("the response is written by hand") + Through("AnswerAsync", "Mixed")));

    /// <summary>A helper that sends with the client and request it is handed, and answers a failing status with
    /// <paramref name="failed"/>.</summary>
    private static string Answering(string type, string send, string failed, string more = "") => $$"""

        internal static class {{type}}
        {
            public static async Task AnswerAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
            {
                using var response = await {{send}};
                if (!response.IsSuccessStatusCode) { {{failed}} }
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
            }

        {{more}}
        }
        """;

    private static readonly string Untested = OwnAnswer("The model call's status is passed on to the answer untested");

    private static readonly string Unread = OwnAnswer("The model call's body is relayed with its status unread");

    private static string OwnAnswer(string what) =>
        AttemptFix(what, "an upstream failure reaches the client as the gateway's own answer");

    private static string AttemptFix(string what, string how) =>
        Message(what, how + " (or make the send an attempt: a client with AddTracedLlmAttempts())");

    /// <summary>A model call's status copied to the answer with nothing testing it: its failure reaches the client
    /// by hand.</summary>
    /// <remarks>Issue 78, item 2: set on the response, passed to <c>Results.StatusCode</c> and to
    /// <c>Results.Text</c>; in a helper, through its callers.</remarks>
    [Fact]
    public Task AModelCallsStatusPassedOnUntestedIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                {|#0:ctx.Response.StatusCode = (int)response.StatusCode|};
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
                return request.Model is null ? await TextAsync(http, Llm.Url) : Results.Empty;
            }

            private static async Task<IResult> TextAsync(HttpClient client, string url)
            {
                var r = await {|TLLM2006:client.PostAsync(url, new StringContent("{}"))|};
                var text = await r.Content.ReadAsStringAsync();
                return text.Length == 0 ? Results.StatusCode({|#1:(int)r.StatusCode|})
                    : Results.Text(text, "application/json", null, {|#2:(int)r.StatusCode|});
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Untested),
        Diagnostic("TLLM2008", 1, Untested + Through("TextAsync")),
        Diagnostic("TLLM2008", 2, Untested + Through("TextAsync")));

    /// <summary>A model call's body answered as a success with its status read nowhere is reported.</summary>
    /// <remarks>Issue 78, item 2: its text in a success result, its text written, its content copied.</remarks>
    [Fact]
    public Task AModelCallsBodyRelayedWithItsStatusUnreadIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                await WriteAsync(ctx, http);
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                var text = await response.Content.ReadAsStringAsync();
                {|#0:return Results.Ok(new Reply { Text = text });|}
            }

            private static async Task WriteAsync(HttpContext ctx, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                await {|#1:ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync())|};
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Unread),
        Diagnostic("TLLM2008", 1, Unread + Through("WriteAsync")));

    /// <summary>The nearest sound forms of a status passed on are not reported.</summary>
    /// <remarks>The status tested first (its failure thrown), ensured, switched on; the send through a registered
    /// client, inside an attempt, or to an address no model serves; a problem result; the bodies relayed after.
    /// </remarks>
    [Fact]
    public Task AModelCallsStatusPassedOnTestedOrWatchedIsNotReported() => AnalyzerAsync(Registering + """
                await Tested.ThrownAsync(ctx, http);
                await Tested.EnsuredAsync(ctx, http);
                await Tested.SwitchedAsync(ctx, http);
                using var registered = await factory.CreateClient("llm").PostAsync(Llm.Url, new StringContent("{}"));
                ctx.Response.StatusCode = (int)registered.StatusCode;
                await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                {
                    using var inside = await http.PostAsync(Llm.Url, new StringContent("{}"), ct);
                    ctx.Response.StatusCode = (int)inside.StatusCode;
                    return 0;
                });
                using var file = await http.PostAsync("http://files.internal/report", new StringContent("{}"));
                ctx.Response.StatusCode = (int)file.StatusCode;
                await file.Content.CopyToAsync(ctx.Response.Body);
                await ctx.Response.WriteAsync(await registered.Content.ReadAsStringAsync());
                using var failed = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                return Results.Problem("The model failed.", statusCode: (int)failed.StatusCode);
            }
        }

        internal static class Tested
        {
            public static async Task ThrownAsync(HttpContext ctx, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                if (!response.IsSuccessStatusCode) { throw new UpstreamException((int)response.StatusCode, "failed"); }
                ctx.Response.StatusCode = (int)response.StatusCode;
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
            }

            public static async Task EnsuredAsync(HttpContext ctx, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                ctx.Response.StatusCode = (int)response.EnsureSuccessStatusCode().StatusCode;
            }

            public static async Task SwitchedAsync(HttpContext ctx, HttpClient http)
            {
                using var response = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK: ctx.Response.StatusCode = (int)response.StatusCode; break;
                    default: throw new UpstreamException(502, "failed");
                }
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A helper that tests or ensures the status before it returns the response is no bare send: its
    /// callers' status passed on and body relayed are not reported.</summary>
    /// <remarks>Review 5, P2 and P1g: the helper ensures the status, or throws on a failing one.</remarks>
    [Fact]
    public Task AHelperThatChecksTheStatusBeforeReturningTheResponseIsNotReadAsTheSend() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                using var response = await Upstream.EnsuredAsync(http, new(HttpMethod.Post, Llm.Url));
                ctx.Response.StatusCode = (int)response.StatusCode;
                await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
                return Results.Empty;
            }

            [TracedLlmRoute("POST", "/v1/responses")]
            public static async Task<IResult> Respond(ChatRequest request, HttpClient http)
            {
                using var response = await Upstream.ThrownAsync(http, new(HttpMethod.Post, Llm.Url));
                return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
            }

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async Task<IResult> Embed(ChatRequest request, HttpClient http)
            {
                using var response = await Upstream.EnsuredAsync(http, new(HttpMethod.Post, Llm.Url));
                return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
            }
        }

        internal static class Upstream
        {
            public static async Task<HttpResponseMessage> EnsuredAsync(HttpClient client, HttpRequestMessage message)
            {
                var response = await {|TLLM2006:client.SendAsync(message)|};
                response.EnsureSuccessStatusCode();
                return response;
            }

            public static async Task<HttpResponseMessage> ThrownAsync(HttpClient client, HttpRequestMessage message)
            {
                var response = await {|TLLM2006:client.SendAsync(message)|};
                if (!response.IsSuccessStatusCode) { throw new UpstreamException((int)response.StatusCode, "failed"); }
                return response;
            }
        }
        """, UnthrownFailureMatrix.Libraries);

    /// <summary>A status handed to a metric or a log is no answer: it is not reported as passed on.</summary>
    /// <remarks>Review 5, P13: a parameter named <c>statusCode</c> of a method that neither returns an HTTP answer
    /// nor writes the response. The second route's body relayed is not reported either: a method that reads a status
    /// anywhere is not read for a body relayed unread.</remarks>
    [Fact]
    public Task AStatusHandedToAMetricIsNotPassedOnToTheAnswer() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                using var r = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                Metrics.Upstream(statusCode: (int)r.StatusCode);
                r.EnsureSuccessStatusCode();
                return Results.Text(await r.Content.ReadAsStringAsync());
            }

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async Task<IResult> Embed(ChatRequest request, HttpClient http)
            {
                using var r = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                Metrics.Upstream((int)r.StatusCode);
                var text = await r.Content.ReadAsStringAsync();
                return Results.Text(text);
            }
        }

        internal static class Metrics
        {
            public static void Upstream(int statusCode) { }
        }
        """, UnthrownFailureMatrix.Libraries);

    private static readonly string RawRelay = AttemptFix(
        "The model call's stream is copied to the response as raw bytes",
        "a stream the upstream cuts before its end marker, or one carrying an error event, reaches the client as "
        + "complete");

    /// <summary>A streamed model response relayed as raw bytes, its end marker unread, is reported.</summary>
    /// <remarks>Its content copied, its stream copied to the body's writer, a read/write loop, and a loop that writes
    /// each line it reads.</remarks>
    [Fact]
    public Task AStreamedModelResponseRelayedAsRawBytesIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, Llm.Url);
                message.Content = new StringContent("{}");
                var streamed = await {|TLLM2006:http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|};
                await {|#0:streamed.Content.CopyToAsync(ctx.Response.Body)|};
                using var again = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                await using var stream = await again.Content.ReadAsStreamAsync();
                await {|#1:stream.CopyToAsync(ctx.Response.BodyWriter.AsStream())|};
                using var third = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                var body = await third.Content.ReadAsStreamAsync(ctx.RequestAborted).ConfigureAwait(false);
                foreach (var size in new[] { 8192 })
                {
                    var buffer = new byte[size];
                    int read;
                    {|#2:while|} ((read = await body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
                    {
                        await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, read), ctx.RequestAborted);
                        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    }
                }

                using var lines = await {|TLLM2006:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                using var reader = new System.IO.StreamReader(await lines.Content.ReadAsStreamAsync());
                {|#3:while|} (!reader.EndOfStream)
                {
                    var line = await reader.ReadLineAsync();
                    if (string.IsNullOrEmpty(line)) { continue; }
                    await ctx.Response.WriteAsync(line + "\n\n");
                }

                {|#4:while|} (true)
                {
                    var line = await reader.ReadLineAsync();
                    if (line is null || ctx.RequestAborted.IsCancellationRequested) { break; }
                    await ctx.Response.WriteAsync(line + "\n\n");
                }

                return Results.Empty;
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, RawRelay),
        Diagnostic("TLLM2008", 1, RawRelay), Diagnostic("TLLM2008", 2, RawRelay), Diagnostic("TLLM2008", 3, RawRelay),
        Diagnostic("TLLM2008", 4, RawRelay));

    /// <summary>The usual streaming relay, its status set from the model call's and its stream copied, is reported
    /// once: as the raw relay.</summary>
    /// <remarks>Review 5, P3: the status passed on is not reported beside it.</remarks>
    [Fact]
    public Task AStreamingRelayThatPassesItsStatusOnIsReportedOnceAsRaw() => AnalyzerAsync(StreamedRoute("""
                ctx.Response.StatusCode = (int)r.StatusCode;
                await {|#0:r.Content.CopyToAsync(ctx.Response.Body)|};
        """), UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, RawRelay));

    /// <summary>A route that streams a model call outside an attempt (<c>r</c>), then runs <paramref name="body"/>;
    /// <paramref name="members"/> beside it.</summary>
    private static string StreamedRoute(string body, string members = "") => Header + $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext ctx, HttpClient http)
            {
                var message = new HttpRequestMessage(HttpMethod.Post, Llm.Url);
                using var r = await {|TLLM2006:http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|};
        {{body}}
                return Results.Empty;
            }
        }
        {{members}}
        """;

    /// <summary>A model call's stream handed to a helper that copies it to the response is the raw relay; a helper that
    /// reads the stream's end marker, or writes a file, is not.</summary>
    /// <remarks>Fresh set 32 (an OpenAI proxy's local function that copies the event stream and flushes).</remarks>
    [Fact]
    public Task AStreamHandedToAHelperThatCopiesItIsARawRelay() => AnalyzerAsync(StreamedRoute("""
                var stream = await r.Content.ReadAsStreamAsync();
                if (request.Model == "a") { await {|#0:WriteEventsAsync(ctx, stream)|}; }
                else if (request.Model == "b") { await Relay.UntilDoneAsync(ctx, stream); }
                else { await Relay.ToFileAsync(stream); }

                static async Task WriteEventsAsync(HttpContext context, System.IO.Stream content)
                {
                    var body = context.Response.Body;
                    await content.CopyToAsync(body, context.RequestAborted);
                    await body.FlushAsync(context.RequestAborted);
                }
        """, """
        internal static class Relay
        {
            public static async Task UntilDoneAsync(HttpContext context, System.IO.Stream content)
            {
                using var reader = new System.IO.StreamReader(content);
                while (await reader.ReadLineAsync() is { } line)
                {
                    await context.Response.WriteAsync(line + "\n");
                    if (line == "data: [DONE]") { return; }
                }

                throw new UpstreamException(502, "The stream was cut.");
            }

            public static async Task ToFileAsync(System.IO.Stream content)
            {
                await using var file = System.IO.File.Create("answer.txt");
                await content.CopyToAsync(file);
            }
        }
        """), UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, RawRelay));

    /// <summary>The nearest sound forms of a raw relay are not reported.</summary>
    /// <remarks>The relay inside an attempt, through a client registered as attempts, a body buffered before it is
    /// copied, a loop that reads for the end marker and throws without it, and a stream that is no model call's. The
    /// buffered body's status is read nowhere: that is a failure relayed as the gateway's answer (item 2).
    /// </remarks>
    [Fact]
    public Task ARawRelayOfAnAttemptOrOneThatReadsItsEndIsNotReported() => AnalyzerAsync(
        Registering + """
                using var response = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                await response.Content.CopyToAsync(ctx.Response.Body);
                await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                {
                    using var inside = await http.PostAsync(Llm.Url, new StringContent("{}"), ct);
                    await (await inside.Content.ReadAsStreamAsync(ct)).CopyToAsync(ctx.Response.Body, ct);
                    return 0;
                });
                using var registered = await factory.CreateClient("llm").PostAsync(Llm.Url, new StringContent("{}"));
                await (await registered.Content.ReadAsStreamAsync()).CopyToAsync(ctx.Response.Body);
                using var buffered = await {|TLLM2006:http.PostAsync(Llm.Url, new StringContent("{}"))|};
                await {|#0:buffered.Content.CopyToAsync(ctx.Response.Body)|};
                var url = "http://files.internal/report";
                using var file = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                await file.Content.CopyToAsync(ctx.Response.Body);
                var body = await buffered.Content.ReadAsStreamAsync();
                var (buffer, done) = (new byte[8192], false);
                int read;
                while ((read = await body.ReadAsync(buffer)) > 0)
                {
                    done |= System.Text.Encoding.UTF8.GetString(buffer, 0, read).Contains("data: [DONE]");
                    await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, read));
                }

                if (!done) { throw new UpstreamException(502, "The stream ended without its end marker."); }
                return Results.Empty;
            }
        }
        """, UnthrownFailureMatrix.Libraries, Diagnostic("TLLM2008", 0, Unread));

    /// <summary>A helper whose failing status is thrown with its status, as the fix leaves it.</summary>
    private const string ThrownByTheFix = "#pragma warning disable TLLM2006\n" + Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http) =>
                new Reply { Text = await Upstream.TryAsync(http) ?? await Upstream.TryAsync(http) };
        }

        internal static class Upstream
        {
            public static async Task<string?> TryAsync(HttpClient http)
            {
                using var r = await http.PostAsync(Llm.Url, new StringContent("{}"));
                if (!r.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine(r.StatusCode);
                    throw new UpstreamException((int)r.StatusCode, "The upstream answered " + (int)r.StatusCode + ".");
                }

                return await r.Content.ReadAsStringAsync();
            }
        }
        """;

    /// <summary>The fix: the helper's failure thrown with its status instead of turned into null.</summary>
    [Fact]
    public Task FixThrowsWhereTheFailureWasTurnedIntoNull() => FixAsync<UnthrownFailureCodeFix>(
        ThrownByTheFix.Replace("if (!r.IsSuccessStatusCode)", "if ({|TLLM2008:!r.IsSuccessStatusCode|})",
            System.StringComparison.Ordinal).Replace(
            "throw new UpstreamException((int)r.StatusCode, \"The upstream answered \" + (int)r.StatusCode + \".\");",
            "return null;", System.StringComparison.Ordinal),
        ThrownByTheFix, libraries: UnthrownFailureMatrix.Libraries);


    [Fact]
    public Task FixThrowsAnUpstreamExceptionWithTheForwardersException() => FixAsync<UnthrownFailureCodeFix>(
        Forwarder.Replace("{|#0:", "{|TLLM2008:", System.StringComparison.Ordinal),
        Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext ctx,
                IHttpForwarder forwarder, HttpMessageInvoker invoker)
            {
                var error = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, async (_, ct) =>
                    await forwarder.SendAsync(ctx, "http://upstream", invoker, new(), HttpTransformer.Default));
                if (error != ForwarderError.None)
                {
                    Console.Error.WriteLine(error);
                    throw new UpstreamException(502, "Forwarding failed.", ctx.GetForwarderErrorFeature()?.Exception);
                }

                return Results.Empty;
            }
        }
        """, libraries: UnthrownFailureMatrix.Libraries);

    /// <summary>Fix All: every failure's branch in the document throws, the upstream's status passed on, one branch an
    /// else.</summary>
    [Fact]
    public Task FixAllThrowsInEveryBranch() => FixAsync<UnthrownFailureCodeFix>(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                using var a = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                if ({|TLLM2008:!a.IsSuccessStatusCode|})
                    return Results.Ok(new Reply { Text = "busy" });
                using var b = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                if ({|TLLM2008:b.IsSuccessStatusCode|})
                {
                    return Results.Ok(new Reply { Text = await b.Content.ReadAsStringAsync() });
                }
                else
                {
                    return Results.Ok(new Reply { Text = "busy" });
                }
            }
        }
        """, Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                using var a = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                if (!a.IsSuccessStatusCode)
                {
                    throw new UpstreamException((int)a.StatusCode, "The upstream answered " + (int)a.StatusCode + ".");
                }
                using var b = await call.ExecuteAsync(Llm.Gpt, LlmRetryPolicy.None, (_, ct) =>
                    http.PostAsync(Llm.Url, new StringContent("{}"), ct));
                if (b.IsSuccessStatusCode)
                {
                    return Results.Ok(new Reply { Text = await b.Content.ReadAsStringAsync() });
                }
                else
                {
                    throw new UpstreamException((int)b.StatusCode, "The upstream answered " + (int)b.StatusCode + ".");
                }
            }
        }
        """, libraries: UnthrownFailureMatrix.Libraries);

    /// <summary>
    /// A middleware in front of YARP's <c>MapReverseProxy()</c> that judges the forward at next by the response's
    /// status alone loses the forwarder's error (sets 22 and 30 of bench/analyzers-wide); one that asks for
    /// <c>IForwarderErrorFeature</c> does not, nor a write of the status.
    /// </summary>
    [Theory]
    [InlineData("context.Items[\"status\"] = {|#0:context.Response.StatusCode|};", true)]
    [InlineData("context.Items[\"error\"] = context.GetForwarderErrorFeature()?.Error;\n"
        + "context.Items[\"status\"] = context.Response.StatusCode;", false)]
    [InlineData("context.Response.StatusCode = 299;", false)]
    public Task AMiddlewareJudgingYarpsForwardByItsStatusIsReported(string after, bool reported)
    {
        const string Through = " (reached from traced code 'RetryMiddleware.InvokeAsync' through "
            + "RetryMiddleware.InvokeAsync)";
        var judged = Diagnostic("TLLM2008", 0, Message(
            "YARP's forward at next is judged by the response's status alone", "a forwarder error (a refused "
            + "connection, a timeout, a body cut mid-copy) reaches no span with its cause (or forward with TracedLlm's "
            + "relay)") + Through);
        return AnalyzerAsync("using Microsoft.AspNetCore.Builder;\n" + Header + $$"""
            [TracedLlmCode]
            public sealed class RetryMiddleware(RequestDelegate next)
            {
                public async Task InvokeAsync(HttpContext context)
                {
                    await {|#1:next(context)|};
                    {{after}}
                }
            }

            internal static class Proxy
            {
                public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app) => app.MapReverseProxy();
            }
            """,
            UnthrownFailureMatrix.Libraries,
            new[] { Diagnostic("TLLM2006", 1,
                UnscopedUpstreamCallTests.Message("RequestDelegate (YARP's MapReverseProxy)") + Through), judged }
                .Take(reported ? 2 : 1).ToArray());
    }

    /// <summary>
    /// A generation the route starts without waiting for it (<c>_ = Task.Run(...)</c>, its chunks pushed elsewhere, as
    /// fresh set 19's chat pushes them over SignalR) is still the product's answer: a stream there that can end without
    /// its end marker is reported, where TLLM2004 leaves a background job's catches.
    /// </summary>
    [Fact]
    public Task AStreamCutInWorkTheRouteDoesNotWaitForIsReported() => AnalyzerAsync(Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static IResult Chat(ChatRequest request, HttpClient http, Channel channel)
            {
                _ = Task.Run(async () =>
                {
                    await foreach (var chunk in Upstream.StreamAsync(http))
                    {
                        await channel.PushAsync(chunk);
                    }
                });
                return Results.Accepted();
            }
        }

        internal sealed class Channel
        {
            public Task PushAsync(string chunk) => Task.CompletedTask;
        }

        internal static class Upstream
        {
            public static async IAsyncEnumerable<string> StreamAsync(HttpClient http)
            {
                using var response = await {|#1:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                response.EnsureSuccessStatusCode();
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                while (!reader.EndOfStream)
                {
                    var line = await reader.ReadLineAsync();
                    if ({|#0:line == "data: [DONE]"|}) { break; }
                    yield return line!;
                }
            }
        }
        """, UnthrownFailureMatrix.Libraries,
        Diagnostic("TLLM2008", 0, Message("The upstream stream can end without its end marker",
            "it is turned into the stream's end for the caller") + Path),
        Diagnostic("TLLM2006", 1, UnscopedUpstreamCallTests.Message("HttpClient.SendAsync") + Path));

    private const string Path = " (reached from route 'POST /v1/chat/completions' through Routes.Chat → "
        + "Upstream.StreamAsync)";

    /// <summary>
    /// After an iterator's loop that leaves on the end marker by a bare <c>break</c>, a throw on some other state (no
    /// chunk yielded, fresh set 19's Mistral stream) does not tell a cut from the end: reported. A marker branch that
    /// leaves a flag, tested by the throw, tells them apart: not reported.
    /// </summary>
    [Theory]
    [InlineData("{ break; }", "!yielded", true)]
    [InlineData("{ done = true; break; }", "!done", false)]
    public Task AThrowAfterTheLoopTellsACutOnlyWhereTheMarkerLeftAMark(string onMarker, string thrown, bool reported)
        => AnalyzerAsync(Header + $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async IAsyncEnumerable<string> Chat(ChatRequest request, HttpClient http)
            {
                using var response = await {|#1:http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Llm.Url),
                    HttpCompletionOption.ResponseHeadersRead)|};
                using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                var (yielded, done) = (false, false);
                while (!reader.EndOfStream)
                {
                    var line = await reader.ReadLineAsync();
                    if ({|#0:line == "data: [DONE]"|}) {{onMarker}}
                    yielded = true;
                    yield return line!;
                }

                if ({{thrown}}) { throw new UpstreamException(502, "The stream ended early."); }
            }
        }
        """, UnthrownFailureMatrix.Libraries, new[]
        {
            Diagnostic("TLLM2006", 1, UnscopedUpstreamCallTests.Message("HttpClient.SendAsync")),
            Diagnostic("TLLM2008", 0, Message("The upstream stream can end without its end marker",
                "it is turned into the stream's end for the caller")),
        }.Take(reported ? 2 : 1).ToArray());
}
