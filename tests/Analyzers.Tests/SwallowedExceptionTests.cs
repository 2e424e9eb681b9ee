using System.Threading.Tasks;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2004: a catch in traced code that neither throws nor reports.</summary>
public sealed class SwallowedExceptionTests
{
    internal static string Message(string type) =>
        $"This catch swallows '{type}' in traced code: rethrow it, throw, or hand it to the failure path "
        + "(LlmCall.RecordHandledFailure or a failure logger)";

    /// <summary>TLLM2007's message: a catch that goes on without the failure, or one reached through calls.</summary>
    internal static string HandledMessage(string type) =>
        $"This catch goes on without '{type}' in traced code: the failure reaches no span or failure logger; record "
        + "it (LlmCall.RecordHandledFailure or a failure logger), rethrow, or declare it handled by design";

    /// <summary>
    /// A catch that goes on without the failure is TLLM2007's wherever it is (issue 68); one in the handler that
    /// answers the request with an error is TLLM2004's, the same catch in a lambda of the handler TLLM2007's (the
    /// lambda's return is no answer).
    /// </summary>
    [Fact]
    public Task SwallowedInTheHandlerInAHelperAndInALambda() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    await Helper.CallAsync();
                }
                {|#0:catch|}
                {
                    call.HttpContext.Response.StatusCode = 502;
                }

                try
                {
                    await Helper.CallAsync();
                }
                {|#3:catch|}
                {
                }

                Func<int> read = () =>
                {
                    try { return System.IO.File.ReadAllText(request.Model!).Length; }
                    {|#1:catch|} (System.IO.IOException) { return 0; }
                };
                return new Reply { Text = read().ToString() };
            }
        }

        internal static class Helper
        {
            public static async Task CallAsync()
            {
                try
                {
                    await Task.Delay(1);
                }
                {|#2:catch|} (Exception exception)
                {
                    Console.WriteLine(exception.GetType().Name);
                }
            }
        }
        """,
        Diagnostic("TLLM2004", 0, Message("System.Exception")),
        Diagnostic("TLLM2007", 1, HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2007", 2, HandledMessage("System.Exception") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Helper.CallAsync)"),
        Diagnostic("TLLM2007", 3, HandledMessage("System.Exception")));

    /// <summary>
    /// An idempotent write that finds its state already there (a 404 of a delete, a 409 of a create) answers no error:
    /// the reading that took such catches for sound went with issue 68 (bench/analyzers-wide/readings-2026-11-28.md),
    /// and whatever status they read (a property pattern, a cast) and whether they log, return or do nothing, they are
    /// TLLM2007's, off by default, each with the path it is reached by. A team that calls them designed declares it
    /// (DeclaredIntentTests).
    /// </summary>
    [Fact]
    public Task AnIdempotentWritesStatusIsReadInAPropertyPatternAndThroughACast() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                await Records.ForgetAsync(request.Model!);
                await Records.KeepAsync(request.Model!);
                await Records.KeepAgainAsync(request.Model!);
                return new Reply();
            }
        }

        internal static class Records
        {
            public static async Task ForgetAsync(string id)
            {
                try { await Remote.RemoveRecordAsync(id); }
                {|#1:catch|} (HttpRequestException e) when (e is { StatusCode: System.Net.HttpStatusCode.NotFound }) {
                    Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(
                        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "already removed"); }
            }

            public static async Task KeepAsync(string id)
            {
                try { await Remote.AddRecordAsync(id); }
                {|#2:catch|} (HttpRequestException e)
                {
                    if ((int?)e.StatusCode == 409) { return; }
                    throw;
                }
            }

            public static async Task KeepAgainAsync(string id)
            {
                try { await Remote.AddRecordAsync(id); }
                {|#0:catch|} (HttpRequestException e) when (e is { StatusCode: System.Net.HttpStatusCode.NotFound }) { }
            }
        }

        internal static class Remote
        {
            public static async Task RemoveRecordAsync(string id) { await System.IO.File.WriteAllTextAsync(id, "");
                throw new HttpRequestException("gone", null, System.Net.HttpStatusCode.NotFound); }
            public static async Task AddRecordAsync(string id) { await System.IO.File.WriteAllTextAsync(id, "");
                throw new HttpRequestException("taken", null, System.Net.HttpStatusCode.Conflict); }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.Net.Http.HttpRequestException") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Records.KeepAgainAsync)"),
        Diagnostic("TLLM2007", 1, HandledMessage("System.Net.Http.HttpRequestException") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Records.ForgetAsync)"),
        Diagnostic("TLLM2007", 2, HandledMessage("System.Net.Http.HttpRequestException") + " (reached from route 'POST "
            + "/v1/chat/completions' through Routes.Chat → Records.KeepAsync)"));

    [Fact]
    public Task AnErrorResponseWrittenByHandIsStillASwallow() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, HttpClient http)
            {
                try
                {
                    return Results.Ok(await Upstream.CompleteAsync(request));
                }
                {|TLLM2004:catch|} (UpstreamException exception) when (exception.UpstreamStatusCode == 429)
                {
                    return Results.Json(new { error = "rate limited" }, statusCode: 429);
                }
            }
        }

        internal static class Upstream
        {
            public static Task<string> CompleteAsync(ChatRequest request) => Task.FromResult(request.Model ?? "none");
        }
        """);

    [Fact]
    public Task RethrowingThrowingDispatchingOrReportingIsClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, ILlmFailureLogger logger)
            {
                try { await Task.Delay(1); } catch (TimeoutException) { throw; }
                try { await Task.Delay(1); } catch (Exception inner) {
                    throw new UpstreamException(502, "upstream failed", inner); }
                try { await Task.Delay(1); } catch (Exception handled) { call.RecordHandledFailure(handled); }
                try { await Task.Delay(1); } catch (Exception logged) {
                    await logger.LogFailureAsync(new FailureContext(call, logged, 500, "x")); }
                try { await Task.Delay(1); } catch (Exception captured) {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(captured).Throw(); }
                var completion = new TaskCompletionSource<Reply>();
                try { await Task.Delay(1); } catch (Exception failed) { completion.SetException(failed); }
                return await Faulted(request);
            }

            private static Task<Reply> Faulted(ChatRequest request)
            {
                try
                {
                    return Task.FromResult(new Reply { Text = request.Model!.Trim() });
                }
                catch (NullReferenceException exception)
                {
                    return Task.FromException<Reply>(exception);
                }
            }
        }
        """);

    [Fact]
    public Task ALocalFunctionDeclaredInACatchIsNoWayOutOfIt() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                var text = "";
                try { await Task.Delay(1); } catch (Exception inner) { string Reason() =>
                    "upstream failed"; throw new UpstreamException(502, Reason(), inner); }
                try { await Task.Delay(1); } {|#0:catch|} (TimeoutException) {
                    string Fallback() { return "none"; } text = Fallback(); }
                return new Reply { Text = text };
            }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.TimeoutException")));

    [Fact]
    public Task TheSameCatchOutsideTracedCodeIsClean() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new();
        }

        internal static class Startup
        {
            public static void TryWarmUp()
            {
                try { Console.WriteLine("warm"); } catch { }
            }
        }
        """);

    [Fact]
    public Task APragmaSuppressesIt() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static IResult Chat(ChatRequest request)
            {
        #pragma warning disable TLLM2004 // a cache that is down answers 503 by design
                try { return Results.Ok(new Reply { Text = Cache.Get() }); }
                catch (InvalidOperationException) { return Results.StatusCode(503); }
        #pragma warning restore TLLM2004
            }
        }

        internal static class Cache
        {
            public static string Get() => throw new InvalidOperationException("empty");
        }
        """);

    // ---- the fixes ----
    // TLLM2004 and TLLM2007 share them. A fallback in the handler (a catch that goes on without the failure) is
    // TLLM2007's since issue 68, so the cases below that recover by going on are TLLM2007 findings; the first answers
    // an error, TLLM2004's.

    [Fact]
    public Task FixRecordsTheHandledFailureAndKeepsTheRecovery() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    return Results.Ok(new Reply { Text = await Primary(request) });
                }
                {|TLLM2004:catch|} (HttpRequestException)
                {
                    return Results.Problem("upstream failed", statusCode: 502);
                }
            }

            private static Task<string> Primary(ChatRequest request) => Task.FromResult(request.Model ?? "none");
        }
        """, Corpus.Header + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    return Results.Ok(new Reply { Text = await Primary(request) });
                }
                catch (HttpRequestException exception)
                {
                    call.RecordHandledFailure(exception);
                    return Results.Problem("upstream failed", statusCode: 502);
                }
            }

            private static Task<string> Primary(ChatRequest request) => Task.FromResult(request.Model ?? "none");
        }
        """);

    [Fact]
    public Task FixGivesABareCatchAVariableForTheRecord() => FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal sealed class Fallback(LlmCall call)
        {
            public string Complete(Func<string> primary)
            {
                try
                {
                    return primary();
                }
                {|TLLM2007:catch|}
                {
                    return "fallback";
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = new Fallback(call).Complete(() => request.Model!) };
        }
        """, Corpus.Header + """
        internal sealed class Fallback(LlmCall call)
        {
            public string Complete(Func<string> primary)
            {
                try
                {
                    return primary();
                }
                catch (Exception exception)
                {
                    call.RecordHandledFailure(exception);
                    return "fallback";
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = new Fallback(call).Complete(() => request.Model!) };
        }
        """);

    [Fact]
    public Task WithoutAnLlmCallTheFixRethrowsAndNeverAfterAReturn() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = Parse(request.Model) + Log(request.Model) };

            private static string Parse(string? model)
            {
                try
                {
                    return checked(model!.Length * 1_000_000_000).ToString();
                }
                {|TLLM2007:catch|} (OverflowException)
                {
                    return "0";
                }
            }

            private static string Log(string? model)
            {
                try
                {
                    model = model!.Trim();
                }
                {|TLLM2007:catch|} (NullReferenceException exception)
                {
                    Console.WriteLine(exception.Message);
                }

                return model ?? string.Empty;
            }
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = Parse(request.Model) + Log(request.Model) };

            private static string Parse(string? model)
            {
                try
                {
                    return checked(model!.Length * 1_000_000_000).ToString();
                }
                catch (OverflowException)
                {
                    throw;
                }
            }

            private static string Log(string? model)
            {
                try
                {
                    model = model!.Trim();
                }
                catch (NullReferenceException exception)
                {
                    Console.WriteLine(exception.Message);
                    throw;
                }

                return model ?? string.Empty;
            }
        }
        """, fixAllIterations: 1);

    [Fact]
    public Task TheRethrowFixIsTheSecondChoiceWhenAnLlmCallIsInScope() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try { request.Model = request.Model!.Trim(); } {|TLLM2007:catch|} (NullReferenceException) { }
                return new Reply();
            }
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try { request.Model = request.Model!.Trim(); } catch (NullReferenceException) { throw; }
                return new Reply();
            }
        }
        """, SwallowedExceptionCodeFix.RethrowKey);

    [Fact]
    public Task TheRecordGoesAboveACommentAtTheStatementsIndentation() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    return new Reply { Text = request.Model!.Trim() };
                }
                {|TLLM2007:catch|} (NullReferenceException)
                {
                    // no model: answer empty
                    return new Reply();
                }
            }
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    return new Reply { Text = request.Model!.Trim() };
                }
                catch (NullReferenceException exception)
                {
                    call.RecordHandledFailure(exception);
                    // no model: answer empty
                    return new Reply();
                }
            }
        }
        """);

    [Fact]
    public Task TheRethrowKeepsCrlfTabsAndStaysAfterTheDirectivesThatEndTheCatch() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Crlf(Corpus.Header + """
        internal static class Routes
        {
        	[TracedLlmRoute("POST", "/v1/chat/completions")]
        	public static Reply Chat(ChatRequest request)
        	{
        		try
        		{
        			request.Model = request.Model!.Trim();
        		}
        		{|TLLM2007:catch|} (NullReferenceException)
        		{
        			request.Model = "none";
        #if !QUIET
        			Console.WriteLine("no model");
        #endif
        		}

        		try
        		{
        			request.Model = request.Model!.ToUpperInvariant();
        		}
        		{|TLLM2007:catch|} (NullReferenceException)
        		{
        		}

        		return new Reply();
        	}
        }
        """), Corpus.Crlf(Corpus.Header + """
        internal static class Routes
        {
        	[TracedLlmRoute("POST", "/v1/chat/completions")]
        	public static Reply Chat(ChatRequest request)
        	{
        		try
        		{
        			request.Model = request.Model!.Trim();
        		}
        		catch (NullReferenceException)
        		{
        			request.Model = "none";
        #if !QUIET
        			Console.WriteLine("no model");
        #endif
        			throw;
        		}

        		try
        		{
        			request.Model = request.Model!.ToUpperInvariant();
        		}
        		catch (NullReferenceException)
        		{
        			throw;
        		}

        		return new Reply();
        	}
        }
        """));

    [Fact]
    public Task TheRecordUsesOnlyAnLlmCallTheCatchCanReach() => FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal sealed class Handler(LlmCall call)
        {
            private readonly LlmCall _call = call;

            public LlmCall Call { get; } = call;

            public static string FromStatic(string? model)
            {
                try { model = model!.Trim(); }
                {|TLLM2007:catch|} (NullReferenceException) { model = "none"; }
                return model;
            }

            public static string DeclaredLater(string? model)
            {
                try { model = model!.Trim(); }
                {|TLLM2007:catch|} (NullReferenceException) { model = "none"; }
                LlmCall later = LlmCall.Current!;
                return model + later;
            }

            public static string DeclaredInTheCatch(string? model)
            {
                try { model = model!.Trim(); }
                {|TLLM2007:catch|} (NullReferenceException)
                {
                    LlmCall current = LlmCall.Current!;
                    model = current.ToString();
                }
                return model ?? "none";
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = Handler.FromStatic(request.Model) + Handler.DeclaredLater(request.Model)
                    + Handler.DeclaredInTheCatch(request.Model) + new Handler(call).Call };
        }
        """, Corpus.Header + """
        internal sealed class Handler(LlmCall call)
        {
            private readonly LlmCall _call = call;

            public LlmCall Call { get; } = call;

            public static string FromStatic(string? model)
            {
                try { model = model!.Trim(); }
                catch (NullReferenceException) { model = "none"; throw; }
                return model;
            }

            public static string DeclaredLater(string? model)
            {
                try { model = model!.Trim(); }
                catch (NullReferenceException) { model = "none"; throw; }
                LlmCall later = LlmCall.Current!;
                return model + later;
            }

            public static string DeclaredInTheCatch(string? model)
            {
                try { model = model!.Trim(); }
                catch (NullReferenceException)
                {
                    LlmCall current = LlmCall.Current!;
                    model = current.ToString();
                    throw;
                }
                return model ?? "none";
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = Handler.FromStatic(request.Model) + Handler.DeclaredLater(request.Model)
                    + Handler.DeclaredInTheCatch(request.Model) + new Handler(call).Call };
        }
        """);

    [Fact]
    public Task TheRecordKeepsTabsAndPrefersTheFieldToThePrimaryConstructorsParameter() =>
        FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal sealed class Handler(LlmCall call)
        {
            private readonly LlmCall _call = call;

            public string FromInstance(string? model)
            {
            	try { model = model!.Trim(); }
            	{|TLLM2007:catch|}
            	{
            		model = _call.ToString();
            	}

                return model ?? "none";
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = new Handler(call).FromInstance(request.Model) };
        }
        """, Corpus.Header + """
        internal sealed class Handler(LlmCall call)
        {
            private readonly LlmCall _call = call;

            public string FromInstance(string? model)
            {
            	try { model = model!.Trim(); }
            	catch (Exception exception)
            	{
            		_call.RecordHandledFailure(exception);
            		model = _call.ToString();
            	}

                return model ?? "none";
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = new Handler(call).FromInstance(request.Model) };
        }
        """);

    [Fact]
    public Task ACatchInACatchGetsItsOwnNameInFixAllToo() => FixAsync<SwallowedExceptionCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    request.Model = request.Model!.Trim();
                }
                {|TLLM2007:catch|} (NullReferenceException)
                {
                    try
                    {
                        request.Model = request.Model!.ToUpperInvariant();
                    }
                    {|TLLM2007:catch|} (NullReferenceException)
                    {
                        request.Model = "none";
                    }
                }

                try
                {
                    request.Model = request.Model!.Trim();
                }
                {|TLLM2007:catch|}
                {
                    if (request.Model is null)
                    {
                        var exception = "none";
                        request.Model = exception;
                    }
                }

                return new Reply();
            }
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                try
                {
                    request.Model = request.Model!.Trim();
                }
                catch (NullReferenceException exception)
                {
                    call.RecordHandledFailure(exception);
                    try
                    {
                        request.Model = request.Model!.ToUpperInvariant();
                    }
                    catch (NullReferenceException exception2)
                    {
                        call.RecordHandledFailure(exception2);
                        request.Model = "none";
                    }
                }

                try
                {
                    request.Model = request.Model!.Trim();
                }
                catch (Exception exception2)
                {
                    call.RecordHandledFailure(exception2);
                    if (request.Model is null)
                    {
                        var exception = "none";
                        request.Model = exception;
                    }
                }

                return new Reply();
            }
        }
        """);

    [Fact]
    public Task NoRethrowForACatchThatAlsoRecoversByAnotherReturn()
    {
        var source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request)
                {
                    try
                    {
                        return new Reply { Text = Trim(request.Model).Trim() };
                    }
                    {|TLLM2007:catch|} (NullReferenceException)
                    {
                        if (request.Model is null)
                        {
                            return new Reply { Text = "none" };
                        }

                        return new Reply();
                    }
                }

                public static string Trim(string? model)
                {
                    foreach (var part in (model ?? string.Empty).Split(','))
                    {
                        try
                        {
                            model = part.Trim();
                        }
                        {|TLLM2007:catch|} (NullReferenceException)
                        {
                            if (part.Length == 0)
                            {
                                continue;
                            }

                            model = "none";
                        }
                    }

                    return model ?? string.Empty;
                }
            }
            """;
        // No rethrow is offered (each catch also leaves another way); declaring it handled by design still is, not
        // asked here.
        return FixAsync<SwallowedExceptionCodeFix>(source, source, SwallowedExceptionCodeFix.RethrowKey);
    }
}

