using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2004: a catch in traced code that neither throws nor reports.</summary>
public sealed class SwallowedExceptionTests
{
    [Fact]
    public Task SwallowedInTheHandlerInAHelperAndInALambda() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                try
                {
                    await Helper.CallAsync();
                }
                /*!*/catch
                {
                }

                Func<int> parse = () =>
                {
                    try { return int.Parse(request.Model!); }
                    /*!*/catch (FormatException) { return 0; }
                };
                return new Reply { Text = parse().ToString() };
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
                /*!*/catch (Exception exception)
                {
                    Console.WriteLine(exception.GetType().Name);
                }
            }
        }
        """, "TLLM2004",
        "This catch swallows 'System.Exception' in traced code: rethrow it, throw, or hand it to the failure path (LlmCall.RecordHandledFailure or a failure logger)",
        "This catch swallows 'System.FormatException' in traced code: rethrow it, throw, or hand it to the failure path (LlmCall.RecordHandledFailure or a failure logger)",
        "This catch swallows 'System.Exception' in traced code: rethrow it, throw, or hand it to the failure path (LlmCall.RecordHandledFailure or a failure logger)");

    [Fact]
    public Task RethrowingThrowingOrReportingIsClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, ILlmFailureLogger logger)
            {
                try { await Task.Delay(1); } catch (TimeoutException) { throw; }
                try { await Task.Delay(1); } catch (Exception inner) { throw new UpstreamException(502, "upstream failed", inner); }
                try { await Task.Delay(1); } catch (Exception handled) { call.RecordHandledFailure(handled); }
                try { await Task.Delay(1); } catch (Exception logged) { await logger.LogFailureAsync(new FailureContext(call, logged, 500, "x")); }
                return new Reply();
            }
        }
        """, "TLLM2004");

    [Fact]
    public Task TheSameCatchOutsideTracedCodeIsClean() => VerifyAsync(Corpus.Header + """
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
        """, "TLLM2004");

    [Fact]
    public Task APragmaSuppressesIt() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
        #pragma warning disable TLLM2004 // a cache miss is not a failure
                try { return new Reply { Text = Cache.Get() }; } catch (KeyNotFoundException) { return new Reply(); }
        #pragma warning restore TLLM2004
            }
        }

        internal static class Cache
        {
            public static string Get() => throw new KeyNotFoundException();
        }
        """, "TLLM2004");

    [Fact]
    public async Task FixRethrows()
    {
        const string source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request)
                {
                    try
                    {
                        request.Model = request.Model!.Trim();
                    }
                    catch (NullReferenceException exception)
                    {
                        Console.WriteLine(exception.Message);
                    }

                    return new Reply();
                }
            }
            """;

        var fixedSource = (await FixAsync(new SwallowedExceptionCodeFix(), "TLLM2004", null, source))[0];

        Assert.Equal(source.Replace("Console.WriteLine(exception.Message);\n", "Console.WriteLine(exception.Message);\n            throw;\n", System.StringComparison.Ordinal), fixedSource.ReplaceLineEndings("\n"));
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
                    try { Helper.Run(); } catch (InvalidOperationException) { }
                    try { Helper.Run(); } catch (ArgumentException) { }
                    return new Reply();
                }
            }
            """;
        const string second = """
            namespace Contoso;

            internal static class Helper
            {
                public static void Run()
                {
                    try { System.Console.WriteLine(); } catch (System.IO.IOException) { }
                }
            }
            """;

        var document = await FixAsync(new SwallowedExceptionCodeFix(), "TLLM2004", FixAllScope.Document, first, second);
        Assert.Equal(2, document[0].Split("throw;").Length - 1);
        Assert.Equal(second, document[1]);

        var project = await FixAsync(new SwallowedExceptionCodeFix(), "TLLM2004", FixAllScope.Project, first, second);
        Assert.Contains("throw;", project[1], System.StringComparison.Ordinal);
        Assert.Empty(await DiagnosticsAsync(project));
    }
}
