using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Issue 68, item 1: what a team declares where code cannot show it, the ecosystem's ways: <c>.editorconfig</c> options
/// (<c>dotnet_code_quality.TLLM2006.model_clients</c> ...) and the attributes the package ships
/// (<c>[RecordsFailures]</c>,
/// <c>[FailureHandledByDesign]</c>). Each declaration is asserted both ways: the finding without it, none with it.
/// </summary>
public sealed class DeclaredIntentTests
{
    private static string Upstream(string call, string path) =>
        $"{call} is called upstream outside an attempt scope, so its retries and fallbacks go unseen; make the call "
        + $"inside LlmCall.ExecuteAsync / StreamAsync, or take an LlmAttempt{path}";

    /// <summary>
    /// A typed client posting to the app's backend: no address of a model API, no attempt using its client.
    /// </summary>
    private const string TypedClient = Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, BackendClient backend) =>
                new Reply { Text = await backend.CompleteAsync(request.Model!) };
        }

        internal sealed class BackendClient(HttpClient http)
        {
            public async Task<string> CompleteAsync(string prompt) =>
                await (await {|#0:http.PostAsync("generate", new StringContent(prompt))|}).Content.ReadAsStringAsync();

            public async Task<string> StatusAsync() => await http.GetStringAsync("status");
        }
        """;

    [Fact]
    public Task ASendTheCodeDoesNotShowIsAModelCallIsNotReported() => AnalyzerAsync(MatrixCellText(TypedClient));

    [Theory]
    [InlineData("T:Contoso.BackendClient")]
    [InlineData("BackendClient")]
    [InlineData("M:Contoso.BackendClient.CompleteAsync")]
    [InlineData("N:Contoso")]
    [InlineData("Contoso.Backend*")]
    public Task ADeclaredModelClientsSendsAreModelCalls(string name) =>
        DeclaredAsync(
            TypedClient,
            $"dotnet_code_quality.TLLM2006.model_clients = Other.Client|{name}",
            DiagnosticResult
                .CompilerWarning("TLLM2006")
                .WithLocation(0)
                .WithMessage(
                    Upstream(
                        "HttpClient.PostAsync",
                        " (reached from route 'POST /v1/chat/completions' through Routes.Chat → "
                        + "BackendClient.CompleteAsync)")));

    /// <summary>A route that asks its typed client for an answer through the interface the client implements.</summary>
    private const string AssistantRoute = """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IAssistant assistant) =>
                new Reply { Text = await assistant.SendAsync(request.Model!) };
        }

        internal interface IAssistant
        {
            Task<string> SendAsync(string prompt);
        }

        """ + "\n";

    /// <summary>
    /// A typed client registered by its interface (<c>AddHttpClient&lt;IAssistant, Assistant&gt;()</c>) whose send
    /// the code cannot show is a model call: an extension method posts to an address the class is given.
    /// </summary>
    private const string InterfaceClient = Corpus.Header + AssistantRoute + """
        internal sealed class Assistant(HttpClient http, AssistantOptions options) : IAssistant
        {
            public Task<string> SendAsync(string prompt) => http.PostTextAsync(options.Url, prompt);
        }

        internal sealed class AssistantOptions
        {
            public string Url { get; set; } = "";
        }

        internal static class HttpClientExtensions
        {
            public static async Task<string> PostTextAsync(this HttpClient http, string url, string text)
            {
                using var answer = await {|#0:http.PostAsync(url, new StringContent(text))|};
                return await answer.Content.ReadAsStringAsync();
            }
        }
        """;

    [Theory]
    [InlineData("T:Contoso.Assistant")]
    [InlineData("M:Contoso.Assistant.SendAsync")]
    public Task ADeclaredClassDeclaresTheCallsThroughItsInterface(string name) => DeclaredAsync(
        InterfaceClient,
        $"dotnet_code_quality.TLLM2006.model_clients = {name}",
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(Upstream("HttpClient.PostAsync",
            " (reached from route 'POST /v1/chat/completions' through Routes.Chat → IAssistant.SendAsync → "
            + "Assistant.SendAsync → HttpClientExtensions.PostTextAsync)")));

    [Fact]
    public Task ADeclaredClassSendingItselfThroughItsInterfaceIsReportedOnce() => DeclaredAsync(
        Corpus.Header + AssistantRoute + """
        internal sealed class Assistant(HttpClient http) : IAssistant
        {
            public async Task<string> SendAsync(string prompt)
            {
                using var answer = await {|#0:http.PostAsync("generate", new StringContent(prompt))|};
                return await answer.Content.ReadAsStringAsync();
            }
        }
        """,
        "dotnet_code_quality.TLLM2006.model_clients = T:Contoso.Assistant",
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(Upstream("HttpClient.PostAsync",
            " (reached from route 'POST /v1/chat/completions' through Routes.Chat → IAssistant.SendAsync → "
            + "Assistant.SendAsync)")));

    [Fact]
    public Task AnInterfaceCallIsNoModelCallUndeclared() => AnalyzerAsync(MatrixCellText(InterfaceClient));

    [Fact]
    public Task AnInterfaceCallIsNoModelCallWhenNoClassImplementingItIsDeclared() => DeclaredAsync(
        MatrixCellText(InterfaceClient), "dotnet_code_quality.TLLM2006.model_clients = T:Contoso.AssistantOptions");

    /// <summary>A client derived from <c>HttpClient</c> whose declared post sends through its own override.</summary>
    private const string DerivedClient = Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, ChatClient client) =>
                new Reply { Text = await new Dialog(client).TalkAsync(request.Model!) };
        }

        internal class Dialog(ChatClient client)
        {
            public virtual async Task<string> TalkAsync(string text)
            {
                var answer = await client.PostAsync(
                    "https://chat.example.com/v1/chat", new StringContent(text), "code");
                return await answer.Content.ReadAsStringAsync();
            }
        }

        public class ChatClient : HttpClient
        {
            public override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken token)
            {
                request.Headers.Add("Cookie", "a=1");
                return {|#0:base.SendAsync(request, token)|};
            }

            public new async Task<HttpResponseMessage> PostAsync(string uri, HttpContent content, string code)
            {
                var message = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
                message.Headers.Add("X-Code", code);
                return await SendAsync(message, CancellationToken.None);
            }
        }
        """;

    [Fact]
    public Task ADeclaredMethodOfADerivedClientIsAModelCall() => DeclaredAsync(
        DerivedClient,
        "dotnet_code_quality.TLLM2006.model_clients = M:Contoso.ChatClient.PostAsync",
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(Upstream("HttpClient.SendAsync",
            " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Dialog.TalkAsync → "
            + "ChatClient.PostAsync → ChatClient.SendAsync)")));

    [Fact]
    public Task ADerivedClientsOverrideIsNoModelCallUndeclared() => AnalyzerAsync(MatrixCellText(DerivedClient));

    [Fact]
    public Task ANamedClientIsDeclaredByItsName() => DeclaredAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IHttpClientFactory factory)
            {
                var model = factory.CreateClient("llm");
                using var answer = await {|#0:model.PostAsync("run", new StringContent(request.Model!))|};
                using var hook = await factory.CreateClient("hooks").PostAsync("sent", new StringContent(""));
                return new Reply { Text = await answer.Content.ReadAsStringAsync() };
            }
        }
        """,
        "dotnet_code_quality.TLLM2006.model_http_clients = llm",
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(
            Upstream("HttpClient.PostAsync", string.Empty)));

    [Fact]
    public Task AModelApiOfItsOwnIsDeclaredByItsAddress() => DeclaredAsync(
        Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                var host = "https://llm.internal.contoso.com";
                using var answer = await {|#0:http.PostAsync($"{host}/run", new StringContent(request.Model!))|};
                using var hook = await http.PostAsync("https://hooks.contoso.com/run", new StringContent(""));
                return new Reply { Text = await answer.Content.ReadAsStringAsync() };
            }
        }
        """,
        "dotnet_code_quality.TLLM2006.model_urls = LLM.internal",
        DiagnosticResult.CompilerWarning("TLLM2006").WithLocation(0).WithMessage(
            Upstream("HttpClient.PostAsync", string.Empty)));

    /// <summary>
    /// What the removed form and content readings decided (a token exchange's form names no model input, so its POST is
    /// no model call) is the address's now: the same form POST is a model call only where its address is a model API's
    /// (known, or declared by <c>model_urls</c>, above).
    /// </summary>
    [Theory]
    [InlineData("http://auth.contoso.com/connect/token", false)]
    [InlineData("http://upstream/v1/completions", true)]
    public Task AFormPostIsAModelCallOnlyWhereItsAddressIsAModelApis(string url, bool model)
    {
        var send = $"http.PostAsync(\"{url}\", new FormUrlEncodedContent(new Dictionary<string, "
            + $"string> {{ [\"prompt\"] = request.Model ?? \"\" }}))";
        var source = Corpus.Header + $$"""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
                {
                    using var answer = await {{(model ? "{|#0:" + send + "|}" : send)}};
                    return new Reply { Text = await answer.Content.ReadAsStringAsync() };
                }
            }
            """;
        return model
            ? AnalyzerAsync(
                source,
                DiagnosticResult
                    .CompilerWarning("TLLM2006")
                    .WithLocation(0)
                    .WithMessage(Upstream("HttpClient.PostAsync", string.Empty)))
            : AnalyzerAsync(source);
    }

    /// <summary>A route that answers 404 by hand from a catch of a "not found" exception type.</summary>
    private const string NotFound = Corpus.Header + """
        internal sealed class ProfileNotFoundException(string id) : Exception(id);

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                try { return Results.Ok(await Profiles.ReadAsync(request.Model!)); }
                {|#0:catch|} (ProfileNotFoundException) { return Results.NotFound(); }
            }
        }

        internal static class Profiles
        {
            public static async Task<string> ReadAsync(string id) =>
                await System.IO.File.ReadAllTextAsync(id) is { Length: > 0 } text ? text
                    : throw new ProfileNotFoundException(id);
        }
        """;

    /// <summary>A client's own mistake answered 4xx by design is no error answer for TLLM2004: without a declaration it
    /// is TLLM2007's.</summary>
    [Fact]
    public Task AClientErrorAnsweredByHandInTheRoutesOwnCatchIsTLLM2007() => AnalyzerAsync(NotFound,
        DiagnosticResult.CompilerWarning("TLLM2007").WithLocation(0)
            .WithMessage(SwallowedExceptionTests.HandledMessage("Contoso.ProfileNotFoundException")));

    [Fact]
    public Task AServerErrorAnsweredByHandInTheRoutesOwnCatchIsReported() => AnalyzerAsync(
        NotFound.Replace("Results.NotFound()", "Results.StatusCode(503)"),
        new DiagnosticResult("TLLM2004", DiagnosticSeverity.Info).WithLocation(0)
            .WithMessage(SwallowedExceptionTests.Message("Contoso.ProfileNotFoundException")));

    [Theory]
    [InlineData("ProfileNotFoundException")]
    [InlineData("T:Contoso.ProfileNotFoundException")]
    [InlineData("System.Exception")]
    public Task ADesignedExceptionTypeIsNoSwallow(string name) =>
        DeclaredAsync(MatrixCellText(NotFound), $"dotnet_code_quality.TLLM2004.designed_exceptions = {name}");

    /// <summary>
    /// Delivery adapters that keep a failed delivery as its record, and a catch that hands the failure to an outbox.
    /// </summary>
    private static string Adapters(string adapter, string outbox) => Corpus.Header + $$"""
        internal sealed record Delivery(bool Sent, string? Error);

        {{adapter}}
        internal interface IChannelAdapter { Task<Delivery> SendAsync(string text); }

        internal sealed class SlackAdapter(HttpClient http) : IChannelAdapter
        {
            public async Task<Delivery> SendAsync(string text)
            {
                try { using var sent = await http.PostAsync("https://hooks.slack.com/x", new StringContent(text));
                    return new Delivery(true, null); }
                {|#0:catch|} (HttpRequestException e) { return new Delivery(false, e.Message); }
            }
        }

        internal static class Outbox
        {
            {{outbox}}
            public static void Failed(Exception failure) { }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, IChannelAdapter channel)
            {
                var delivery = await channel.SendAsync(request.Model!);
                try { await System.IO.File.AppendAllTextAsync("audit.log", request.Model); }
                {|#1:catch|} (System.IO.IOException e) { Outbox.Failed(e); }
                return new Reply { Text = delivery.Error };
            }
        }
        """;

    [Fact]
    public Task CatchesThatKeepNoRecordAreTLLM2007() => AnalyzerAsync(Adapters(string.Empty, string.Empty),
        DiagnosticResult.CompilerWarning("TLLM2007").WithLocation(0),
        DiagnosticResult.CompilerWarning("TLLM2007").WithLocation(1));

    [Fact]
    public Task RecordsFailuresOnAnInterfaceAndOnAMethodKeepsTheRecord() =>
        AnalyzerAsync(MatrixCellText(Adapters("[RecordsFailures]", "[RecordsFailures]")));

    [Fact]
    public Task FailureRecordsOptionNamesTypesAndMethods() =>
        DeclaredAsync(
            MatrixCellText(Adapters(string.Empty, string.Empty)),
            "dotnet_code_quality.TLLM2004.failure_records = T:Contoso.IChannelAdapter|M:Contoso.Outbox.Failed");

    /// <summary>
    /// A helper that answers the request with an error by hand from its catch, reached through calls; the route keeps
    /// its value before answering (a route that returns it as it is hands the helper its answer: TLLM2004's).
    /// </summary>
    private const string Helper = Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                var answer = await Answers.ReadAsync(request.Model!);
                return answer;
            }
        }

        internal static class Answers
        {
            public static async Task<IResult> ReadAsync(string path)
            {
                try { return Results.Text(await System.IO.File.ReadAllTextAsync(path)); }
                {|#0:catch|} (System.IO.IOException) { return Results.Problem("store down", statusCode: 503); }
            }
        }
        """;

    private const string HelperPath =
        " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Answers.ReadAsync)";

    [Fact]
    public Task ACatchReachedThroughCallsIsTLLM2007WithItsPath() =>
        AnalyzerAsync(
            Helper,
            DiagnosticResult
                .CompilerWarning("TLLM2007")
                .WithLocation(0)
                .WithMessage(SwallowedExceptionTests.HandledMessage("System.IO.IOException") + HelperPath));

    [Fact]
    public Task ReportThroughCallsAsksTLLM2004ForIt() =>
        DeclaredAsync(
            Helper,
            "dotnet_code_quality.TLLM2004.report_through_calls = true",
            new DiagnosticResult("TLLM2004", DiagnosticSeverity.Info)
                .WithLocation(0)
                .WithMessage(SwallowedExceptionTests.Message("System.IO.IOException") + HelperPath));

    [Fact]
    public Task FailureHandledByDesignSilencesTheMethodsCatches() =>
        AnalyzerAsync(
            MatrixCellText(NotFound)
                .Replace(
                    "public static async Task<IResult> Chat",
                    "[FailureHandledByDesign(\"a profile that is not there answers 404\")]\n    public static async "
                    + "Task<IResult> Chat",
                    System.StringComparison.Ordinal));

    [Fact]
    public Task TheCodeFixDeclaresItOncePerMethodWithFixAll() => FixAsync<SwallowedExceptionCodeFix>(
        Corpus.Header + """
        internal static class Routes
        {
            /// <summary>The chat route.</summary>
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                try { await System.IO.File.AppendAllTextAsync("a.log", request.Model); }
                {|TLLM2004:catch|} (System.IO.IOException) { return Results.StatusCode(503); }

                try { return Results.Text(await System.IO.File.ReadAllTextAsync(request.Model!)); }
                {|TLLM2004:catch|} (UnauthorizedAccessException) { return Results.StatusCode(500); }
            }
        }
        """,
        Corpus.Header + """
        internal static class Routes
        {
            /// <summary>The chat route.</summary>
            [FailureHandledByDesign("TODO: say why this failure needs no record")]
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<IResult> Chat(ChatRequest request)
            {
                try { await System.IO.File.AppendAllTextAsync("a.log", request.Model); }
                catch (System.IO.IOException) { return Results.StatusCode(503); }

                try { return Results.Text(await System.IO.File.ReadAllTextAsync(request.Model!)); }
                catch (UnauthorizedAccessException) { return Results.StatusCode(500); }
            }
        }
        """,
        SwallowedExceptionCodeFix.DeclareKey);

    private static string MatrixCellText(string source) => Matrix.MatrixCell.WithoutMarkup(source);
}
