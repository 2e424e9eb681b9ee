using System.Threading.Tasks;
using TracedLlm.Analyzers.Tests.Matrix;
using static TracedLlm.Analyzers.Tests.Matrix.SwallowedExceptionMatrix;
using Xunit;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// A review's probes of TLLM2004's client-error reading (4550ce2: a catch of exceptions named for the client's state answered
/// with the 4xx that names it). Each test asserts what the rule should do: a catch with markup must be reported (a server
/// failure dropped); a Clean_ test must stay silent (a client's error answered as its state); a _KnownLimit test asserts what
/// the rule does where its page names a known limit. 13 of the 35 failed against 4550ce2; eight were mended, five are the limits.
/// </summary>
public sealed class ClientErrorReviewTests
{
    private static readonly string H2004 = SwallowedExceptionMatrix.Header;

    private static Task Reports(string source) => Verify.AnalyzerAsync(H2004 + source);

    private static Task Silent(string source) => Verify.AnalyzerAsync(H2004 + MatrixCell.WithoutMarkup(source));

    /// <summary>A known limit of the reading (TLLM2004's page, "Known limits"): the catch should be reported and is not; other rules' markup kept.</summary>
    private static Task MissedKnownLimit(string source) => Verify.AnalyzerAsync(H2004 + source.Replace(Catch, "catch", System.StringComparison.Ordinal));

    private const string Upstream = "{|TLLM2006:Http.PostAsync(\"http://127.0.0.1:11434/api/generate\", new StringContent(prompt))|}";

    // ----- Controls: a client's error answered as its state stays silent.
    [Fact] public Task Clean_TypedResultsNotFound() => Silent(Refused("AccountNotFoundException", "return TypedResults.NotFound();"));

    [Fact] public Task Clean_ValidationProblemForArgument() => Silent(Refused("ArgumentException e", "return Results.ValidationProblem(new Dictionary<string, string[]> { [\"name\"] = new[] { e.Message } });"));

    [Fact] public Task Clean_UnprocessableForNotFound() => Silent(Refused("AccountNotFoundException", "return Results.UnprocessableEntity();"));

    [Fact] public Task Clean_ProblemWithStatus404() => Silent(Refused("AccountNotFoundException", "return Results.Problem(\"no such account\", statusCode: 404);"));

    [Fact] public Task Clean_ProblemPositionalStatus() => Silent(Refused("AccountNotFoundException", "return Results.Problem(\"no such account\", null, 404);"));

    [Fact] public Task Clean_DerivedFromNotFoundType() => Silent(Refused("DraftMissingException", "return Results.NotFound();"));

    [Fact] public Task Clean_StatusThenReturn() => Silent(Shown("context.Response.StatusCode = 404; await context.Response.WriteAsync(\"none\"); return;", "await File.WriteAllTextAsync(\"shown.txt\", \"\");"));

    /// <summary>A when filter that narrows a not-found further is still only a not-found.</summary>
    /// <summary>Known limit, on the cautious side: a filter that tests more than the types (here the message) is not read, so the 404 stays reported.</summary>
    [Fact] public Task WhenNotFoundAndMore_ReportedKnownLimit() => Reports(Refused("Exception e) when (e is AccountNotFoundException && e.Message.Length > 0", "return Results.NotFound();"));

    // ----- Handlers that do more than answer.
    [Fact] public Task Handler_FieldWriteBefore404() => Reports(Refused("AccountNotFoundException", "Audit.Misses++; return Results.NotFound();"));

    [Fact] public Task Handler_SourceCallBefore404() => Reports(Refused("AccountNotFoundException", "Audit.Note(name); return Results.NotFound();"));

    [Fact] public Task Handler_IfElseOneSideSilent() => Reports(Refused("AccountNotFoundException", "if (name.Length > 3) { return Results.NotFound(); } else { return Results.Created(\"/accounts/\" + name, name); }"));

