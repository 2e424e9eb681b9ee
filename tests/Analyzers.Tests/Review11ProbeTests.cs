using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>Review 11's probes of d5b4274's reading of a middleware in front of YARP's <c>MapReverseProxy()</c>: its
/// <c>next</c> as the model call (TLLM2006) and the response's status read after it, with no
/// <c>IForwarderErrorFeature</c>, as the forward judged by its status alone (TLLM2008). Each probe asserts what the
/// analyzers report and says whether that holds or is a known limit: six held at review, three were mended after it
/// (a string literal read as the map, a <c>Func&lt;Task&gt;</c> next, a status read after a write of it), one is a
/// known limit written on TLLM2008's page (a status read in a response callback).</summary>
public sealed class Review11ProbeTests
{
    private static readonly System.Reflection.Assembly[] Libraries =
        { typeof(Yarp.ReverseProxy.Forwarder.IHttpForwarder).Assembly };

    private const string Head = "using Microsoft.AspNetCore.Builder;\nusing Yarp.ReverseProxy.Forwarder;\n"
        + Corpus.Header;

    /// <summary>A traced middleware in front of the mapped proxy whose <c>InvokeAsync</c> is
    /// <paramref name="body"/>.</summary>
    private static string Middleware(string name, string body) => Head + $$"""
        [TracedLlmCode]
        public sealed class {{name}}(RequestDelegate next)
        {
            public async Task InvokeAsync(HttpContext context)
            {
        {{body}}
            }
        }
        """ + Mapped;

    private const string Mapped = """

        internal static class Proxy
        {
            public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app) => app.MapReverseProxy();
        }
        """;

    private static readonly DiagnosticResult[] None = System.Array.Empty<DiagnosticResult>();

    private static string Through(string entry) => $" (reached from traced code '{entry}' through {entry})";

    private static DiagnosticResult Forward(int location, string entry) => Diagnostic("TLLM2006", location,
        UnscopedUpstreamCallTests.Message("RequestDelegate (YARP's MapReverseProxy)") + Through(entry));

    private static DiagnosticResult Judged(int location, string entry) => Diagnostic("TLLM2008", location,
        "YARP's forward at next is judged by the response's status alone, and a forwarder error (a refused "
        + "connection, a timeout, a body cut mid-copy) reaches no span with its cause (or forward with TracedLlm's "
        + "relay): no exception carries the failure, so no span, failure logger or error format sees it; "
        + "throw (an UpstreamException) or record it (LlmCall.RecordHandledFailure)" + Through(entry));

    // ---- 1. next.Invoke(context) ---------------------------------------------------------------------------------

    /// <summary><c>next.Invoke(context)</c>, the delegate's Invoke written out, is the same forward as
    /// <c>next(context)</c>; the status read after it is the judgement.</summary>
    /// <remarks>Holds: both compile to the delegate's Invoke.</remarks>
    [Fact]
    public Task ProbeNextInvokeWrittenOutIsTheForward() => AnalyzerAsync(Middleware("TraceMiddleware", """
                await {|#0:next.Invoke(context)|};
                Activity.Current?.SetTag("status", {|#1:context.Response.StatusCode|});
            """), Libraries,
        Forward(0, "TraceMiddleware.InvokeAsync"), Judged(1, "TraceMiddleware.InvokeAsync"));

    // ---- 2. A retry loop around next -----------------------------------------------------------------------------

    /// <summary>A retry middleware (openai-aca-lb's shape) calling <c>next</c> in a loop, judging each try by the
    /// status: one call in the source, one forward, reported once; the status read after it is the judgement.
    /// </summary>
    /// <remarks>Holds.</remarks>
    [Fact]
    public Task ProbeARetryLoopAroundNextIsOneForward() => AnalyzerAsync(Middleware("RetryMiddleware", """
                context.Request.EnableBuffering();
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    context.Request.Body.Position = 0;
                    await {|#0:next(context)|};
                    if ({|#1:context.Response.StatusCode|} is not 429 and < 500)
                    {
                        return;
                    }
                }
            """), Libraries,
        Forward(0, "RetryMiddleware.InvokeAsync"), Judged(1, "RetryMiddleware.InvokeAsync"));

    // ---- 3. try/finally logging, with YARP's error asked for -----------------------------------------------------

