using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2002: an exception type thrown in traced code that no failure filter accepts.</summary>
public sealed class FailurePathTests
{
    private const string Filter = """
        internal sealed class GuardrailRaisedException : Exception
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool /*!*/IsProxyOnlyError(Exception exception) => exception is HttpException;
        }

        """;

    private static string Message(string source, string type) =>
        $"Exception type '{type}' thrown in traced code is accepted by no failure filter (the failure filter at {Position(source, 0)} accepts only 'Contoso.HttpException'), so its failures are never logged";

    [Fact]
    public Task TheSeedGuardrailExceptionInAGuardrail()
    {
        const string source = Corpus.Header + Filter + """
            internal sealed class GenericGuardrail : ILlmGuardrail
            {
                public string Name => "generic";
                public GuardrailMode Modes => GuardrailMode.PreCall;
                public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
                    /*!*/throw new GuardrailRaisedException("Blocked by the generic guardrail API");
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages(MessagesRequest request) => new() { Text = request.Model };
            }
            """;
        return VerifyLocatedAsync(source, Message(source, "Contoso.GuardrailRaisedException"));
    }

    [Fact]
    public Task AThrowStatementInAHelperTwoCallsAway()
    {
        const string source = Corpus.Header + Filter + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => new() { Text = Validation.Model(request) };
            }

            internal static class Validation
            {
                public static string Model(ChatRequest request) => Require(request.Model);

                private static string Require(string? model)
                {
                    if (model is null)
                    {
                        /*!*/throw new InvalidOperationException("model is required");
                    }

                    return model;
                }
            }
            """;
        return VerifyLocatedAsync(source, Message(source, "System.InvalidOperationException"));
    }

    [Fact]
    public Task AThrowInAnAsyncLambdaAndARethrownTypedLocal()
    {
        const string source = Corpus.Header + Filter + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request)
                {
                    var text = await Task.Run<string>(async () =>
                    {
                        await Task.Yield();
                        return request.Model ?? /*!*/throw new TimeoutException("upstream timed out");
                    });
                    var failure = new GuardrailRaisedException("late");
                    if (text.Length == 0)
                    {
                        /*!*/throw failure;
                    }

                    return new Reply { Text = text };
                }
            }
            """;
        return VerifyLocatedAsync(source, Message(source, "System.TimeoutException"), Message(source, "Contoso.GuardrailRaisedException"));
    }

    [Fact]
    public Task ACatchThatGuardsTheLoggerIsAFilterToo()
    {
        const string source = Corpus.Header + """
            internal static class ProxyServer
            {
                public static async Task HandleAsync(Func<Task> next, ILlmFailureLogger logger, FailureContext context)
                {
                    try
                    {
                        await next();
                    }
                    /*!*/catch (HttpException)
                    {
                        await logger.LogFailureAsync(context);
                        throw;
                    }
                }
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => request.Model is null ? /*!*/throw new ArgumentException("model") : new Reply();
            }
            """;
        return VerifyLocatedAsync(source, Message(source, "System.ArgumentException"));
    }

    [Fact]
    public Task AcceptedTypesAreClean() => VerifyAsync(Corpus.Header + Filter.Replace("/*!*/", string.Empty, System.StringComparison.Ordinal) + """
        internal sealed class UpstreamHttpException : HttpException { public UpstreamHttpException() : base("upstream") { } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model is null ? throw new UpstreamHttpException() : throw new HttpException("x");
        }
        """, "TLLM2002");

    [Fact]
    public Task TheSameThrowOutsideTracedCodeIsClean() => VerifyAsync(Corpus.Header + Filter.Replace("/*!*/", string.Empty, System.StringComparison.Ordinal) + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = request.Model };
        }

        internal static class Startup
        {
            public static void Fail() => throw new GuardrailRaisedException("not traced");
        }
        """, "TLLM2002");

    [Fact]
    public Task WithoutAHandWrittenFilterNothingIsReported() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => throw new InvalidOperationException("the generated failure path accepts every type");
        }
        """, "TLLM2002");

    [Fact]
    public Task APragmaSuppressesIt() => VerifyAsync(Corpus.Header + Filter.Replace("/*!*/", string.Empty, System.StringComparison.Ordinal) + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
        #pragma warning disable TLLM2002
                throw new GuardrailRaisedException("known");
        #pragma warning restore TLLM2002
            }
        }
        """, "TLLM2002");

    [Fact]
    public async Task FixDerivesTheThrownTypeFromTheAcceptedType()
    {
        const string source = Corpus.Header + """
            internal sealed class GuardrailRaisedException : Exception
            {
                public GuardrailRaisedException(string message) : base(message) { }
            }

            internal sealed class PolicyException
            {
            }

            internal static class ProxyUtils
            {
                [FailureLoggingPath]
                public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => throw new GuardrailRaisedException("blocked");
            }
            """;

        var fixedSource = (await FixAsync(new FailurePathCodeFix(), "TLLM2002", null, source))[0];

        Assert.Equal(source.Replace("class GuardrailRaisedException : Exception", "class GuardrailRaisedException : HttpException", System.StringComparison.Ordinal), fixedSource);
        Assert.Empty(await DiagnosticsAsync(fixedSource));
    }

    [Fact]
    public async Task FixChangesThePartWithTheBaseClassOfAPartialType()
    {
        const string source = Corpus.Header + """
            internal static class ProxyUtils
            {
                [FailureLoggingPath]
                public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => throw new BlockedException();
            }

            internal sealed partial class BlockedException
            {
                public BlockedException() : base("blocked") { }
            }

            internal sealed partial class BlockedException : Exception
            {
            }
            """;

        var fixedSource = (await FixAsync(new FailurePathCodeFix(), "TLLM2002", null, source))[0];
        Assert.Equal(source.Replace("partial class BlockedException : Exception", "partial class BlockedException : HttpException", System.StringComparison.Ordinal), fixedSource);
        Assert.Empty(await DiagnosticsAsync(fixedSource));
    }

    [Fact]
    public async Task FixAllInDocumentAndProject()
    {
        const string first = Corpus.Header + """
            internal sealed class AException : Exception { }
            internal sealed class BException : Exception { }

            internal static class ProxyUtils
            {
                [FailureLoggingPath]
                public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => request.Model is null ? throw new AException() : throw new BException();
            }
            """;

        var fixedDocument = (await FixAsync(new FailurePathCodeFix(), "TLLM2002", FixAllScope.Document, first))[0];
        Assert.Contains("class AException : HttpException", fixedDocument, System.StringComparison.Ordinal);
        Assert.Contains("class BException : HttpException", fixedDocument, System.StringComparison.Ordinal);
    }

    private static Task VerifyLocatedAsync(string source, params string[] messages)
    {
        // The first marker is the filter (named in the messages); the diagnostics start at the others.
        var markerAtFilter = source.IndexOf("/*!*/IsProxyOnlyError", System.StringComparison.Ordinal) >= 0 || source.IndexOf("/*!*/catch", System.StringComparison.Ordinal) >= 0;
        Assert.True(markerAtFilter);
        var first = source.IndexOf(Marker, System.StringComparison.Ordinal);
        var rest = source[..first] + source[(first + Marker.Length)..];
        return VerifyAsync(rest, "TLLM2002", messages);
    }
}
