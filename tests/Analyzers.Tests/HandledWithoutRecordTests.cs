using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2004 and TLLM2007 part at whether a catch answers the request. A catch that answers the request by hand (returns
/// or makes an <c>IResult</c>, an <c>IActionResult</c> or an <c>ActionResult&lt;T&gt;</c>, writes <c>HttpResponse</c>,
/// itself or through a method of source) or gives up on a model call is TLLM2004's; one that goes on without the
/// failure is TLLM2007's, off by default. Since issue 68 a catch reached through calls is TLLM2007's too unless the
/// team asks TLLM2004 for those (<see cref="ThroughCalls"/>), and its message names its path.
/// </summary>
public sealed class HandledWithoutRecordTests
{
    private static string Message(string type) => SwallowedExceptionTests.Message(type);

    private static string HandledMessage(string type) => SwallowedExceptionTests.HandledMessage(type);

    /// <summary>
    /// What a team writes to have the catches reached through calls that answer an error reported as TLLM2004's.
    /// </summary>
    private const string ThroughCalls = "dotnet_code_quality.TLLM2004.report_through_calls = true";

    /// <summary>
    /// The path a finding reached from the route through <paramref name="calls"/> shows in its message.
    /// </summary>
    private static string Through(string calls) =>
        $" (reached from route 'POST /v1/chat/completions' through Routes.Chat → {calls})";

    /// <summary>
    /// A backend behind an interface whose implementation posts upstream (outside an attempt: TLLM2006 at <c>#9</c>).
    /// </summary>
    private const string Backend = """
        internal interface IBackend { Task<string> CompleteAsync(string prompt); }

        internal sealed class OpenAiBackend(HttpClient http) : IBackend
        {
            public async Task<string> CompleteAsync(string prompt) =>
                await (await {|#9:http.PostAsync("http://upstream/v1/chat/completions",
                    new StringContent(prompt))|}).Content.ReadAsStringAsync();
        }

        """;

    /// <summary>
    /// A route that reaches a helper's catch of each kind: one goes on (logs, a fallback value), the others answer.
    /// </summary>
    private const string Helpers = "using Microsoft.AspNetCore.Mvc;\n" + Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpContext context)
            {
                var cached = await Cache.ReadAsync(request.Model!);
                var answer = Answers.Read(request.Model!);
                var action = await Answers.ActionAsync(request.Model!);
                var typed = Answers.Typed(request.Model!);
                var kept = Answers.Kept(request.Model!);
                await Answers.WriteAsync(context, request.Model!);
                await Answers.ThroughHelperAsync(context, request.Model!);
                return new Reply { Text = cached + answer + action + typed.Value + kept };
            }
        }

        internal static class Cache
        {
            public static async Task<string> ReadAsync(string key)
            {
                try { return await System.IO.File.ReadAllTextAsync(key); }
                {|#0:catch|} (System.IO.IOException) { return ""; }
            }
        }

        internal static class Answers
        {
            public static IResult Read(string path)
            {
                try { return Results.Text(System.IO.File.ReadAllText(path)); }
                {|#1:catch|} (System.IO.IOException) { return Results.Problem("store down", statusCode: 503); }
            }

            public static async Task<IActionResult> ActionAsync(string path)
            {
                try { return new OkObjectResult(await System.IO.File.ReadAllTextAsync(path)); }
                {|#2:catch|} (System.IO.IOException) { return new StatusCodeResult(502); }
            }

            public static ActionResult<string> Typed(string path)
            {
                try { return System.IO.File.ReadAllText(path); }
                {|#3:catch|} (System.IO.IOException) { return "";
                    }   // a value: a success answer, a fallback (TLLM2007)
            }

            public static IResult Kept(string path)
            {
                IResult result;
                try { result = Results.Text(System.IO.File.ReadAllText(path)); }
                {|#4:catch|} (System.IO.IOException) { result = Results.StatusCode(500); }
                return result;
            }

            public static async Task WriteAsync(HttpContext context, string path)
            {
                try { await context.Response.WriteAsync(await System.IO.File.ReadAllTextAsync(path)); }
                {|#5:catch|} (System.IO.IOException) { await context.Response.WriteAsJsonAsync(
                    new { error = "store down" }); }
            }

            public static async Task ThroughHelperAsync(HttpContext context, string path)
            {
                try { await System.IO.File.ReadAllTextAsync(path); }
                {|#6:catch|} (System.IO.IOException) { await Errors.WriteAsync(context); }
            }
        }

        internal static class Errors
        {
            public static Task WriteAsync(HttpContext context) => Write(context, 503);

            private static Task Write(HttpContext context, int status)
            {
                context.Response.StatusCode = status;
                return Task.CompletedTask;
            }
        }
        """;

    /// <summary>A <c>foreach</c> over an enumerable known by its interface disposes an enumerator that names no
    /// implementation: the app's disposable types are not reached through it, as a <c>using</c> of its own type
    /// is.</summary>
    /// <remarks>Fresh set 32: a proxy's loop over a response's headers reached an SDK's WebSocket and realtime
    /// session through <c>IDisposable.Dispose</c> (TLLM2007, judged false by both judges).</remarks>
    [Fact]
    public Task AForEachOverAnInterfaceReachesNoDisposableOfTheApp() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                IEnumerable<string> names = (request.Model ?? "").Split(',');
                var text = "";
                foreach (var name in names) { text += name; }
                using var session = new Session();
                return new Reply { Text = text };
            }
        }

        internal static class Sockets
        {
            public static System.IDisposable Open() => new Socket();
        }

        internal sealed class Socket : System.IDisposable
        {
            public void Dispose() => Close();

            private static void Close()
            {
                try { System.IO.File.Delete("socket"); }
                catch (System.IO.IOException) { Console.Error.WriteLine("not deleted"); }
            }
        }

        internal sealed class Session : System.IDisposable
        {
            public void Dispose() => Close();

            private static void Close()
            {
                try { System.IO.File.Delete("session"); }
                {|#0:catch|} (System.IO.IOException) { Console.Error.WriteLine("not deleted"); }
            }
        }
        """, Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException")
            + Through("Session.Dispose → Session.Close")));

    [Fact]
    public Task AHelpersCatchThatAnswersTheRequestIsTLLM2004AndOneThatGoesOnIsTLLM2007() => DeclaredAsync(
        Helpers, ThroughCalls,
        Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException") + Through("Cache.ReadAsync")),
        Diagnostic("TLLM2004", 1, Message("System.IO.IOException") + Through("Answers.Read")),
        Diagnostic("TLLM2004", 2, Message("System.IO.IOException") + Through("Answers.ActionAsync")),
        Diagnostic("TLLM2007", 3, HandledMessage("System.IO.IOException") + Through("Answers.Typed")),
        Diagnostic("TLLM2004", 4, Message("System.IO.IOException") + Through("Answers.Kept")),
        Diagnostic("TLLM2004", 5, Message("System.IO.IOException") + Through("Answers.WriteAsync")),
        Diagnostic("TLLM2004", 6, Message("System.IO.IOException") + Through("Answers.ThroughHelperAsync")));

    [Fact]
    public Task AHelpersCatchThatGivesUpOnAnUpstreamCallIsTLLM2004() => DeclaredAsync(Corpus.Header + Backend + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request,
                [Microsoft.AspNetCore.Mvc.FromServices] IBackend[] backends,
                [Microsoft.AspNetCore.Mvc.FromServices] HttpResponseMessage answer,
                [Microsoft.AspNetCore.Mvc.FromServices] Func<Task<string>> send)
            {
                var text = await Router.FirstAsync(backends, request.Model!) + await Router.BodyAsync(answer)
                    + await Router.ThroughAsync(send) + await Router.NoteAsync(request.Model!);
                return new Reply { Text = text };
            }
        }

        internal static class Router
        {
            // A fallback loop: the catch goes on to the next backend (an interface whose implementation posts
            // upstream).
            public static async Task<string> FirstAsync(IBackend[] backends, string prompt)
            {
                foreach (var backend in backends)
                {
                    string? prepared = null;
                    try { prepared = System.IO.File.ReadAllText(prompt); }
                    {|#0:catch|} (System.IO.IOException) { continue; }

                    try { return await backend.CompleteAsync(prepared); }
                    {|#1:catch|} (InvalidOperationException) { }
                }

                return "";
            }

            // The rest of an upstream call: its body read. Not a call the code shows is a model call (issue 68):
            // TLLM2007.
            public static async Task<string> BodyAsync(HttpResponseMessage answer)
            {
                try { return await answer.Content.ReadAsStringAsync(); }
                {|#2:catch|} (System.IO.IOException) { return ""; }
            }

            // What HttpClient throws, around a delegate the rule cannot follow: no model call shown either, TLLM2007.
            public static async Task<string> ThroughAsync(Func<Task<string>> send)
            {
                try { return await send(); }
                {|#3:catch|} (HttpRequestException) { return ""; }
            }

            // Work beside the answer: a note written, its failure logged.
            public static async Task<string> NoteAsync(string model)
            {
                try { await System.IO.File.AppendAllTextAsync("notes.log", model); }
                {|#4:catch|} (System.IO.IOException) { }

                try { await send(model); }
                {|#5:catch|} (Exception) when (model.Length > 0) { }
                return model;

                static Task send(string model) => Task.CompletedTask;
            }
        }
        """, ThroughCalls,
        Diagnostic("TLLM2004", 0, Message("System.IO.IOException") + Through("Router.FirstAsync")),
        Diagnostic("TLLM2004", 1, Message("System.InvalidOperationException") + Through("Router.FirstAsync")),
        Diagnostic("TLLM2007", 2, HandledMessage("System.IO.IOException") + Through("Router.BodyAsync")),
        Diagnostic("TLLM2007", 3, HandledMessage("System.Net.Http.HttpRequestException")
            + Through("Router.ThroughAsync")),
        Diagnostic("TLLM2007", 4, HandledMessage("System.IO.IOException") + Through("Router.NoteAsync")),
        Diagnostic("TLLM2007", 5, HandledMessage("System.Exception") + Through("Router.NoteAsync")),
        Diagnostic("TLLM2006", 9, UnscopedUpstreamCallTests.Message("HttpClient.PostAsync")
            + Through("Router.FirstAsync → IBackend.CompleteAsync → OpenAiBackend.CompleteAsync")));

    [Fact]
    public Task WhatTheTryHandsOnCountsAndItsFinallyAndNegatedFiltersDoNot() =>
        DeclaredAsync(Corpus.Header + Backend + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request,
                [Microsoft.AspNetCore.Mvc.FromServices] IBackend[] backends)
            {
                var text = await Calls.FanOutAsync(backends, request.Model!)
                    + await Calls.OnThreadPoolAsync(backends[0], request.Model!)
                    + await Calls.ThroughGroupAsync(backends[0]) + await Calls.FinallyAsync(backends[0], request.Model!)
                        + await Calls.NegatedAsync(request.Model!);
                return new Reply { Text = text };
            }
        }

        internal static class Calls
        {
            public static async Task<string> FanOutAsync(IBackend[] backends, string prompt)
            {
                try { return string.Concat(await Task.WhenAll(
                    System.Linq.Enumerable.Select(backends, b => b.CompleteAsync(prompt)))); }
                {|#0:catch|} (InvalidOperationException) { return ""; }
            }

            public static async Task<string> OnThreadPoolAsync(IBackend backend, string prompt)
            {
                try { return await Task.Run(() => backend.CompleteAsync(prompt)); }
                {|#1:catch|} (InvalidOperationException) { return ""; }
            }

            public static async Task<string> ThroughGroupAsync(IBackend backend)
            {
                Func<string, Task<string>> complete = backend.CompleteAsync;
                try { return await Retry(backend.CompleteAsync); }
                {|#2:catch|} (InvalidOperationException) { return ""; }
            }

            private static Task<string> Retry(Func<string, Task<string>> send) => send("again");

            // The finally's upstream call is not what the catch gives up on: the try only reads a file.
            public static async Task<string> FinallyAsync(IBackend backend, string path)
            {
                try { return await System.IO.File.ReadAllTextAsync(path); }
                {|#3:catch|} (System.IO.IOException) { return ""; }
                finally { await backend.CompleteAsync("done"); }
            }

            // A filter that excludes what HttpClient throws takes no transport failure; one that takes it, around no
            // model call
            // the code shows, goes on without it (issue 68): all three TLLM2007.
            public static async Task<string> NegatedAsync(string path)
            {
                try { await System.IO.File.AppendAllTextAsync(path, "note"); }
                {|#4:catch|} (Exception e) when (e is not HttpRequestException) { }

                try { await System.IO.File.AppendAllTextAsync(path, "again"); }
                {|#5:catch|} (Exception e) when (!(e is HttpRequestException)) { }

                try { await System.IO.File.AppendAllTextAsync(path, "once more"); }
                {|#6:catch|} (Exception e) when (e is HttpRequestException or System.Net.Http.HttpIOException) { }
                return path;
            }
        }
        """, ThroughCalls,
        Diagnostic("TLLM2004", 0, Message("System.InvalidOperationException") + Through("Calls.FanOutAsync")),
        Diagnostic("TLLM2004", 1, Message("System.InvalidOperationException") + Through("Calls.OnThreadPoolAsync")),
        Diagnostic("TLLM2004", 2, Message("System.InvalidOperationException") + Through("Calls.ThroughGroupAsync")),
        Diagnostic("TLLM2007", 3, HandledMessage("System.IO.IOException") + Through("Calls.FinallyAsync")),
        Diagnostic("TLLM2007", 4, HandledMessage("System.Exception") + Through("Calls.NegatedAsync")),
        Diagnostic("TLLM2007", 5, HandledMessage("System.Exception") + Through("Calls.NegatedAsync")),
        Diagnostic("TLLM2007", 6, HandledMessage("System.Exception") + Through("Calls.NegatedAsync")),
        Diagnostic("TLLM2006", 9, UnscopedUpstreamCallTests.Message("HttpClient.PostAsync")
            + Through("Calls.FanOutAsync → IBackend.CompleteAsync → OpenAiBackend.CompleteAsync")));

    [Fact]
    public Task AnAnswerWrittenByAWriterGivenTheResponseOrByProblemDetailsIsTLLM2004() =>
        DeclaredAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpContext context,
                [Microsoft.AspNetCore.Mvc.FromServices] IProblemDetailsService problems)
            {
                await Errors.SerializedAsync(context, request.Model!);
                await Errors.ProblemAsync(context, problems, request.Model!);
                return new Reply();
            }
        }

        internal static class Errors
        {
            public static async Task SerializedAsync(HttpContext context, string path)
            {
                try { await System.IO.File.ReadAllTextAsync(path); }
                {|#0:catch|} (System.IO.IOException) { await JsonSerializer.SerializeAsync(context.Response.Body,
                    new { error = "store down" }); }
            }

            public static async Task ProblemAsync(HttpContext context, IProblemDetailsService problems, string path)
            {
                try { await System.IO.File.ReadAllTextAsync(path); }
                {|#1:catch|} (System.IO.IOException) { await problems.WriteAsync(
                    new ProblemDetailsContext { HttpContext = context }); }
            }
        }
        """, ThroughCalls,
        Diagnostic("TLLM2004", 0, Message("System.IO.IOException") + Through("Errors.SerializedAsync")),
        Diagnostic("TLLM2004", 1, Message("System.IO.IOException") + Through("Errors.ProblemAsync")));

    /// <summary>
    /// In a route's own handler too the catch's answer decides (issue 68): one that answers an error is TLLM2004's, one
    /// that goes on (a fallback, nothing, a lambda's fallback value) TLLM2007's, decided while typing as the handler's
    /// own code.
    /// </summary>
    [Fact]
    public Task ARoutesOwnCatchIsTLLM2004WhenItAnswersAnErrorAndTLLM2007WhenItGoesOn() =>
        AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpContext context)
            {
                var text = "";
                try { text = await System.IO.File.ReadAllTextAsync(request.Model!); }
                {|#0:catch|} (System.IO.IOException) { }

                try { text += await System.IO.File.ReadAllTextAsync(text); }
                {|#2:catch|} (System.IO.IOException) { context.Response.StatusCode = 503; }

                Func<string> read = () =>
                {
                    try { return System.IO.File.ReadAllText(request.Model!); }
                    {|#1:catch|} (System.IO.IOException) { return ""; }
                };
                return new Reply { Text = text + read() };
            }
        }
        """,
        Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2007", 1, HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2004", 2, Message("System.IO.IOException")));

    [Fact]
    public Task AnAnswerMadeInALambdaOfTheCatchIsNotTheCatchsAnswer() => DeclaredAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = Store.Read(request.Model!) };
        }

        internal static class Store
        {
            public static readonly List<Func<IResult>> Later = new();

            public static string Read(string path)
            {
                try { return System.IO.File.ReadAllText(path); }
                {|#0:catch|} (System.IO.IOException)
                {
                    Later.Add(() => Results.Problem());
                    return "";
                }
            }
        }
        """, ThroughCalls,
        Diagnostic("TLLM2007", 0, HandledMessage("System.IO.IOException") + Through("Store.Read")));

    /// <summary>
    /// A route whose own catch answers an error (TLLM2004, on by default), in a second document beside
    /// <see cref="Helpers"/>.
    /// </summary>
    private const string OwnAnswer = """
        using Microsoft.AspNetCore.Http;
        using TracedLlm;

        namespace Contoso.Own;

        internal static class OwnRoutes
        {
            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static async System.Threading.Tasks.Task<IResult> Embed(ChatRequest request)
            {
                try { return Results.Text(await System.IO.File.ReadAllTextAsync(request.Model!)); }
                catch (System.IO.IOException) { return Results.Problem("store down", statusCode: 503); }
            }
        }
        """;

    /// <summary>
    /// TLLM2007 is off by default: a build reports only the route's own error answer (TLLM2004); with TLLM2007 on it
    /// reports the seven catches the helpers reach through calls too (without report_through_calls they are all
    /// TLLM2007's), with their paths.
    /// </summary>
    [Fact]
    public async Task ABuildWithoutTheSettingReportsNoTLLM2007AndOneWithItDoes()
    {
        var compilation = ProjectAnalysis.Compile(WithoutMarkup(Helpers), OwnAnswer);

        var byDefault = await ProjectAnalysis.BuildDiagnosticsAsync(compilation);
        Assert.Equal(new[] { "TLLM2004" }, byDefault.Select(d => d.Id));

        var turnedOn = compilation.WithOptions(
            compilation.Options.WithSpecificDiagnosticOptions(
                new[]
                {
                    new KeyValuePair<string, ReportDiagnostic>(
                        DiagnosticIds.HandledWithoutRecord,
                        ReportDiagnostic.Warn)
                }));
        var withIt = await ProjectAnalysis.BuildDiagnosticsAsync(turnedOn);
        Assert.Equal(
            new[] { "TLLM2004" }.Concat(Enumerable.Repeat("TLLM2007", 7)),
            withIt.Select(d => d.Id).OrderBy(id => id));
        var handled = withIt.Where(d => d.Id == "TLLM2007").ToList();
        Assert.All(handled, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.Contains(
            handled,
            d => d.GetMessage() == HandledMessage("System.IO.IOException") + Through("Cache.ReadAsync"));
        Assert.Contains(
            handled,
            d => d.GetMessage() == HandledMessage("System.IO.IOException") + Through("Answers.Read"));
    }

    private static string WithoutMarkup(string source) =>
        System.Text.RegularExpressions.Regex.Replace(source, @"\{\|#\d+:|\|\}", string.Empty);
}