    /// <summary>A tracing middleware whose finally logs the status and also asks for
    /// <c>IForwarderErrorFeature</c> through <c>context.Features.Get</c>: the forward is reported (no attempt), the
    /// status read is not (the method reads YARP's error).</summary>
    /// <remarks>Holds.</remarks>
    [Fact]
    public Task ProbeAFinallyLoggingTheStatusWithYarpsErrorIsNoJudgement() => AnalyzerAsync(Middleware(
        "LoggingMiddleware", """
                try
                {
                    await {|#0:next(context)|};
                }
                finally
                {
                    var error = context.Features.Get<IForwarderErrorFeature>();
                    Activity.Current?.SetTag("status", context.Response.StatusCode);
                    Activity.Current?.SetTag("error", error?.Error.ToString());
                }
            """), Libraries,
        Forward(0, "LoggingMiddleware.InvokeAsync"));

    // ---- 4. The token scan ---------------------------------------------------------------------------------------

    /// <summary>A project that references YARP and maps no proxy, naming <c>MapReverseProxy</c> only in a string
    /// (a constant of a log line) or only in a comment (<c>// app.MapReverseProxy();</c>, the proxy switched off): its
    /// middleware's <c>next</c> reaches the app's own endpoints, no upstream.</summary>
    /// <remarks>The comment held (trivia is no token). The string was a misfire at review (a string literal's value
    /// text is its content, so <c>"MapReverseProxy"</c> made every traced middleware's <c>next</c> a model call);
    /// mended after it: the scan takes identifier tokens only.</remarks>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task ProbeMapReverseProxyOnlyInAStringOrACommentMapsNoProxy(bool inString) => AnalyzerAsync(Head + $$"""
        [TracedLlmCode]
        public sealed class TraceMiddleware(RequestDelegate next)
        {
            private const string Hint = {{(inString ? "\"MapReverseProxy\"" : "\"proxy\"")}};

            public async Task InvokeAsync(HttpContext context)
            {
                await next(context);
                Activity.Current?.SetTag("status", context.Response.StatusCode);
                Activity.Current?.SetTag("hint", Hint);
            }
        }

