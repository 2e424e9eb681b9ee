using System.Threading.Tasks;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2002: an exception type thrown in traced code that every failure filter rejects.</summary>
public sealed class FailurePathTests
{
    private const string Guardrail = """
        internal sealed class GuardrailRaisedException : Exception
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        """;

    private const string HttpFilter = Guardrail + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool {|#9:IsProxyOnlyError|}(Exception exception) => exception is HttpException;
        }

        """;

    private static string Message(
        string type,
        string filter = "Test0.cs(39,24)",
        string accepts = "'Contoso.HttpException'") =>
        $"Exception type '{type}' thrown in traced code is accepted by no failure filter (the failure filter at "
        + $"{filter} accepts only {accepts}), so its failures are never logged";

    [Fact]
    public Task TheSeedGuardrailExceptionInAGuardrail() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal sealed class GenericGuardrail : ILlmGuardrail
        {
            public string Name => "generic";
            public GuardrailMode Modes => GuardrailMode.PreCall;
            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                CancellationToken cancellationToken) =>
                {|#0:throw new GuardrailRaisedException("Blocked by the generic guardrail API")|};
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request) => new() { Text = request.Model };
        }
        """, Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException")).WithLocation(9));

    [Fact]
    public Task AThrowStatementInAHelperTwoCallsAway() => AnalyzerAsync(Corpus.Header + HttpFilter + """
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
                    {|#0:throw new InvalidOperationException("model is required");|}
                }

                return model;
            }
        }
        """, Diagnostic("TLLM2002", 0, Message("System.InvalidOperationException")
            + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Validation.Model → "
            + "Validation.Require)").WithLocation(9));