    [Fact] public Task Handler_LogArgumentDoesWork() => Reports(Refused("AccountNotFoundException", "Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, \"not found {n}\", Audit.Pick(name) + Audit.Misses++); return Results.NotFound();"));

    // ----- Answers that are not a client error.
    [Fact] public Task Answer_ProblemWithoutStatus() => Reports(Refused("AccountNotFoundException", "return Results.Problem(\"no such account\");"));

    [Fact] public Task Answer_StatusCodeNotConstant() => Reports(Refused("AccountNotFoundException", "return Results.StatusCode(Audit.Pick(name));"));

    [Fact] public Task Answer_IntNotAnHttpAnswer() => Reports(Refused("AccountNotFoundException", "return StatusCodes.Status404NotFound;", answer: "int", done: "201", marker: "{|TLLM2007:catch|}"));

    [Fact] public Task Answer_ConflictTypeAnswered404() => Reports(Refused("NameAlreadyExistsException", "return Results.NotFound();"));

    [Fact] public Task Answer_NotFoundObjectResultWith500() => Reports(Refused("AccountNotFoundException", "return new Microsoft.AspNetCore.Mvc.NotFoundObjectResult(\"none\") { StatusCode = 500 };",
        answer: "Microsoft.AspNetCore.Mvc.IActionResult", done: "new Microsoft.AspNetCore.Mvc.OkResult()"));

    // ----- Caught types and filters.
    [Fact] public Task Type_NamedNotFoundExceptionHandler() => Reports(Refused("NotFoundExceptionHandler", "return Results.NotFound();"));

    [Fact] public Task Filter_NotFoundOrExtra() => Reports(Refused("Exception e) when (e is AccountNotFoundException || e.Message.Length > 0", "return Results.NotFound();"));

    [Fact] public Task Filter_MessageNotConstant() => Reports(Refused("Exception e) when (e.Message.Contains(Words.Missing)", "return Results.NotFound();", members: "internal static class Words { public static readonly string Missing = \"not found\"; }"));

    [Fact] public Task Filter_MessageAndExtra() => Reports(Refused("Exception e) when (e.Message.Contains(\"not found\") && e is QuotaException", "return Results.NotFound();"));

    /// <summary>A bool test whose name says not-found but that also takes a transient store failure.</summary>
    [Fact] public Task Filter_NotFoundOrTransientMethod() => Reports(Refused("StoreException e) when (Probe.IsNotFoundOrTransient(e)", "return Results.NotFound();"));

    /// <summary>A server's own missing file (a constant path, no request data) answered 404.</summary>
    [Fact] public Task Type_ServerFileNotFound_KnownLimit() => MissedKnownLimit(Refused("FileNotFoundException", "return Results.NotFound();", "var template = await File.ReadAllTextAsync(\"prompts/system.txt\");"));

    /// <summary>A server's own setting that does not parse (ArgumentException of Enum.Parse on a static field) answered 400.</summary>
    [Fact] public Task Type_ServerConfigArgument_KnownLimit() => MissedKnownLimit(Refused("ArgumentException", "return Results.BadRequest();", "var mode = Enum.Parse<DayOfWeek>(Settings.Mode);",
        "internal static class Settings { public static string Mode = Environment.GetEnvironmentVariable(\"MODE\") ?? \"\"; }"));

    /// <summary>A message filter naming "does not exist" around a store query: a missing table (a server's schema) answered 404.</summary>
    [Fact] public Task Filter_MessageDoesNotExistServerSchema() => Reports(Refused("Exception e) when (e.Message.Contains(\"does not exist\")", "return Results.NotFound();", "await Db.QueryAsync(\"select * from accounts\");",
        "internal static class Db { public static async Task QueryAsync(string sql) { await Task.Yield(); throw new InvalidOperationException(\"relation \\\"accounts\\\" does not exist\"); } }"));

