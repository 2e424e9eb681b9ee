using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2004 follows where a caught failure goes: into the attempt (<c>attempt.Fail</c>), through a
/// small wrapper of the failure path, into a result every caller fails with (the Try-pattern), into
/// a value the next line fails the attempt with; a parse probe is no failure. And a catch that
/// rethrows only some exceptions still swallows the rest.
/// </summary>
public sealed class SwallowedExceptionFlowTests
{
    private static string Message(string type) => SwallowedExceptionTests.Message(type);

    private static string HandledMessage(string type) => SwallowedExceptionTests.HandledMessage(type);

    [Fact]
    public Task ATryHelperWhoseCallersFailOnItsResultIsNoSwallowButOneWhoseCallerGoesOnIs() =>
        AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                var text = await Upstream.TryReadAsync("a.json");
                if (text is null)
                {
                    throw new UpstreamException(502, "the upstream did not answer");
                }

                if (!Upstream.TryResolve(request.Model, out var uri))
                {
                    throw new InvalidLlmRequestException("unknown model");
                }

                return new Reply { Text = text + uri + Upstream.Quiet() };
            }
        }

        internal static class Upstream
        {
            public static async Task<string?> TryReadAsync(string path)
            {
                try
                {
                    return await System.IO.File.ReadAllTextAsync(path);
                }
                catch (System.IO.IOException)
                {
                    return null;
                }
            }

            public static bool TryResolve(string? model, out Uri? uri)
            {
                try
                {
                    uri = new Uri(System.IO.File.ReadAllText(model!));
                    return true;
                }
                catch (System.IO.IOException)
                {
                    uri = null;
                    return false;
                }
            }

            public static string? Quiet()
            {
                try
                {
                    return System.IO.File.ReadAllText("b.json");
                }
                {|#0:catch|} (System.IO.IOException)
                {
                    return null;
                }
            }
        }
        """, Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Upstream.Quiet)"));

    /// <summary>A forwarder helper handed the client and path by its routes gives up a model call where one route
    /// hands it a model's path: its catch is TLLM2004's; the same helper only ever handed other paths is
    /// TLLM2007's.</summary>
    /// <remarks>Fresh set 27's shared forwarder: model and model-management paths through one helper.</remarks>
    [Fact]
    public Task ACatchInAHelperSharedWithAModelsPathGivesUpTheModelCall() => DeclaredAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/api/chat")]
            public static async Task<IResult> Chat(HttpContext ctx, IHttpClientFactory factory)
            {
                await Forwarder.ForwardAsync(ctx, factory.CreateClient("ollama"), "/api/chat");
                return Results.Empty;
            }

            [TracedLlmRoute("DELETE", "/api/delete")]
            public static async Task<IResult> Delete(HttpContext ctx, IHttpClientFactory factory)
            {
                await Forwarder.ForwardAsync(ctx, factory.CreateClient("ollama"), "/api/delete");
                return Results.Empty;
            }

            [TracedLlmRoute("GET", "/api/tags")]
            public static async Task<IResult> Tags(HttpContext ctx, IHttpClientFactory factory)
            {
                await Registry.ForwardAsync(ctx, factory.CreateClient("ollama"), "/api/tags");
                return Results.Empty;
            }
        }

        internal static class Forwarder
        {
            public static async Task ForwardAsync(HttpContext ctx, HttpClient client, string path)
            {
                string text;
                try
                {
                    using var response = await {|#2:client.PostAsync(path, new StringContent("{}"))|};
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

        internal static class Registry
        {
            public static async Task ForwardAsync(HttpContext ctx, HttpClient client, string path)
            {
                string text;
                try
                {
                    using var response = await client.PostAsync(path, new StringContent("{}"));
                    response.EnsureSuccessStatusCode();
                    text = await response.Content.ReadAsStringAsync();
                }
                {|#1:catch|} (HttpRequestException)
                {
                    ctx.Response.StatusCode = 503;
                    return;
                }

                await ctx.Response.WriteAsync(text);
            }
        }
        """,
        "dotnet_code_quality.TLLM2006.model_urls = /api/generate|/api/chat",
        Diagnostic("TLLM2006", 2, UnscopedUpstreamCallTests.Message("HttpClient.PostAsync")
            + " (reached from route 'POST /api/chat' through Routes.Chat → Forwarder.ForwardAsync)"),
        Diagnostic("TLLM2004", 0, Message("System.Net.Http.HttpRequestException")
            + " (reached from route 'DELETE /api/delete' through Routes.Delete → Forwarder.ForwardAsync)"),
        Diagnostic("TLLM2007", 1, HandledMessage("System.Net.Http.HttpRequestException")
            + " (reached from route 'GET /api/tags' through Routes.Tags → Registry.ForwardAsync)"));

    /// <summary>
    /// A parse probe's catch answers no error and gives up on no model call: no swallow (TLLM2004). The probe reading
    /// that kept it from TLLM2007 too went with issue 68 (bench/analyzers-wide/readings-2026-11-28.md): a parse whose
    /// value is read on is TLLM2007's, off by default. A base64 decode in memory whose catch only gives up is the
    /// decode probe, which issue 68 kept (SwallowCollector.Decode.cs): the value's failure, not the request's, reported
    /// by neither ID.
    /// </summary>
    [Fact]
    public Task AParseProbeIsNoSwallow() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = Probe.Model(request.Model) ?? Probe.Id(request.Model) };
        }

        internal static class Probe
        {
            public static string? Model(string? body)
            {
                try
                {
                    return JsonNode.Parse(body ?? "{}")?["model"]?.GetValue<string>();
                }
                {|#0:catch|} (JsonException)
                {
                    return null;
                }
            }

            public static string? Id(string? body)
            {
                try
                {
                    return Convert.FromBase64String(body ?? string.Empty).Length.ToString();
                }
                catch (FormatException)
                {
                }

                return null;
            }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.Text.Json.JsonException") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Probe.Model)"));

    [Fact]
    public Task AFailureHandedToTheAttemptOrToAWrapperOfTheFailurePathIsNoSwallow() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                string? text = null;
                foreach (var url in new[] { "http://a", "http://b" })
                {
                    using var attempt = call.StartAttempt(new LlmTarget("openai", request.Model ?? "m"));
                    try
                    {
                        text = await http.GetStringAsync(url);
                        attempt.Succeed();
                        break;
                    }
                    catch (HttpRequestException exception)
                    {
                        attempt.Fail(exception);
                    }
                }

                try
                {
                    text ??= await http.GetStringAsync("http://c");
                }
                catch (HttpRequestException exception)
                {
                    Failures.Record(call, exception);
                    text = "fallback";
                }

                return new Reply { Text = text };
            }
        }

        internal static class Failures
        {
            public static void Record(LlmCall call, Exception exception) => call.RecordHandledFailure(exception);
        }
        """);

    [Fact]
    public Task AFailureTurnedIntoAValueTheNextLineFailsTheAttemptWithIsNoSwallow() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                using var attempt = call.StartAttempt(new LlmTarget("openai", request.Model ?? "m"));
                HttpResponseMessage response;
                Exception? error = null;
                try
                {
                    response = await http.GetAsync("http://upstream");
                }
                catch (HttpRequestException exception)
                {
                    error = exception;
                    response = new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway);
                }

                if (error is not null)
                {
                    attempt.Fail(error);
                }

                return new Reply { Text = response.StatusCode.ToString() };
            }
        }
        """);

    [Fact]
    public Task ACatchThatRethrowsOnlySomeExceptionsSwallowsTheRest() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                string text;
                try
                {
                    text = await System.IO.File.ReadAllTextAsync("a.json");
                }
                {|#0:catch|} (Exception exception)
                {
                    if (exception is OperationCanceledException)
                    {
                        throw;
                    }

                    text = "fallback";
                }

                try
                {
                    text += await System.IO.File.ReadAllTextAsync("b.json");
                }
                {|#1:catch|} (Exception exception) when (exception is not OperationCanceledException)
                {
                }

                return new Reply { Text = text };
            }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.Exception")),
        Diagnostic("TLLM2007", 1, HandledMessage("System.Exception")));

    [Fact]
    public Task ACancellationCaughtWhileTheFirstFailureIsHandledIsReportedAtTheOuterCatchOnly() =>
        AnalyzerAsync(Corpus.Header + """
        internal interface IReporter
        {
            Task ReportAsync(Exception failure);
        }

        internal sealed class Reporter : IReporter
        {
            public async Task ReportAsync(Exception failure)
            {
                try { await System.IO.File.AppendAllTextAsync("errors.log", failure.Message); }
                catch (OperationCanceledException) { }
            }
        }

        internal static class Routes
        {
            private static readonly List<Func<Task>> Later = new();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IReporter reporter)
            {
                var text = "";
                try
                {
                    text = await System.IO.File.ReadAllTextAsync("a.json");
                }
                {|#0:catch|} (System.IO.IOException failure)
                {
                    text = await HandleAsync(failure);
                    await reporter.ReportAsync(failure);
                    // Runs later, outside any handling: judged on its own.
                    Later.Add(async () =>
                    {
                        try { await System.IO.File.WriteAllTextAsync("retry.json", ""); }
                        {|#1:catch|} (System.IO.IOException) { }
                    });
                }

                return new Reply { Text = text };
            }

            private static async Task<string> HandleAsync(Exception failure)
            {
                try { await System.IO.File.WriteAllTextAsync("failed.json", failure.Message); }
                catch (OperationCanceledException) { }

                // A second failure that is not a cancellation (a fallback's, dropped): judged as usual.
                try { await System.IO.File.WriteAllTextAsync("fallback.json", failure.Message); }
                {|#3:catch|} (System.IO.IOException) { }

                // Called from a lambda that runs later: judged on its own, a cancellation too.
                Later.Add(async () => await RetryAsync());

                return await AnswerAsync() + await Taken();

                async Task RetryAsync()
                {
                    try { await System.IO.File.WriteAllTextAsync("retry2.json", ""); }
                    {|#4:catch|} (OperationCanceledException) { }
                }

                // Called only here: it runs while HandleAsync runs, so while the first exception is handled.
                async Task<string> AnswerAsync()
                {
                    try { return await System.IO.File.ReadAllTextAsync("answer.json"); }
                    catch (OperationCanceledException) { return ""; }
                }

                // Taken as a delegate: it may run at any time.
                Task<string> Taken()
                {
                    Func<Task<string>> read = Store;
                    return read();
                }

                async Task<string> Store()
                {
                    try { return await System.IO.File.ReadAllTextAsync("store.json"); }
                    {|#2:catch|} (System.IO.IOException) { return ""; }
                }
            }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2007", 1, HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2007", 2, HandledMessage("System.IO.IOException") + ThroughHandleAsync),
        Diagnostic("TLLM2007", 3, HandledMessage("System.IO.IOException") + ThroughHandleAsync),
        Diagnostic("TLLM2007", 4, HandledMessage("System.OperationCanceledException") + ThroughHandleAsync));

    /// <summary>
    /// A route that hands its answer to a handler class (<c>=> handler.HandleAsync(id)</c>, <c>return await ...</c>):
    /// the class's catch that answers 500 by hand answers the route (TLLM2004), as a catch in the route would, and is
    /// no relay cut mid-body (a suggestion, not a warning) though its try reads the upstream's content: a function
    /// returning its answer has not started the response. Where the route reads the value before it answers, the
    /// method is a helper and its catch stays TLLM2007's (a known limit).
    /// </summary>
    [Fact]
    public Task AHandlerClassTheRouteReturnsAnswersItsErrorsByHand() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("GET", "/token/{id}")]
            public static Task<IResult> Token(TokenHandler handler, string id) => handler.HandleAsync(id);

            [TracedLlmRoute("GET", "/token2/{id}")]
            public static async Task<IResult> Token2(TokenHandler2 handler, string id)
            {
                return await handler.HandleAsync(id);
            }

            [TracedLlmRoute("GET", "/token3/{id}")]
            public static async Task<IResult> Token3(TokenHandler3 handler, string id)
            {
                var answer = await handler.HandleAsync(id);
                return answer;
            }
        }

        """ + TokenHandler("TokenHandler", 0) + TokenHandler("TokenHandler2", 1) + TokenHandler("TokenHandler3", 2),
        Diagnostic("TLLM2004", 0, Message("System.Net.Http.HttpRequestException")
            + " (reached from route 'GET /token/{id}' through Routes.Token → TokenHandler.HandleAsync)"),
        Diagnostic("TLLM2004", 1, Message("System.Net.Http.HttpRequestException")
            + " (reached from route 'GET /token2/{id}' through Routes.Token2 → TokenHandler2.HandleAsync)"),
        Diagnostic("TLLM2007", 2, HandledMessage("System.Net.Http.HttpRequestException")
            + " (reached from route 'GET /token3/{id}' through Routes.Token3 → TokenHandler3.HandleAsync)"));

    /// <summary>A handler class whose catch (markup <paramref name="mark"/>) answers 500 by hand.</summary>
    private static string TokenHandler(string name, int mark) => $$"""

        internal sealed class {{name}}(HttpClient http)
        {
            public async Task<IResult> HandleAsync(string id)
            {
                try
                {
                    using var response = await http.GetAsync($"http://auth/tokens/{id}");
                    if (!response.IsSuccessStatusCode)
                    {
                        return Results.Problem(await response.Content.ReadAsStringAsync(), statusCode: 502);
                    }

                    return Results.Ok(await response.Content.ReadAsStringAsync());
                }
                {|#{{mark}}:catch|} (HttpRequestException e)
                {
                    return Results.Problem(detail: e.Message, statusCode: 500);
                }
            }
        }
        """;

    /// <summary>
    /// The path a finding reached through calls shows (issue 68): the helper's local functions are its own.
    /// </summary>
    private const string ThroughHandleAsync =
        " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Routes.HandleAsync)";
}
