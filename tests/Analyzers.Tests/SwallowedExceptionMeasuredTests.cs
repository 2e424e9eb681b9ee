using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2004 as issue 78 measured it: the shapes judged false on the fresh sets (a client's mistake answered 4xx, a
/// failure the callee recorded before it threw, a record the catch falls through to, work the request does not wait
/// for) are not reported, and the shapes a team must hear are, wherever they are (a guardrail that fails open, a relay
/// cut mid-body, a conditional rethrow).
/// </summary>
public sealed class SwallowedExceptionMeasuredTests
{
    /// <summary>A shape a team must hear: TLLM2004 reported as a warning, where the rule's default is a
    /// suggestion.</summary>
    private static DiagnosticResult Heard(int location, string type) =>
        Diagnostic("TLLM2004", location, SwallowedExceptionTests.Message(type))
            .WithSeverity(DiagnosticSeverity.Warning);

    private const string Usings = "using System.Linq;\nusing Microsoft.Extensions.Logging;\n";

    /// <summary>A store's own exceptions and a failure record the team declares.</summary>
    private const string Store = """
        internal sealed class NodeGoneException(string node) : Exception(node);

        internal sealed class MissingException(string id) : Exception(id);

        internal static class Metrics
        {
            [RecordsFailures]
            public static void RecordFailed(string node) { }
        }

        internal static class Dispatcher
        {
            public static async Task<string> DispatchAsync(string node)
            {
                await Task.Yield();
                if (node.Length == 0)
                {
                    Metrics.RecordFailed(node);
                    throw new NodeGoneException(node);
                }

                return node.Length > 3 ? node : throw new MissingException(node);
            }
        }
        """;

    /// <summary>
    /// Judged false on the fresh sets: a 404 or a 409 answered for the client's own request, and an exception the
    /// callee created after calling the declared record. A 503 for the same failure is still the request's error,
    /// reported; a 4xx is TLLM2007's (off by default), a designed answer the team may declare.
    /// </summary>
    [Fact]
    public Task ClientMistakesAndFailuresRecordedBeforeTheyWereThrownAreNotReported() => AnalyzerAsync(
        Corpus.Header + Store + """

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                try { return Results.Text(await Dispatcher.DispatchAsync(request.Model!)); }
                {|TLLM2007:catch|} (MissingException) { return Results.NotFound(); }
                catch (NodeGoneException) { return Results.StatusCode(502); }
            }

            [TracedLlmRoute("POST", "/v1/completions")]
            public static async Task<IResult> Complete(ChatRequest request)
            {
                try { return Results.Text(await System.IO.File.ReadAllTextAsync(request.Model!)); }
                {|TLLM2007:catch|} (System.IO.FileNotFoundException) { return Results.Conflict("none"); }
                {|TLLM2004:catch|} (System.IO.IOException) { return Results.Problem("store down", statusCode: 503); }
            }
        }
        """);

    /// <summary>A client's bad body or input answered 400 by setting the status, or by a helper given it, is by design.
    /// </summary>
    /// <remarks>
    /// Judged false on the fresh sets 15-18 (and a 4xx result executed by hand). The same shapes answering a 5xx are
    /// the request's error, reported; so is a 400 set on one branch only, after which every other failure is a 200.
    /// </remarks>
    [Fact]
    public Task AClientMistakesStatusSetByHandOrGivenToAHelperIsNotReported() => AnalyzerAsync(
        Corpus.Header + """

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/admin/services")]
            public static async Task<IResult> Chat(HttpContext context)
            {
                ChatRequest? request;
                try { request = await context.Request.ReadFromJsonAsync<ChatRequest>(); }
                {|TLLM2007:catch|} (JsonException)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsJsonAsync(new { error = "invalid_json" });
                    return Results.Empty;
                }

                try { Check(request!); }
                {|TLLM2007:catch|} (ArgumentException e)
                {
                    await WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
                    return Results.Empty;
                }
                {|TLLM2004:catch|} (InvalidOperationException e)
                {
                    await WriteErrorAsync(context, StatusCodes.Status502BadGateway, e.Message);
                    return Results.Empty;
                }

                return Results.Ok(new Reply { Text = request!.Model });
            }

            [TracedLlmRoute("POST", "/v1/completions")]
            public static async Task<IResult> Complete(HttpContext context)
            {
                try { Check(new ChatRequest()); }
                {|TLLM2004:catch|} (ArgumentException)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    await context.Response.WriteAsJsonAsync(new { error = "store_down" });
                }

                try { Check(new ChatRequest()); }
                {|TLLM2004:catch|} (Exception e)
                {
                    if (e is ArgumentException)
                    {
                        context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    }

                    await context.Response.WriteAsJsonAsync(new { error = e.Message });
                }

                return Results.Empty;
            }

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async Task<IResult> Embed(HttpContext context)
            {
                try { Check(new ChatRequest()); }
                {|TLLM2007:catch|} (ArgumentException e)
                {
                    await Results.BadRequest(new { error = e.Message }).ExecuteAsync(context);
                    return Results.Empty;
                }
                {|TLLM2004:catch|} (InvalidOperationException e)
                {
                    await Results.Problem(e.Message, statusCode: 502).ExecuteAsync(context);
                    return Results.Empty;
                }

                return Results.Ok();
            }

            private static void Check(ChatRequest request)
            {
                if (request.Model is null) throw new ArgumentException("model");
                if (request.Model.Length == 0) throw new InvalidOperationException("backend");
            }

            private static async Task WriteErrorAsync(HttpContext context, int status, string error)
            {
                context.Response.StatusCode = status;
                await context.Response.WriteAsJsonAsync(new { error });
            }
        }
        """);

    /// <summary>A catch that falls through to a declared record, and one whose task the request never awaits.</summary>
    [Fact]
    public Task ARecordAfterTheCatchAndWorkTheRequestDoesNotAwaitAreNotReported() => AnalyzerAsync(
        Corpus.Header + Store + """

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                var text = "";
                try { text = await System.IO.File.ReadAllTextAsync(request.Model!); }
                catch (System.IO.IOException) { text = "none"; }

                Metrics.RecordFailed(request.Model!);
                _ = Task.Run(async () =>
                {
                    try { await System.IO.File.WriteAllTextAsync("index", text); }
                    catch (System.IO.IOException) { }
                });
                return Results.Text(text);
            }
        }
        """);

    /// <summary>The catches of a method only a <c>Task.Run</c> lambda calls, its task kept in a field or discarded,
    /// and of the methods it awaits: no request waits for them. A method a route awaits is reported.</summary>
    /// <remarks>Fresh set 29 (tuning evidence): a location service's background embedding job, started when the
    /// catalog loads, reached from a route through the service's interface.</remarks>
    [Fact]
    public Task CatchesOfAMethodOnlyABackgroundTaskRunsAreNotReported() => AnalyzerAsync(Corpus.Header + """
        internal interface ICatalog { Task LoadAsync(string path); Task IndexAsync(string path); }

        internal sealed class Catalog : ICatalog
        {
            private Task? _job;

            public Task LoadAsync(string path)
            {
                _job = Task.Run(() => BuildAsync(path));
                _ = Task.Run(async () => await RefreshAsync(path));
                return Task.CompletedTask;
            }

            public Task IndexAsync(string path) => AwaitedAsync(path);

            private static async Task BuildAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "index"); }
                catch (System.IO.IOException) { }
                await BatchAsync(path);
            }

            private static async Task BatchAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "batch"); }
                catch (System.IO.IOException) { }
            }

            private static async Task RefreshAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "refresh"); }
                catch (System.IO.IOException) { }
            }

            private static async Task AwaitedAsync(string path)
            {
                try { await System.IO.File.WriteAllTextAsync(path, "awaited"); }
                {|#0:catch|} (System.IO.IOException) { }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, ICatalog catalog)
            {
                await catalog.LoadAsync(request.Model!);
                await catalog.IndexAsync(request.Model!);
                return Results.Text("loaded");
            }
        }
        """, Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")
            + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → ICatalog.IndexAsync → "
            + "Catalog.IndexAsync → Catalog.AwaitedAsync)"));

    /// <summary>A guardrail whose check fails and that allows the request: the trace says it passed.</summary>
    [Fact]
    public Task AGuardrailThatFailsOpenIsReported() => AnalyzerAsync(Corpus.Header + """
        internal sealed class Moderation(HttpClient http) : ILlmGuardrail
        {
            public string Name => "moderation";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public async ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken ct)
            {
                try
                {
                    using var answer = await http.GetAsync("http://moderation.internal/check", ct);
                    return answer.IsSuccessStatusCode ? GuardrailVerdict.Allow : GuardrailVerdict.Block("flagged");
                }
                {|#0:catch|} (HttpRequestException)
                {
                    return GuardrailVerdict.Allow;
                }
            }
        }

        internal sealed class Strict(HttpClient http) : ILlmGuardrail
        {
            public string Name => "strict";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public async ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken ct)
            {
                try
                {
                    using var answer = await http.GetAsync("http://moderation.internal/check", ct);
                    return answer.IsSuccessStatusCode ? GuardrailVerdict.Allow : GuardrailVerdict.Block("flagged");
                }
                {|TLLM2007:catch|} (HttpRequestException)
                {
                    return GuardrailVerdict.Block("moderation unavailable");
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = request.Model };
        }
        """,
        Heard(0, "System.Net.Http.HttpRequestException"));

    /// <summary>A shape a team must hear takes the severity a team sets for TLLM2004, as the rest of the rule
    /// does.</summary>
    /// <remarks>Set to <c>error</c>, a build fails on it (checked with <c>dotnet build</c>); the testing framework
    /// shows such a diagnostic as a warning made an error, so that row is not here.</remarks>
    [Theory]
    [InlineData("suggestion", DiagnosticSeverity.Info)]
    [InlineData("none", null)]
    public Task AShapeAWarningByDefaultTakesTheSeverityATeamSets(string set, DiagnosticSeverity? shown) =>
        DeclaredAsync(Corpus.Header + """
        internal sealed class Moderation(HttpClient http) : ILlmGuardrail
        {
            public string Name => "moderation";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public async ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken ct)
            {
                try { return (await http.GetAsync("http://moderation.internal/check", ct)).IsSuccessStatusCode
                    ? GuardrailVerdict.Allow : GuardrailVerdict.Block("flagged"); }
                {|#0:catch|} (HttpRequestException) { return GuardrailVerdict.Allow; }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = request.Model };
        }
        """, $"dotnet_diagnostic.TLLM2004.severity = {set}", shown is { } severity
            ? new[] { Heard(0, "System.Net.Http.HttpRequestException").WithSeverity(severity) }
            : System.Array.Empty<DiagnosticResult>());

    /// <summary>
    /// A relay helper whose catch turns a failure mid-body into <c>false</c>, after which the request ends as a
    /// success; and a conditional rethrow whose other branch goes on as a success. A rethrow of a cancellation only, or
    /// of everything but a 404 kept by design, is not one.
    /// </summary>
    [Fact]
    public Task ARelayCutMidBodyAndAConditionalRethrowAreReported() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpContext context, HttpClient http)
            {
                using var upstream = await http.GetAsync("http://files.internal/" + request.Model,
                    HttpCompletionOption.ResponseHeadersRead);
                await Relay.CopyAsync(upstream, context);
                var text = "";
                try { text = await System.IO.File.ReadAllTextAsync(request.Model!); }
                {|#0:catch|} (System.IO.IOException e) { if (e.HResult == 32) { throw; } text = "busy"; }
                try { text += await System.IO.File.ReadAllTextAsync(request.Model + ".2"); }
                {|TLLM2007:catch|} (Exception e) { if (e is OperationCanceledException) { throw; } text += "none"; }
                try { text += await http.GetStringAsync("http://files.internal/" + text); }
                {|TLLM2007:catch|} (HttpRequestException e)
                {
                    if (e.StatusCode != System.Net.HttpStatusCode.NotFound) { throw; }
                }
                return Results.Empty;
            }
        }

        internal static class Relay
        {
            public static async Task<bool> CopyAsync(HttpResponseMessage upstream, HttpContext context)
            {
                try
                {
                    await upstream.Content.CopyToAsync(context.Response.Body);
                    return true;
                }
                {|#1:catch|} (System.IO.IOException)
                {
                    return false;
                }
            }
        }
        """,
        Heard(0, "System.IO.IOException"), Heard(1, "System.IO.IOException")
            .WithMessage(SwallowedExceptionTests.Message("System.IO.IOException")
                + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Relay.CopyAsync)"));

    /// <summary>
    /// The client going away: a cancellation filtered on the request's own token (a root's parameter, or a private
    /// helper's parameter given <c>RequestAborted</c> through a local) is not reported; a filter on a linked token
    /// with a timeout also takes the upstream's timeout, and is.
    /// </summary>
    [Fact]
    public Task ACancellationOnlyTheClientRaisesIsNotReportedALinkedTimeoutIs() => AnalyzerAsync(
        Corpus.Header + """
        internal static class Routes
        {
            private const string Api = "https://api.openai.com/v1/chat/completions";

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http, CancellationToken ct)
            {
                try { return Results.Ok(await {|TLLM2006:http.PostAsJsonAsync(Api, request, ct)|}); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return Results.Empty; }
            }

            [TracedLlmRoute("POST", "/v1/completions")]
            public static async Task<IResult> Complete(ChatRequest request, HttpClient http, HttpContext context)
            {
                var aborted = context.RequestAborted;
                await SendAsync(http, request, aborted);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await SendTimedAsync(http, request, timeout.Token);
                try { return Results.Ok(await {|TLLM2006:http.PostAsJsonAsync(Api, request, timeout.Token)|}); }
                {|TLLM2004:catch|} (OperationCanceledException) when (timeout.Token.IsCancellationRequested)
                {
                    return Results.Empty;
                }
            }

            private static async Task<HttpResponseMessage?> SendAsync(HttpClient http, ChatRequest request,
                CancellationToken ct)
            {
                try { return await {|TLLM2006:http.PostAsJsonAsync(Api, request, ct)|}; }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return null; }
            }

            private static async Task<HttpResponseMessage?> SendTimedAsync(HttpClient http, ChatRequest request,
                CancellationToken ct)
            {
                try { return await {|TLLM2006:http.PostAsJsonAsync(Api, request, ct)|}; }
                {|TLLM2004:catch|} (OperationCanceledException) when (ct.IsCancellationRequested) { return null; }
            }
        }
        """);

    /// <summary>
    /// The client going away, unfiltered (fresh sets 11, 21 and 23): a cancellation caught where every token the try
    /// hands a call was given to its method (a route's, a helper's parameter through a local, a linked source made but
    /// never handed on) and no <c>HttpClient</c> send is reached is not reported; where a timed source's token reaches
    /// the send, where the send is an <c>HttpClient</c>'s (its own <c>Timeout</c> cancels it too), where a relay reads
    /// the upstream's body, or where no token reaches a call, it is.
    /// </summary>
    [Fact]
    public Task AnUnfilteredCancellationOfAGivenTokenIsNotReportedATimedOrAbsentOneIs() => AnalyzerAsync(
        "using Microsoft.Extensions.AI;\n" + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, IChatClient chat, HttpContext context)
            {
                try { return Results.Ok(await Ask.StreamAsync(chat, context.Response, context.RequestAborted)); }
                catch (OperationCanceledException) { return Results.StatusCode(499); }
            }

            [TracedLlmRoute("POST", "/v1/completions")]
            public static async Task<IResult> Complete(ChatRequest request, HttpClient http, HttpContext context,
                CancellationToken ct)
            {
                await Relay.SendAsync(http, request, ct);
                await Relay.TimedAsync(http, request, ct);
                await Relay.UntimedAsync(http, request);
                using var upstream = await http.GetAsync("https://api.openai.com/v1/models", ct);
                await Relay.CopyAsync(upstream, context.Response, ct);
                return Results.Ok();
            }
        }

        internal static class Ask
        {
            public static async Task<string> StreamAsync(IChatClient chat, HttpResponse response, CancellationToken ct)
            {
                try
                {
                    var token = ct;
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                    idle.CancelAfter(TimeSpan.FromSeconds(30));
                    await foreach (var update in {|TLLM2006:{|#9:chat.GetStreamingResponseAsync("hello")|}|}
                        .WithCancellation(token))
                    {
                        await response.WriteAsync(update.Text, token);
                    }

                    return "done";
                }
                catch (OperationCanceledException) { return ""; }
            }
        }

        internal static class Relay
        {
            private const string Api = "https://api.openai.com/v1/chat/completions";

            public static async Task<HttpResponseMessage?> SendAsync(HttpClient http, ChatRequest request,
                CancellationToken ct)
            {
                try { return await {|TLLM2006:http.PostAsJsonAsync(Api, request, ct)|}; }
                {|#1:catch|} (OperationCanceledException) { return null; }
            }

            public static async Task<HttpResponseMessage?> TimedAsync(HttpClient http, ChatRequest request,
                CancellationToken ct)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(TimeSpan.FromSeconds(30));
                try { return await {|TLLM2006:http.PostAsJsonAsync(Api, request, idle.Token)|}; }
                {|#0:catch|} (OperationCanceledException) { return null; }
            }

            public static async Task<HttpResponseMessage?> UntimedAsync(HttpClient http, ChatRequest request)
            {
                try { return await {|TLLM2006:http.PostAsJsonAsync(Api, request)|}; }
                {|TLLM2004:catch|} (TaskCanceledException) { return null; }
            }

            // A relay's read of the upstream's body: a cancellation there leaves the client a cut answer.
            public static async Task<bool> CopyAsync(HttpResponseMessage upstream, HttpResponse response,
                CancellationToken ct)
            {
                try
                {
                    await upstream.Content.CopyToAsync(response.Body, ct);
                    return true;
                }
                {|TLLM2007:catch|} (OperationCanceledException) { return false; }
            }
        }
        """,
        Diagnostic("TLLM2004", 0, SwallowedExceptionTests.Message("System.OperationCanceledException")
            + " (reached from route 'POST /v1/completions' through Routes.Complete → Relay.TimedAsync)"),
        Diagnostic("TLLM2004", 1, SwallowedExceptionTests.Message("System.OperationCanceledException")
            + " (reached from route 'POST /v1/completions' through Routes.Complete → Relay.SendAsync)"),
        Unfinished(9, " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Ask.StreamAsync)"));

    /// <summary>
    /// A catch only a programming error reaches: the try reads and updates in-memory state through services of
    /// source whose one failing step, a file write, catches everything itself. A callee that catches only some
    /// exceptions, or a try that awaits a send, can fail for the request: reported.
    /// </summary>
    [Fact]
    public Task ATryOverInMemoryStateAndCalleesThatCatchEverythingIsNotReported() => AnalyzerAsync(
        Usings + Corpus.Header + """
        internal interface IStore
        {
            List<string> Items();
            void Save(List<string> items);
            void SaveSome(List<string> items);
            Task<Reply> AnswerAsync(string question);
        }

        internal sealed class Store(ILogger<Store> logger) : IStore
        {
            private readonly object _lock = new();
            private readonly List<string> _items = new();

            public List<string> Items() { lock (_lock) { return _items; } }

            public void Save(List<string> items)
            {
                try { System.IO.File.WriteAllLines("items.txt", items); }
                {|TLLM2007:catch|} (Exception e) { logger.LogError(e, "Save failed"); }
            }

            public void SaveSome(List<string> items)
            {
                try { System.IO.File.WriteAllLines("items.txt", items); }
                {|TLLM2007:catch|} (System.IO.IOException e) { logger.LogError(e, "Save failed"); }
            }

            public async Task<Reply> AnswerAsync(string question)
            {
                try { return new Reply { Text = await System.IO.File.ReadAllTextAsync(question) }; }
                {|TLLM2007:catch|} (Exception e)
                {
                    Console.WriteLine($"failed: {e.Message}");
                    return new Reply { Text = string.Join(",", new List<string> { e.Message }) };
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static IResult Add(ChatRequest request, IStore store)
            {
                try
                {
                    var items = store.Items();
                    var model = request.Model ?? "";
                    var index = items.IndexOf(model);
                    if (index >= 0) { items[index] = model; } else { items.Add(model); }
                    store.Save(items);
                    return Results.Ok(items.Select(item => item.ToUpperInvariant()).ToList());
                }
                catch (Exception e) { return Results.Problem(e.Message, statusCode: 500); }
            }

            [TracedLlmRoute("POST", "/v1/answers")]
            public static async Task<IResult> Answer(ChatRequest request, IStore store)
            {
                try { return Results.Ok((await store.AnswerAsync(request.Model ?? "")).Text); }
                catch (Exception e) { return Results.Problem(e.Message, statusCode: 500); }
            }

            [TracedLlmRoute("POST", "/v1/some")]
            public static IResult AddSome(ChatRequest request, IStore store)
            {
                try { store.SaveSome(store.Items()); return Results.Ok(); }
                {|TLLM2004:catch|} (Exception e) { return Results.Problem(e.Message, statusCode: 500); }
            }

            [TracedLlmRoute("POST", "/v1/sent")]
            public static async Task<IResult> Sent(ChatRequest request, IStore store, HttpClient http)
            {
                try
                {
                    store.Items().Add(request.Model ?? "");
                    await http.PostAsJsonAsync("http://audit.internal/items", store.Items());
                    return Results.Ok();
                }
                {|TLLM2004:catch|} (Exception e) { return Results.Problem(e.Message, statusCode: 500); }
            }

            [TracedLlmRoute("POST", "/v1/parsed")]
            public static IResult Parsed(ChatRequest request, IStore store)
            {
                try { store.Items().Add(JsonSerializer.Serialize(request)); return Results.Ok(); }
                {|TLLM2004:catch|} (Exception e) { return Results.Problem(e.Message, statusCode: 500); }
            }
        }
        """);
}
