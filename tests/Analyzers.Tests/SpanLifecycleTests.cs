using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2003: an Activity started in traced code that is not ended on every path, or that is an orphan.</summary>
public sealed class SpanLifecycleTests
{
    [Fact]
    public Task ALocalNeverEndedInTheHandler() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                var activity = /*!*/Telemetry.Source.StartActivity("upstream");
                activity?.SetTag("model", request.Model);
                return new Reply();
            }
        }
        """, "TLLM2003", "The Activity in 'activity' is not ended on every path: declare it with 'using', or Stop or Dispose it in a finally block");

    [Fact]
    public Task StoppedOutsideFinallyInAnAsyncHelperAndDiscardedInALambda() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                await Upstream.CallAsync();
                Action record = () => /*!*/Telemetry.Source.StartActivity("record");
                record();
                return new Reply();
            }
        }

        internal static class Upstream
        {
            public static async Task CallAsync()
            {
                var span = /*!*/Telemetry.Source.StartActivity("raw_gen_ai_request");
                await Task.Delay(1);
                span?.Stop();
            }
        }
        """, "TLLM2003",
        "This Activity is started and never ended: keep it in a 'using' variable",
        "The Activity in 'span' is not ended on every path: declare it with 'using', or Stop or Dispose it in a finally block");

    [Fact]
    public Task OrphansFromAnEmptyParentOrAClearedCurrent() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request)
            {
                using var first = /*!*/Telemetry.Source.StartActivity("litellm_request", ActivityKind.Client, default(ActivityContext));
                Activity.Current = null;
                using var second = /*!*/Telemetry.Source.StartActivity("guardrail");
                return new Reply();
            }
        }
        """, "TLLM2003",
        "This Activity is started with an empty parent context: it becomes the root of a new trace, an orphan; pass the request span's context",
        "This Activity is started after Activity.Current was set to null and without an explicit parent: it becomes an orphan; pass the request span's context");

    [Fact]
    public Task UsingFinallyAndOwnershipTransfersAreClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call)
            {
                using var a = Telemetry.Source.StartActivity("a", ActivityKind.Internal, call.Span?.Context ?? default);
                using (Telemetry.Source.StartActivity("b")) { }
                var c = Telemetry.Source.StartActivity("c");
                try { request.Model = "x"; }
                finally { c?.Dispose(); }
                var d = Factory.Start();
                d?.Stop();
                Keep(Telemetry.Source.StartActivity("e"));
                return new Reply();
            }

            private static void Keep(Activity? activity) => activity?.Dispose();
        }

        internal static class Factory
        {
            public static Activity? Start() => Telemetry.Source.StartActivity("owned by the caller");
        }
        """, "TLLM2003");

    [Fact]
    public Task TheSameCodeOutsideTracedCodeIsClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new();
        }

        internal static class Background
        {
            public static void Run() => Telemetry.Source.StartActivity("not traced");
        }
        """, "TLLM2003");

    [Fact]
    public Task APragmaSuppressesIt() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
        #pragma warning disable TLLM2003 // ended by the background worker
                var activity = Telemetry.Source.StartActivity("handed off");
        #pragma warning restore TLLM2003
                return new Reply { Text = activity?.Id };
            }
        }
        """, "TLLM2003");

    [Fact]
    public async Task FixDeclaresTheLocalWithUsing()
    {
        const string source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request)
                {
                    // The upstream call.
                    var activity = Telemetry.Source.StartActivity("upstream");
                    return new Reply();
                }
            }
            """;

        var fixedSource = (await FixAsync(new SpanLifecycleCodeFix(), "TLLM2003", null, source))[0];

        Assert.Equal(source.Replace("        var activity =", "        using var activity =", System.StringComparison.Ordinal), fixedSource);
        Assert.Empty(await DiagnosticsAsync(fixedSource));
    }

    [Fact]
    public async Task FixAllInDocumentAndProject()
    {
        const string first = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request)
                {
                    var a = Telemetry.Source.StartActivity("a");
                    var b = Telemetry.Source.StartActivity("b");
                    return new Reply { Text = Helper.Run() };
                }
            }
            """;
        const string second = """
            namespace Contoso;

            internal static class Helper
            {
                public static string Run()
                {
                    var c = Telemetry.Source.StartActivity("c");
                    return "ok";
                }
            }
            """;

        var document = await FixAsync(new SpanLifecycleCodeFix(), "TLLM2003", FixAllScope.Document, first, second);
        Assert.Contains("using var a =", document[0], System.StringComparison.Ordinal);
        Assert.Contains("using var b =", document[0], System.StringComparison.Ordinal);
        Assert.Equal(second, document[1]);

        var project = await FixAsync(new SpanLifecycleCodeFix(), "TLLM2003", FixAllScope.Project, first, second);
        Assert.Contains("using var c =", project[1], System.StringComparison.Ordinal);
        Assert.Empty(await DiagnosticsAsync(project));
    }
}
