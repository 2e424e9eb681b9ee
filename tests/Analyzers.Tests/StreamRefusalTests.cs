using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.CodeFixes;
using TracedLlm.Testing;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// TLLM2009: a JSON-only traced route whose body is untyped or reads "stream" refuses "stream": true,
/// an answer its app did not give; the diagnostic sits on the attribute, names the route and why, and
/// its fix adds IgnoreStream = true. A typed body that never read the flag is answered with JSON and not reported.
/// </summary>
public sealed class StreamRefusalTests
{
    private const string Types = """
        internal sealed class FlagRequest { public string? Model { get; set; } public bool Stream { get; set; } }

        internal sealed class RenamedFlagRequest
        {
            [System.Text.Json.Serialization.JsonPropertyName("stream")]
            public bool? WantsEvents { get; set; }
        }

        internal sealed class ExtensionRequest
        {
            public string? Model { get; set; }

            [System.Text.Json.Serialization.JsonExtensionData]
            public Dictionary<string, JsonElement>? Rest { get; set; }
        }

        internal sealed class IgnoredFlagRequest
        {
            public string? Model { get; set; }

            [System.Text.Json.Serialization.JsonIgnore]
            public bool Stream { get; set; }
        }

        """;

    private static string Message(string route, string reads) =>
        $"Route '{route}' answers a body that says \"stream\": true with 400, which the app did not before adoption: "
        + $"its handler answers JSON only, and {reads}; "
        + "set IgnoreStream = true to answer such a body with the handler's JSON";

    [Fact]
    public Task ABodyThatReadsTheFlagOrIsUntypedIsReportedAtTheAttribute() => VerifyAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Task<Reply> Chat(FlagRequest request) => Task.FromResult(new Reply());

            [{|#1:TracedLlmRoute("POST", "/v1/completions")|}]
            public static Reply Completions(RenamedFlagRequest request) => new();

            [{|#2:TracedLlmRoute("POST", "/v1/embeddings")|}]
            public static Reply Embeddings(ExtensionRequest request) => new();

            [{|#3:TracedLlmRoute("POST", "/v1/responses")|}]
            public static ValueTask<JsonElement> Responses(JsonElement body) => ValueTask.FromResult(body);
        }
        """,
        new[]
        {
            Expected(0, Message("POST /v1/chat/completions", Reads("FlagRequest", "Stream"))),
            Expected(1, Message("POST /v1/completions", Reads("RenamedFlagRequest", "WantsEvents"))),
            Expected(2, Message("POST /v1/embeddings", Reads("ExtensionRequest", "Rest"))),
            Expected(3, Message(
                "POST /v1/responses",
                "its body is untyped ('System.Text.Json.JsonElement'), "
                + "so the flag goes upstream as the client sent it")),
        });

    [Fact]
    public Task RoutesThatStreamIgnoreTheFlagOrNeverReadItAreClean() => VerifyAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            // A typed body with no 'stream' member: answered with JSON by default, as the app did.
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) => new();

            [TracedLlmRoute("POST", "/v1/completions")]
            public static Reply Ignored(IgnoredFlagRequest request) => new();

            [TracedLlmRoute("POST", "/v1/messages", IgnoreStream = true)]
            public static Reply Messages(FlagRequest request) => new();

            [TracedLlmRoute("POST", "/v1/responses")]
            public static IResult Responses(FlagRequest request) => Results.Ok();

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static Task<LlmResult<Reply, Reply>> Both(FlagRequest request) =>
                Task.FromResult<LlmResult<Reply, Reply>>(new Reply());

            // A streaming handler beside the JSON one serves the flag.
            [TracedLlmRoute("POST", "/v1/rerank")]
            public static Reply Rerank(FlagRequest request) => new();

            [TracedLlmRoute("POST", "/v1/rerank")]
            public static async IAsyncEnumerable<Reply> RerankStream(FlagRequest request)
            {
                await Task.Yield();
                yield return new Reply();
            }
        }
        """, Array.Empty<DiagnosticResult>());

    [Fact]
    public Task AnMvcActionIsNamedByItsRouteAndTheFixAddsIgnoreStream() =>
        VerifyAsync(
            Controller("{|#0:TracedLlmRoute(ErrorResponses = LlmErrorResponses.ProblemDetails)|}"),
            new[] { Expected(0, Message("POST /api/chat/completions", Reads("ActionRequest", "Stream"))) },
            fixedCode: Controller(
                "TracedLlmRoute(ErrorResponses = LlmErrorResponses.ProblemDetails, IgnoreStream = true)"));

    /// <summary>
    /// An [ApiController] whose typed action reads "stream", its [TracedLlmRoute] as <paramref name="attribute"/>.
    /// </summary>
    private static string Controller(string attribute) => Corpus.Header + Types + """
        public sealed class ActionRequest { public string? Model { get; set; } public bool Stream { get; set; } }

        public sealed class ActionReply { public string? Text { get; set; } }

        [Microsoft.AspNetCore.Mvc.ApiController]
        [Microsoft.AspNetCore.Mvc.Route("api/chat")]
        public sealed class ChatController : Microsoft.AspNetCore.Mvc.ControllerBase
        {
            [Microsoft.AspNetCore.Mvc.HttpPost("completions")]
            [ATTRIBUTE]
            public Task<Microsoft.AspNetCore.Mvc.ActionResult<ActionReply>> Create(ActionRequest request) =>
                Task.FromResult<Microsoft.AspNetCore.Mvc.ActionResult<ActionReply>>(new ActionReply());
        }
        """.Replace("ATTRIBUTE", attribute, StringComparison.Ordinal);

    private static string Reads(string type, string member) =>
        $"its request type 'Contoso.{type}' reads it ('{member}')";

    private static DiagnosticResult Expected(int location, string message) =>
        new DiagnosticResult(DiagnosticIds.StreamRefused, DiagnosticSeverity.Warning)
            .WithLocation(location)
            .WithMessage(message);

    private static Task VerifyAsync(string source, DiagnosticResult[] expected, string? fixedCode = null)
    {
        // Without fixed code only the diagnostics are verified.
        var test = new StreamRefusalTest { TestCode = source };
        if (fixedCode is not null)
        {
            test.FixedCode = fixedCode;
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private sealed class StreamRefusalTest
        : CSharpCodeFixTest<StreamRefusalAnalyzer, StreamRefusalCodeFix, DefaultVerifier>
    {
        public StreamRefusalTest()
        {
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);
        }

        protected override CompilationOptions CreateCompilationOptions() =>
            ((CSharpCompilationOptions)base.CreateCompilationOptions())
                .WithNullableContextOptions(NullableContextOptions.Enable);

        protected override ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Latest);
    }
}
