using System.Collections.Generic;
using System.Linq;
using static TracedLlm.Analyzers.Tests.Matrix.MatrixCell;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2008's construct matrix: an upstream failure no exception carries (YARP's forwarder result, a model call's
/// failing status, an OpenAI run's terminal status, a stream's failure events or its end marker) tested in each way C#
/// can test it. In the faulty form the failure's path answers by hand or as a success; in the sound one it throws,
/// records the failure, or answers an error result the pipeline takes as a failure.
/// </summary>
internal static class UnthrownFailureMatrix
{
    internal const string Header = "#pragma warning disable OPENAI001\nusing System.Linq;\nusing System.Net;\n"
        + "using System.Net.ServerSentEvents;\nusing Yarp.ReverseProxy.Forwarder;\nusing OpenAI.Assistants;\n"
        + "using OpenAI.Responses;\nusing Microsoft.Extensions.DependencyInjection;\n" + Corpus.Header;

    internal static readonly System.Reflection.Assembly[] Libraries =
    {
        typeof(OpenAI.Chat.ChatClient).Assembly, typeof(System.ClientModel.ClientResult).Assembly,
        typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly,
    };

    private const string Target = "new LlmTarget(\"openai\", \"gpt-4o\"), LlmRetryPolicy.None";

    private const string Throw = "throw new UpstreamException(502, \"The upstream failed.\");";