        internal static class Proxy
        {
            // app.MapReverseProxy();
            public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app) =>
                app.MapGet("/", () => "ok");
        }
        """, Libraries, None);

    // ---- 5. Inline middlewares: app.Use lambdas in the proxy's pipeline ------------------------------------------

    /// <summary>YARP's documented inline middleware in the proxy pipeline, <c>proxyPipeline.Use(async (context, next)
    /// =&gt; { await next(); ... })</c>: <c>next</c> is a <c>Func&lt;Task&gt;</c>, still the forward.</summary>
    /// <remarks>A misfire at review (a miss of both: only a <c>RequestDelegate</c>'s call was read, and this
    /// <c>next</c> is the <c>Func&lt;Task&gt;</c> of the <c>Use</c> overload YARP's docs show); mended after it: the
    /// second parameter of a lambda given to <c>Use</c> is the pipeline's next.</remarks>
    [Fact]
    public Task ProbeAnInlineMiddlewareInTheProxyPipelineForwardsAtItsFuncNext() => AnalyzerAsync(Head + """
        [TracedLlmCode]
        public static class Pipeline
        {
            public static void Map(WebApplication app) => app.MapReverseProxy(proxy =>
            {
                proxy.Use(async (context, next) =>
                {
                    await {|#0:next()|};
                    Activity.Current?.SetTag("status", {|#1:context.Response.StatusCode|});
                });
            });
        }
        """, Libraries, Forward(0, "Pipeline.Map"), Judged(1, "Pipeline.Map"));

    /// <summary>As <see cref="ProbeAnInlineMiddlewareInTheProxyPipelineForwardsAtItsFuncNext"/>, the lambda taking
    /// the <c>RequestDelegate</c> overload (<c>next(context)</c>).</summary>
    /// <remarks>Holds: the lambda in a traced method is read with it, and its <c>next</c> is a
    /// <c>RequestDelegate</c>.</remarks>
    [Fact]
    public Task ProbeAnInlineMiddlewareForwardsAtItsRequestDelegateNext() => AnalyzerAsync(Head + """
        [TracedLlmCode]
        public static class Pipeline
        {
            public static void Map(WebApplication app)
            {
                app.Use(async (context, next) =>
                {
                    await {|#0:next(context)|};
                    Activity.Current?.SetTag("status", {|#1:context.Response.StatusCode|});
                });
                app.MapReverseProxy();
            }
        }
        """, Libraries, Forward(0, "Pipeline.Map"), Judged(1, "Pipeline.Map"));

    // ---- 6. IMiddleware ------------------------------------------------------------------------------------------

    /// <summary>A factory-activated middleware (<c>IMiddleware.InvokeAsync(HttpContext, RequestDelegate)</c>): its
    /// <c>next</c> parameter is the forward.</summary>
    /// <remarks>Holds.</remarks>
    [Fact]
    public Task ProbeAnIMiddlewaresNextParameterIsTheForward() => AnalyzerAsync(Head + """
        [TracedLlmCode]
        public sealed class MeterMiddleware : IMiddleware
        {
            public async Task InvokeAsync(HttpContext context, RequestDelegate next)
            {
                await {|#0:next(context)|};
                if ({|#1:context.Response.StatusCode|} >= 500)
                {
                    Activity.Current?.SetStatus(ActivityStatusCode.Error);
                }
            }
        }
        """ + Mapped, Libraries,
        Forward(0, "MeterMiddleware.InvokeAsync"), Judged(1, "MeterMiddleware.InvokeAsync"));

    // ---- 7. The status read where the code runs after next -------------------------------------------------------

    /// <summary>The status read in a <c>Response.OnCompleted</c> callback registered before <c>next</c>: the
    /// callback runs after the forward, so it is the judgement.</summary>
    /// <remarks>Expected the forward and the judgement. Known limit (a miss of TLLM2008): "after next" is read by
    /// source position, and the callback's text comes before the call. A tracing middleware often tags its span in
    /// <c>OnStarting</c>/<c>OnCompleted</c> (the status is final only there), so this is a real shape. Mend: read a
    /// status in a lambda passed to <c>HttpResponse.OnStarting</c>/<c>OnCompleted</c> as after every <c>next</c> of
    /// the method.</remarks>
    [Fact]
    public Task ProbeTheStatusReadInACallbackRegisteredBeforeNext() => AnalyzerAsync(Middleware("TraceMiddleware", """
                context.Response.OnCompleted(() =>
                {
                    Activity.Current?.SetTag("status", context.Response.StatusCode);
                    return Task.CompletedTask;
                });
                await {|#0:next(context)|};
            """), Libraries,
        Forward(0, "TraceMiddleware.InvokeAsync"));

    /// <summary>The status written after <c>next</c> (a 502 answered over an empty 200) and only then read: the write
    /// is no judgement, the read after it is the response's own status.</summary>
    /// <remarks>A misfire at review (a miss of TLLM2008: the write counted as an earlier read, so the read after it
    /// was never the first); mended after it: an assignment's target is no read, as an earlier one or as the one
    /// reported.</remarks>
    [Fact]
    public Task ProbeAStatusWrittenThenReadAfterNext() => AnalyzerAsync(Middleware("TraceMiddleware", """
                await {|#0:next(context)|};
                if (!context.Response.HasStarted && context.Response.ContentLength is null)
                {
                    context.Response.StatusCode = 502;
                }

                Activity.Current?.SetTag("status", {|#1:context.Response.StatusCode|});
            """), Libraries,
        Forward(0, "TraceMiddleware.InvokeAsync"), Judged(1, "TraceMiddleware.InvokeAsync"));

    // ---- 8. Not traced -------------------------------------------------------------------------------------------

    /// <summary>A gateway with a traced route that calls the model in <c>LlmCall.ExecuteAsync</c> (no relay) and a
    /// middleware in front of a mapped proxy that no <c>[TracedLlmCode]</c> marks: the middleware is not traced code,
    /// so nothing is reported for it.</summary>
    /// <remarks>Holds: an unmarked middleware is reached from no route, so no rule reads it (a gateway wanting it
    /// read marks it).</remarks>
    [Fact]
    public Task ProbeAnUnmarkedMiddlewareBesideATracedRouteIsNotTraced() => AnalyzerAsync(Head + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http) => new Reply
            {
                Text = await call.ExecuteAsync(new LlmTarget("openai", "gpt-4o"), LlmRetryPolicy.None,
                    async (attempt, ct) => await http.GetStringAsync("http://upstream/v1/models", ct)),
            };
        }

        public sealed class TraceMiddleware(RequestDelegate next)
        {
            public async Task InvokeAsync(HttpContext context)
            {
                await next(context);
                Activity.Current?.SetTag("status", context.Response.StatusCode);
            }
        }
        """ + Mapped, Libraries, None);
}