    // ----- Upstream calls the try makes.
    private const string ModelTypes = """
        internal sealed class ModelNotFoundException : Exception { }
        internal interface IChat { Task<string> CompleteAsync(string prompt); }
        internal sealed class OllamaChat : IChat
        {
            private static readonly HttpClient Http = new();
            public async Task<string> CompleteAsync(string prompt)
            {
                var response = await UPSTREAM;
                if (response.StatusCode == System.Net.HttpStatusCode.NotFound) { throw new ModelNotFoundException(); }
                return await response.Content.ReadAsStringAsync();
            }
        }
        internal static class Chats { public static readonly IChat Default = new OllamaChat(); }
        """;

    /// <summary>A model SDK's not-found (a failed generation) through an interface of source whose implementation posts: a known limit?</summary>
    [Fact] public Task Upstream_ThroughInterface() => Reports(Refused("ModelNotFoundException", "return Results.NotFound();", "await Chats.Default.CompleteAsync(name);", ModelTypes.Replace("UPSTREAM", Upstream)));

    [Fact] public Task Upstream_FiveCallsDeep_KnownLimit() => MissedKnownLimit(Refused("ModelNotFoundException", "return Results.NotFound();", "await Chain.A(name);", ModelTypes.Replace("UPSTREAM", Upstream) + """

        internal static class Chain
        {
            public static Task<string> A(string p) => B(p);
            public static Task<string> B(string p) => C(p);
            public static Task<string> C(string p) => D(p);
            public static Task<string> D(string p) => E(p);
            public static Task<string> E(string p) => new OllamaChat().CompleteAsync(p);
        }
        """));

    [Fact] public Task Upstream_PropertyGetter_KnownLimit() => MissedKnownLimit(Refused("ModelNotFoundException", "return Results.NotFound();", "var t = new Completion(name).Text;", ModelTypes.Replace("UPSTREAM", Upstream) + """

        internal sealed class Completion(string prompt) { public string Text => new OllamaChat().CompleteAsync(prompt).GetAwaiter().GetResult(); }
        """));

    [Fact] public Task Upstream_NestedTry() => Reports(Refused("ModelNotFoundException", "return Results.NotFound();",
        "try { await new OllamaChat().CompleteAsync(name); } catch (HttpRequestException) { throw new ModelNotFoundException(); }", ModelTypes.Replace("UPSTREAM", Upstream)));

    // ----- The response's status written by hand.
    [Fact] public Task Status_SetTwice() => Reports(Shown("context.Response.StatusCode = 404; context.Response.StatusCode = 500; await context.Response.WriteAsync(\"none\");"));

    [Fact] public Task Status_ThenOtherCall() => Reports(Shown("context.Response.StatusCode = 404; Audit.Note(name);"));

    [Fact] public Task Status_ThenSourceExtensionOnResponse() => Reports(Shown("context.Response.StatusCode = 404; await context.Response.SaveAuditAsync(name);",
        members: "internal static class ResponseAudit { public static Task SaveAuditAsync(this HttpResponse response, string name) => File.WriteAllTextAsync(\"audit/\" + name, \"404\"); }"));

    [Fact] public Task Status_ThenAsyncLambdaWork() => Reports(Shown("context.Response.StatusCode = 404; context.Response.OnCompleted(async () => await File.WriteAllTextAsync(\"audit.log\", name));"));

    [Fact] public Task Status_NotAResponse() => Reports(Shown("fake.StatusCode = 404;", members: "internal sealed class Fake { public int StatusCode { get; set; } }").Replace("try {", "var fake = new Fake(); try {").Replace(Catch, "{|TLLM2007:catch|}"));

    [Fact] public Task Status_ThenBreak() => Reports(Route("await Pages.ShowAllAsync(new DefaultHttpContext(), new[] { request.Model! });", $$"""
        internal static class Pages
        {
            public static async Task ShowAllAsync(HttpContext context, string[] names)
            {
                foreach (var name in names)
                {
                    try { await Names.AddAsync(name); }
                    {{Catch}} (AccountNotFoundException) { context.Response.StatusCode = 404; break; }
                }

                await context.Response.WriteAsync("done");
            }
        }
        {{AccountTypes}}
        """));
}