    [Fact]
    public Task AThrowInAnAsyncLambdaAndARethrownTypedLocal() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request)
            {
                var text = await Task.Run<string>(async () =>
                {
                    await Task.Yield();
                    return request.Model ?? {|#0:throw new TimeoutException("upstream timed out")|};
                });
                Exception failure = new GuardrailRaisedException("late");
                if (text.Length == 0)
                {
                    {|#1:throw failure;|}
                }

                return new Reply { Text = text };
            }
        }
        """,
        Diagnostic("TLLM2002", 0, Message("System.TimeoutException")).WithLocation(9),
        Diagnostic("TLLM2002", 1, Message("Contoso.GuardrailRaisedException")).WithLocation(9));

    // ---- ExceptionDispatchInfo and faulted tasks raise exceptions too ----

    [Fact]
    public Task ExceptionDispatchInfoAndFaultedTasks() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal sealed class GenericGuardrail : ILlmGuardrail
        {
            public string Name => "generic";
            public GuardrailMode Modes => GuardrailMode.PreCall;
            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                CancellationToken cancellationToken) =>
                context.Call.Model == "blocked"
                    ? {|#0:ValueTask.FromException<GuardrailVerdict>(new GuardrailRaisedException("blocked"))|}
                    : ValueTask.FromResult(GuardrailVerdict.Allow);
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Task<Reply> Chat(ChatRequest request)
            {
                if (request.Model is null)
                {
                    {|#1:System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(new ArgumentException("model"))|};
                }

                var captured = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(
                    new GuardrailRaisedException("late"));
                if (request.Model == "late")
                {
                    {|#2:captured.Throw()|};
                }

                return request.Model == "x" ? {|#3:Task.FromException<Reply>(new TimeoutException())|}
                    : Task.FromResult(new Reply());
            }
        }
        """,
        Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException")).WithLocation(9),
        Diagnostic("TLLM2002", 1, Message("System.ArgumentException")).WithLocation(9),
        Diagnostic("TLLM2002", 2, Message("Contoso.GuardrailRaisedException")).WithLocation(9),
        Diagnostic("TLLM2002", 3, Message("System.TimeoutException")).WithLocation(9));

    [Fact]
    public Task RethrowingWhatWasCaughtIsNoNewThrow() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                try
                {
                    return new Reply { Text = await Upstream.CallAsync(request) };
                }
                catch (InvalidOperationException failure)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                    throw;
                }
            }
        }

        internal static class Upstream
        {
            public static Task<string> CallAsync(ChatRequest request) => Task.FromResult(request.Model ?? string.Empty);
        }
        """);

    // ---- filters: what they accept ----

    [Fact]
    public Task ASwitchStatementOverTheTypeAcceptsOnlyItsLoggingCases() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class ProxyServer
        {
            public static async Task HandleAsync(Func<Task> next, ILlmFailureLogger logger, LlmCall call)
            {
                try
                {
                    await next();
                }
                {|#9:catch|} (Exception exception)
                {
                    switch (exception)
                    {
                        case HttpException http when http.Message.Length > 0:
                        case UpstreamException:
                            await logger.LogFailureAsync(new FailureContext(call, exception, 500, "upstream"));
                            break;
                        case OperationCanceledException:
                            break;
                        default:
                            break;
                    }

                    throw;
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model switch
            {
                null => {|#0:throw new GuardrailRaisedException("model")|},
                "upstream" => throw new UpstreamException(502, "bad gateway"),
                "http" => throw new HttpException("maybe logged: its case has a condition on the message"),
                _ => new Reply(),
            };
        }
        """, Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException", "Test0.cs(44,9)",
            "'Contoso.HttpException', 'TracedLlm.UpstreamException'")).WithLocation(9));

    [Fact]
    public Task ASwitchExpressionFilterAcceptsTheArmsThatReturnTrue() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool {|#9:ShouldLog|}(Exception exception) => exception switch
            {
                GuardrailBlockedException => false,
                GatewayException => true,
                TimeoutException or HttpRequestException => true,
                _ => false,
            };
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model switch
            {
                null => {|#0:throw new GuardrailRaisedException("model")|},
                "blocked" => {|#1:throw new GuardrailBlockedException("pii", "blocked")|},
                "timeout" => throw new TimeoutException(),
                "bad" => throw new InvalidLlmRequestException("bad model"),
                _ => new Reply(),
            };
        }
        """,
        Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException", "Test0.cs(39,24)",
            "'TracedLlm.GatewayException' except 'TracedLlm.GuardrailBlockedException', 'System.TimeoutException', "
            + "'System.Net.Http.HttpRequestException'")).WithLocation(9),
        Diagnostic("TLLM2002", 1, Message("TracedLlm.GuardrailBlockedException", "Test0.cs(39,24)",
            "'TracedLlm.GatewayException' except 'TracedLlm.GuardrailBlockedException', 'System.TimeoutException', "
            + "'System.Net.Http.HttpRequestException'")).WithLocation(9));

    [Fact]
    public Task ANegatedTestAcceptsEverythingElse() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool {|#9:IsServerFailure|}(Exception exception) =>
                !(exception is OperationCanceledException);
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model switch
            {
                null => throw new GuardrailRaisedException("accepted: not a cancellation"),
                "cancel" => {|#0:throw new TaskCanceledException("rejected")|},
                _ => new Reply(),
            };
        }
        """, Diagnostic("TLLM2002", 0, Message("System.Threading.Tasks.TaskCanceledException", "Test0.cs(39,24)",
            "any type but 'System.OperationCanceledException'")).WithLocation(9));

    [Fact]
    public Task PatternCombinatorsAndWhenFilters() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class Middleware
        {
            public static async Task RunAsync(Func<Task> next, ILlmFailureLogger logger, LlmCall call)
            {
                try
                {
                    await next();
                }
                {|#9:catch|} (Exception exception) when (exception is HttpException or OperationCanceledException
                    and not TaskCanceledException)
                {
                    await logger.LogFailureAsync(new FailureContext(call, exception, 502, "upstream"));
                    throw;
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model switch
            {
                null => {|#0:throw new GuardrailRaisedException("model")|},
                "cancelled" => {|#1:throw new TaskCanceledException()|},
                "stopped" => throw new OperationCanceledException(),
                "http" => throw new HttpException("upstream"),
                _ => new Reply(),
            };
        }
        """,
        Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException", "Test0.cs(44,9)", Accepted)).WithLocation(
            9),
        Diagnostic("TLLM2002", 1, Message("System.Threading.Tasks.TaskCanceledException", "Test0.cs(44,9)",
            Accepted)).WithLocation(9));

    private const string Accepted = "'Contoso.HttpException', 'System.OperationCanceledException' except "
        + "'System.Threading.Tasks.TaskCanceledException'";

    [Fact]
    public Task AWhenFilterThatExcludesOnlyCancellationAcceptsTheRest() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class Middleware
        {
            public static async Task RunAsync(Func<Task> next, ILlmFailureLogger logger, LlmCall call)
            {
                try
                {
                    await next();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    await logger.LogFailureAsync(new FailureContext(call, exception, 500, exception.GetType().Name));
                    throw;
                }
            }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) =>
                request.Model is null ? throw new GuardrailRaisedException("model") : new Reply();
        }
        """);

    [Fact]
    public Task AFilterCallingAnotherFilterAndAnExactTypeTest() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class ProxyUtils
        {
            public static bool IsUpstream(Exception exception) => exception.GetType() == typeof(UpstreamException);

            [FailureLoggingPath]
            public static bool {|#9:ShouldLog|}(Exception exception) =>
                IsUpstream(exception) || exception is HttpException;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => request.Model switch
            {
                null => {|#0:throw new GuardrailRaisedException("model")|},
                "up" => throw new UpstreamException(502, "bad gateway"),
                _ => new Reply(),
            };
        }
        """, Diagnostic("TLLM2002", 0, Message("Contoso.GuardrailRaisedException", "Test0.cs(41,24)",
            "what 'IsUpstream' accepts, 'Contoso.HttpException'")).WithLocation(9));

    [Fact]
    public Task ARecordHandledFailureCatchIsNoFilter() => AnalyzerAsync(Corpus.Header + Guardrail + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, LlmCall call, HttpClient http)
            {
                try
                {
                    return new Reply { Text = await Primary(request) };
                }
                catch (HttpRequestException exception)
                {
                    call.RecordHandledFailure(exception);
                    if (request.Model is null)
                    {
                        throw new GuardrailBlockedException("fallback", "no model for the fallback");
                    }

                    return new Reply { Text = "fallback" };
                }
            }

            private static Task<string> Primary(ChatRequest request) =>
                request.Model is null ? throw new GuardrailRaisedException("no model") : Task.FromResult(request.Model);
        }
        """);

    [Fact]
    public Task AcceptedTypesAndAnyTypeOfUnknownRuntimeTypeAreClean() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal sealed class UpstreamHttpException : HttpException {
            public UpstreamHttpException() : base("upstream") { } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, Exception? pending) => request.Model switch
            {
                null => throw new UpstreamHttpException(),
                "x" => throw new HttpException("x"),
                _ when pending is not null => throw pending,
                _ => new Reply(),
            };
        }
        """);

    [Fact]
    public Task TheSameThrowOutsideTracedCodeIsClean() => AnalyzerAsync(Corpus.Header + HttpFilter + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new() { Text = request.Model };
        }

        internal static class Startup
        {
            public static void Fail() => throw new GuardrailRaisedException("not traced");
        }
        """);

    [Fact]
    public Task WithoutAHandWrittenFilterNothingIsReported() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => throw new InvalidOperationException("the generated "
                + "failure path accepts every type");
        }
        """);

    [Fact]
    public Task APragmaSuppressesIt() => AnalyzerAsync(Corpus.Header + HttpFilter + """
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
        """);

    // ---- the fix ----

    private const string Filter = """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
        }

        """;

    [Fact]
    public Task FixDerivesTheThrownTypeFromTheAcceptedType() =>
        FixAsync<FailurePathCodeFix>(Corpus.Header + Filter + """
        internal sealed class GuardrailRaisedException : Exception
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => {|TLLM2002:throw new GuardrailRaisedException("blocked")|};
        }
        """, Corpus.Header + Filter + """
        internal sealed class GuardrailRaisedException : HttpException
        {
            public GuardrailRaisedException(string message) : base(message) { }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => throw new GuardrailRaisedException("blocked");
        }
        """);

    [Fact]
    public Task FixKeepsAPrimaryConstructorsBaseArguments() => FixAsync<FailurePathCodeFix>(Corpus.Header + Filter + """
        internal sealed class BlockedException(string guardrail) : Exception($"blocked by {guardrail}")
        {
            public string Guardrail { get; } = guardrail;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) =>
                request.Model is null ? {|TLLM2002:throw new BlockedException("pii")|} : new Reply();
        }
        """, Corpus.Header + Filter + """
        internal sealed class BlockedException(string guardrail) : HttpException($"blocked by {guardrail}")
        {
            public string Guardrail { get; } = guardrail;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) =>
                request.Model is null ? throw new BlockedException("pii") : new Reply();
        }
        """);

    [Fact]
    public Task FixChangesThePartWithTheBaseClassOfAPartialTypeInAnotherFile()
    {
        var test = new TracedLlmTest<FailurePathCodeFix>();
        test.TestState.Sources.Add(Corpus.Header + Filter + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) =>
                    request.Model is null
                        ? {|TLLM2002:throw new BlockedException()|}
                        : {|TLLM2002:throw new BlockedException()|};
            }

            internal sealed partial class BlockedException
            {
                public BlockedException() : base("blocked") { }
            }
            """);
        test.TestState.Sources.Add("namespace Contoso;\n\ninternal sealed partial class BlockedException : "
            + "System.Exception\n{\n}\n");
        test.FixedState.Sources.Add(Corpus.Header + Filter + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) =>
                    request.Model is null
                        ? throw new BlockedException()
                        : throw new BlockedException();
            }

            internal sealed partial class BlockedException
            {
                public BlockedException() : base("blocked") { }
            }
            """);
        test.FixedState.Sources.Add("namespace Contoso;\n\ninternal sealed partial class BlockedException : "
            + "HttpException\n{\n}\n");
        return test.RunAsync();
    }

    [Fact]
    public Task NoFixWhenTheAcceptedTypeHasNoMatchingConstructor()
    {
        const string source = Corpus.Header + Filter + """
            internal sealed class BlockedException : Exception
            {
                public BlockedException() { }
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => {|TLLM2002:throw new BlockedException()|};
            }
            """;
        return FixAsync<FailurePathCodeFix>(source, source);
    }

    [Fact]
    public Task NoFixWhenTheAcceptedTypeDerivesFromTheThrownOne()
    {
        var source = Corpus.Header + """
            internal class GatewayException : Exception { public GatewayException(string message) : base(message) { } }

            internal class UpstreamException : GatewayException {
                public UpstreamException(string message) : base(message) { } }

            internal static class ProxyUtils
            {
                [FailureLoggingPath]
                public static bool IsProxyOnlyError(Exception exception) => exception is UpstreamException;
            }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request) => {|TLLM2002:throw new GatewayException("blocked")|};
            }
            """;
        return FixAsync<FailurePathCodeFix>(source, source);
    }
}