    /// <summary>A route whose body is <paramref name="body"/>, with YARP's forwarder and an HTTP client.</summary>
    private static string Route(string body, string members = "") => $$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request, LlmCall call, HttpContext context,
                HttpClient http, IHttpForwarder forwarder, HttpMessageInvoker invoker)
            {
        {{body}}
            }
        }
        {{members}}
        """;

    /// <summary>The route forwards in an attempt and tests the forwarder's result (<c>error</c>).</summary>
    private static string Forwarded(string test) => Route($$"""
        var error = await call.ExecuteAsync({{Target}}, async (attempt, ct) =>
            await forwarder.SendAsync(context, "http://upstream", invoker, new(), HttpTransformer.Default));
        {{test}}
        return Results.Empty;
        """);

    /// <summary>A middleware in front of YARP's <c>MapReverseProxy()</c> whose <c>InvokeAsync</c> is
    /// <paramref name="body"/>.</summary>
    private static string Middleware(string body) => $$"""
        [TracedLlmCode]
        public sealed class RetryMiddleware(RequestDelegate next)
        {
            public async Task InvokeAsync(HttpContext context)
            {
        {{body}}
            }
        }

        internal static class Proxy
        {
            public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app) =>
                Microsoft.AspNetCore.Builder.ReverseProxyIEndpointRouteBuilderExtensions.MapReverseProxy(app);
        }
        """;

    /// <summary>The route posts to the model in an attempt and tests the response (<c>response</c>).</summary>
    private static string Posted(string test) => Route($$"""
        using var response = await call.ExecuteAsync({{Target}}, (attempt, ct) =>
            http.PostAsync("http://upstream/v1/chat/completions", new StringContent("{}"), ct));
        {{test}}
        return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
        """);

    /// <summary>An attempt that starts an Assistants run, polls it (<paramref name="poll"/>) and answers with its
    /// messages.</summary>
    private static string Polled(string poll, string after = "") => Route($$"""
        var text = await call.ExecuteAsync({{Target}}, async (attempt, ct) =>
        {
            var assistants = new AssistantClient("key");
            var run = (await assistants.CreateRunAsync("thread", "assistant")).Value;
            {{poll}}
            {{after}}
            return string.Concat(assistants.GetMessages("thread").Select(message => message.Content[0].Text));
        });
        return Results.Ok(new Reply { Text = text });
        """);

    private const string Fetch =
        "await Task.Delay(500, ct); run = (await assistants.GetRunAsync(\"thread\", run.Id)).Value;";

    /// <summary>An attempt that relays an upstream's server-sent events until its end marker
    /// (<paramref name="loop"/>).</summary>
    private static string Relayed(string loop, string after = "") => Route($$"""
        using var response = await call.ExecuteAsync({{Target}}, (attempt, ct) =>
            http.PostAsync("http://upstream/v1/chat/completions", new StringContent("{}"), ct));
        var done = false;
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            {{loop}}
            await context.Response.WriteAsync("data: " + item.Data + "\n\n");
        }

        {{after}}
        return Results.Empty;
        """);

    /// <summary>A route that relays an iterator over an iterator of an upstream's server-sent events, then runs
    /// <paramref name="end"/>.</summary>
    private static string Iterated(string end) => Route($$"""
        var done = false;
        await foreach (var data in Sse.OuterAsync(http))
        {
            done |= data == "[DONE]";
            await context.Response.WriteAsync("data: " + data + "\n\n");
        }

        {{end}}
        return Results.Empty;
        """, """
        internal static class Sse
        {
            public static async IAsyncEnumerable<string> OuterAsync(HttpClient http)
            {
                await foreach (var data in InnerAsync(http)) { yield return data; }
            }

            private static async IAsyncEnumerable<string> InnerAsync(HttpClient http)
            {
                var stream = await http.GetStreamAsync("http://upstream/v1/chat/completions");
                await foreach (var item in SseParser.Create(stream).EnumerateAsync()) { yield return item.Data; }
            }
        }
        """);

    /// <summary>An attempt that reads a Responses API stream into text (<paramref name="read"/> is the loop's
    /// body).</summary>
    private static string Streamed(string read) => Route($$"""
        var text = await call.ExecuteAsync({{Target}}, async (attempt, ct) =>
        {
            var answer = "";
            var updates = await new ResponsesClient("key").CreateResponseStreamingAsync(new CreateResponseOptions());
            await {|TLLM2008:foreach|} (var update in updates)
            {
                {{read}}
                if (update is StreamingResponseOutputTextDeltaUpdate delta) { answer += delta.Delta; }
            }

            return answer;
        });
        return Results.Ok(new Reply { Text = text });
        """);

    /// <summary>A helper the route calls that forwards and tests the result, returning nothing.</summary>
    private const string Helper = """
        internal static class Proxy
        {
            public static async Task ForwardAsync(HttpContext ctx, IHttpForwarder forwarder, HttpMessageInvoker invoker)
            {
                var error = await forwarder.SendAsync(ctx, "http://upstream", invoker, new(), HttpTransformer.Default);
                if ({|TLLM2008:error != ForwarderError.None|})
                {
                    @H
                }
            }
        }
        """;

    /// <summary>A route that sends to the model through the factory's client <c>llm</c> (<c>llm</c> and
    /// <c>factory</c>, the address <c>url</c>), which <c>@A</c> registers as attempts or not.</summary>
    private static string Registered(string body, string members = "") => Route($$"""
        var factory = (IHttpClientFactory)context.RequestServices.GetService(typeof(IHttpClientFactory))!;
        var llm = factory.CreateClient("llm");
        var url = "http://upstream/v1/chat/completions";
        {{body}}
        """, """
        internal static class Startup
        {
            public static void Register(IServiceCollection services) => services.AddHttpClient("llm")@A;
        }

        """ + members);

    public static readonly IReadOnlyDictionary<string, MatrixCell> Cells = WithLibraries(
        new MatrixCell("a middleware's forward at next judged by its status alone, and an attempt asking for its error",
            Middleware("await {|TLLM2006:next(context)|};\n"
                + "context.Items[\"status\"] = {|TLLM2008:context.Response.StatusCode|};"),
            Middleware("using var attempt = LlmCall.Current?.StartAttempt(new LlmTarget(\"openai\", \"gpt-4o\"));\n"
                + "await next(context);\nif (context.GetForwarderErrorFeature() is { } failure)\n{\n"
                + "    throw new UpstreamException(502, \"Forwarding failed.\", failure.Exception);\n}\n"
                + "context.Items[\"status\"] = context.Response.StatusCode;")),
        Pair("ForwarderError tested against None, the 502 written by hand",
            Forwarded("if ({|TLLM2008:error != ForwarderError.None|}) { @H }"), "@H",
            "context.Response.StatusCode = 502;",
            "throw new UpstreamException(502, \"unreachable\", context.GetForwarderErrorFeature()?.Exception);"),
        Pair("ForwarderError tested by a negated pattern, only logged, and recorded",
            Forwarded("if ({|TLLM2008:error is not ForwarderError.None|}) { Console.Error.WriteLine(error); @H }"),
            "@H", "",
            "call.RecordHandledFailure(context.GetForwarderErrorFeature()!.Exception!);"),
        Pair("ForwarderError tested on its success side, the failure in the else, answered 200",
            Forwarded("if ({|TLLM2008:error == ForwarderError.None|}) { return Results.Empty; }"
                + " else { return Results.@H; }"),
            "@H", "Ok(new Reply())", "StatusCode(502)"),
        Pair("IForwarderErrorFeature read after forwarding, set, answered as a success and as an error result",
            Forwarded("if ({|TLLM2008:context.GetForwarderErrorFeature() is { } failure|}) { return Results.@H; }"),
            "@H", "Ok(new Reply { Text = failure.Error.ToString() })",
            "Problem(failure.Error.ToString(), statusCode: 502)"),
        Pair("IsSuccessStatusCode false answered 200 with a text, and with the upstream's status",
            Posted("if ({|TLLM2008:!response.IsSuccessStatusCode|}) { return Results.@H; }"),
            "@H", "Ok(new Reply { Text = \"The model is busy.\" })", "StatusCode((int)response.StatusCode)"),
        Pair("a 5xx status compared as an int, logged, the method going on to its success",
            Posted("if ({|TLLM2008:(int)response.StatusCode >= 500|}) { Console.Error.WriteLine(response); @H }"),
            "@H", "", "throw new UpstreamException((int)response.StatusCode, \"The upstream failed.\");"),
        Pair("IsSuccessStatusCode tested by a constant pattern (is false), answered 200, and thrown",
            Posted("if ({|TLLM2008:response.IsSuccessStatusCode is false|}) { @H }"),
            "@H", "return Results.Ok(new Reply());", Throw),
        Pair("a 500 answered as a success, and a 404 the app answers by design",
            Posted("if ({|TLLM2008:response.StatusCode == HttpStatusCode.@S|}) { return Results.Ok(new Reply()); }"),
            "@S", "InternalServerError", "NotFound"),
        Pair("an Assistants run polled while not terminal, its status never tested after, and tested",
            Polled($"while ({{|TLLM2008:!run.Status.IsTerminal|}}) {{ {Fetch} }}", "@H"), "@H", "",
            "if (run.Status != RunStatus.Completed) { throw new UpstreamException(502, $\"Run {run.Status}.\"); }"),
        Pair("an Assistants run polled in a do-while on Queued or InProgress, and its failure thrown",
            Polled($"do {{ {Fetch} }} while ({{|TLLM2008:run.Status == RunStatus.Queued"
                + " || run.Status == RunStatus.InProgress|});", "@H"),
            "@H", "", "if (run.Status == RunStatus.Failed || run.Status == RunStatus.Cancelled"
                + " || run.Status == RunStatus.Expired || run.Status == RunStatus.Incomplete)"
                + " { throw new UpstreamException(502, \"The run failed.\"); }"),
        Pair("an Assistants run compared with RunStatus.Failed, its error text returned, and thrown",
            Polled(string.Empty, "if ({|TLLM2008:run.Status == RunStatus.Failed|}) { @H }"), "@H",
            "return run.LastError?.Message ?? \"failed\";", Throw),
        new("a Responses API stream read without its failure events, and with them thrown", Streamed(string.Empty),
            Streamed("if (update is StreamingResponseFailedUpdate or StreamingResponseErrorUpdate) { " + Throw + " }")),
        new("an SSE stream left on [DONE], its other end answered as complete, and a flag tested after the loop",
            Relayed("if ({|TLLM2008:item.Data == \"[DONE]\"|}) { break; }"),
            Relayed("if (item.Data == \"[DONE]\") { done = true; break; }", "if (!done) { " + Throw + " }")),
        new("an SSE stream's [DONE] written by the gateway after the loop, and only when the upstream's was seen",
            Relayed(string.Empty, "await context.Response.WriteAsync({|TLLM2008:\"data: [DONE]\\n\\n\"|});"),
            Relayed("if (item.Data == \"[DONE]\") { done = true; break; }",
                "if (done) { await context.Response.WriteAsync(\"data: [DONE]\\n\\n\"); }")),
        new("the gateway's [DONE] after two source iterators over an SSE stream, and only when the upstream's was seen",
            Iterated("await context.Response.WriteAsync({|TLLM2008:\"data: [DONE]\\n\\n\"|});"),
            Iterated("if (done) { await context.Response.WriteAsync(\"data: [DONE]\\n\\n\"); }")),
        Pair("the gateway's [DONE] written when the loop's end flag is unset (a cut), and when it is set",
            Relayed("if (item.Data == \"[DONE]\") { done = true; break; }",
                "if (@G) { await context.Response.WriteAsync({|TLLM2008:\"data: [DONE]\\n\\n\"|}); }"),
            "@G", "!done", "done"),
        Pair("the forwarder's error tested in a helper the route calls, only logged, and thrown",
            Route($"await call.ExecuteAsync({Target}, async (attempt, ct) =>"
                + " { await Proxy.ForwardAsync(context, forwarder, invoker); return 0; });\nreturn Results.Empty;",
                Helper),
            "@H",
            "Console.Error.WriteLine(\"forwarding failed\");", "throw new UpstreamException(502, \"unreachable\");"),
        Pair("a failing status a helper turns into null for the route's fallback, either client",
            Registered("""
                foreach (var model in new[] { "gpt-4o", "gpt-4o-mini" })
                {
                    if (await Upstream.TryAsync(factory, model) is { } text)
                    {
                        return Results.Ok(new Reply { Text = text });
                    }
                }

                return Results.StatusCode(502);
                """, """
                internal static class Upstream
                {
                    public static async Task<string?> TryAsync(IHttpClientFactory factory, string model)
                    {
                        var url = "http://upstream/v1/chat/completions";
                        var llm = factory.CreateClient("llm");
                        using var response = await {|TLLM2006:llm.PostAsync(url, JsonContent.Create(new { model }))|};
                        if ({|TLLM2008:!response.IsSuccessStatusCode|}) { return null; }
                        return await response.Content.ReadAsStringAsync();
                    }
                }
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a helper's failing status answered by hand, either client",
            Registered("""
                await Upstream.AnswerAsync(context, llm, new HttpRequestMessage(HttpMethod.Post, url));
                return Results.Empty;
                """, """
                internal static class Upstream
                {
                    public static async Task AnswerAsync(HttpContext ctx, HttpClient client, HttpRequestMessage message)
                    {
                        using var response = await {|TLLM2006:client.SendAsync(message)|};
                        if ({|TLLM2008:response.IsSuccessStatusCode == false|})
                        {
                            ctx.Response.StatusCode = 502;
                            return;
                        }

                        await ctx.Response.WriteAsync(await response.Content.ReadAsStringAsync());
                    }
                }
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a status passed on untested, either client",
            Registered("""
                using var response = await {|TLLM2006:llm.PostAsync(url, new StringContent("{}"))|};
                {|TLLM2008:context.Response.StatusCode = (int)response.StatusCode|};
                return Results.Text(await response.Content.ReadAsStringAsync());
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a failing status sending the loop to its next try, either client",
            Registered("""
                foreach (var model in new[] { "gpt-4o", "gpt-4o-mini" })
                {
                    using var response = await {|TLLM2006:llm.PostAsync(url, JsonContent.Create(new { model }))|};
                    if ({|TLLM2008:(int)response.StatusCode >= 500|}) { continue; }
                    return Results.Ok(new Reply { Text = await response.Content.ReadAsStringAsync() });
                }

                return Results.StatusCode(502);
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a failing status turned into a stream's chunk, either client",
            Registered("""
                var text = new System.Text.StringBuilder();
                await foreach (var chunk in Chunks.ReadAsync(llm, url)) { text.Append(chunk); }
                return Results.Ok(new Reply { Text = text.ToString() });
                """, """
                internal static class Chunks
                {
                    public static async IAsyncEnumerable<string> ReadAsync(HttpClient llm, string url)
                    {
                        using var response = await {|TLLM2006:llm.PostAsync(url, new StringContent("{}"))|};
                        if ({|TLLM2008:!response.IsSuccessStatusCode|}) { yield return "error"; yield break; }
                        yield return await response.Content.ReadAsStringAsync();
                    }
                }
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("an iterator's end marker a cut looks like, either client",
            Registered("""
                var text = new System.Text.StringBuilder();
                await foreach (var line in Lines.ReadAsync(llm, url)) { text.Append(line); }
                return Results.Ok(new Reply { Text = text.ToString() });
                """, """
                internal static class Lines
                {
                    public static async IAsyncEnumerable<string> ReadAsync(HttpClient llm, string url)
                    {
                        using var response = await {|TLLM2006:llm.PostAsync(url, new StringContent("{}"))|};
                        response.EnsureSuccessStatusCode();
                        using var reader = new System.IO.StreamReader(await response.Content.ReadAsStreamAsync());
                        while (await reader.ReadLineAsync() is { } line)
                        {
                            if ({|TLLM2008:line == "data: [DONE]"|}) { break; }
                            yield return line;
                        }
                    }
                }
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a model's stream copied to the response as raw bytes, either client",
            Registered("""
                using var response = await {|TLLM2006:llm.PostAsync(url, new StringContent("{}"))|};
                await {|TLLM2008:(await response.Content.ReadAsStreamAsync()).CopyToAsync(context.Response.Body)|};
                return Results.Empty;
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a model's stream relayed by a read and write loop, either client",
            Registered("""
                var message = new HttpRequestMessage(HttpMethod.Post, url);
                var response = await {|TLLM2006:llm.SendAsync(message, HttpCompletionOption.ResponseHeadersRead)|};
                var body = await response.Content.ReadAsStreamAsync();
                var buffer = new byte[4096];
                int read;
                {|TLLM2008:while|} ((read = await body.ReadAsync(buffer)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read));
                }

                return Results.Empty;
                """), "@A", "", ".AddTracedLlmAttempts()"),
        Pair("a model call's body text tested blank, answered 200 empty, and thrown",
            Posted("var body = await response.Content.ReadAsStringAsync();\n"
                + "if ({|TLLM2008:string.IsNullOrWhiteSpace(body)|}) { @H }"),
            "@H", "return Results.Ok(new Reply());", Throw),
        Pair("a model's text a helper returns, tested blank one call up, answered 200 empty, and thrown",
            Route("var text = await Texts.AskAsync(call, http);\n"
                + "if ({|TLLM2008:text is null or \"\"|}) { @H }\nreturn Results.Ok(new Reply { Text = text });", $$"""
                internal static class Texts
                {
                    public static async Task<string> AskAsync(LlmCall call, HttpClient http)
                    {
                        using var response = await call.ExecuteAsync({{Target}}, (attempt, ct) =>
                            http.PostAsync("http://upstream/v1/chat/completions", new StringContent("{}"), ct));
                        return (await response.Content.ReadAsStringAsync()).Trim();
                    }
                }
                """), "@H", "return Results.Ok(new Reply());", Throw),
        Pair("the content filter's finish reason mapped by a switch arm to end_turn, and to refusal",
            Route("return Results.Ok(new Reply { Text = Stops.Map(request.Model) });", """
                internal static class Stops
                {
                    public static string? Map(string? reason) => reason switch
                    {
                        "stop" => "end_turn",
                        {|TLLM2008:"content_filter" => "@S"|},
                        _ => reason,
                    };
                }
                """), "@S", "end_turn", "refusal"));

    private static IReadOnlyDictionary<string, MatrixCell> WithLibraries(params MatrixCell[] cells) =>
        ByName(cells.Select(cell => cell with { Libraries = Libraries }).ToArray());
}
