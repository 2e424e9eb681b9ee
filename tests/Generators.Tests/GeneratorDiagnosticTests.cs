using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using TracedLlm.Testing;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// Each "cannot generate" diagnostic: its ID, where it points, and what it says, on Microsoft.CodeAnalysis.Testing.
/// </summary>
public sealed class GeneratorDiagnosticTests
{
    private const string Header = """
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using Microsoft.AspNetCore.Mvc;
        using TracedLlm;

        namespace Contoso;

        internal sealed class Body { public string? Model { get; set; } }

        """;

    private sealed class Test : CSharpSourceGeneratorTest<TracedLlmRouteGenerator, DefaultVerifier>
    {
        public Test(string body)
        {
            TestCode = Header + body;
            ReferenceAssemblies = TestReferences.None;
            TestState.AdditionalReferences.AddRange(TestReferences.All);

            // The generated sources are checked by the snapshot tests; here only the diagnostics.
            TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        }

        protected override ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Latest);
    }

    private static Task VerifyAsync(string body, params DiagnosticResult[] expected)
    {
        var test = new Test(body);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private static DiagnosticResult Error(string id, int location, string message) =>
        new DiagnosticResult(id, DiagnosticSeverity.Error).WithLocation(location).WithMessage(message);

    [Fact]
    public Task InstanceHandlerIsTLLM1001() => VerifyAsync("""
        internal sealed class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public Task<Body> {|#0:Chat|}(Body body) => Task.FromResult(body);
        }
        """, Error("TLLM1001", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "the handler must be static (take services as parameters)"));

    [Fact]
    public Task TwoBodiesAreTLLM1001() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Chat([Microsoft.AspNetCore.Mvc.FromBody] Body first,
                [Microsoft.AspNetCore.Mvc.FromBody] Body {|#0:second|}) => first;
        }
        """, Error("TLLM1001", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "parameter 'second' is a second request body; a handler takes at most one"));

    [Fact]
    public Task VoidAndTaskReturnsAreTLLM1002() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/a")]
            public static void {|#0:A|}(Body body) { }

            [TracedLlmRoute("POST", "/b")]
            public static Task {|#1:B|}(Body body) => Task.CompletedTask;

            [TracedLlmRoute("POST", "/c")]
            public static ValueTask {|#2:C|}(Body body) => default;
        }
        """,
        Error("TLLM1002", 0, "Cannot generate the traced route for 'Contoso.Routes.A': "
            + "return type 'void' is not supported; return T, Task<T>, ValueTask<T>, IResult, LlmResult<TResponse, "
            + "TChunk> (both stream modes) or IAsyncEnumerable<T>"),
        Error("TLLM1002", 1, "Cannot generate the traced route for 'Contoso.Routes.B': "
            + "return type 'System.Threading.Tasks.Task' is not supported; return T, Task<T>, ValueTask<T>, IResult, "
            + "LlmResult<TResponse, TChunk> (both stream modes) or IAsyncEnumerable<T>"),
        Error("TLLM1002", 2, "Cannot generate the traced route for 'Contoso.Routes.C': "
            + "return type 'System.Threading.Tasks.ValueTask' is not supported; return T, Task<T>, ValueTask<T>, "
            + "IResult, LlmResult<TResponse, TChunk> (both stream modes) or IAsyncEnumerable<T>"));

    [Fact]
    public Task AStreamingHandlerAloneOrBesideARegularOneGenerates() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Chat(Body body) => body;

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async System.Collections.Generic.IAsyncEnumerable<Body> ChatStream(Body body)
            {
                await Task.Yield();
                yield return body;
            }

            [TracedLlmRoute("POST", "/v1/responses")]
            public static async System.Collections.Generic.IAsyncEnumerable<string> Responses(Body body)
            {
                await Task.Yield();
                yield return body.Model ?? string.Empty;
            }
        }
        """);

    [Fact]
    public Task AStreamOfLlmResultsIsTLLM1002() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async System.Collections.Generic.IAsyncEnumerable<LlmResult<Body, Body>> {|#0:Chat|}(
                Body body)
            {
                await Task.Yield();
                yield return body;
            }
        }
        """, Error("TLLM1002", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "return type 'System.Collections.Generic.IAsyncEnumerable<TracedLlm.LlmResult<Contoso.Body, "
            + "Contoso.Body>>' is not supported; return T, Task<T>, ValueTask<T>, IResult, LlmResult<TResponse, "
            + "TChunk> (both stream modes) or IAsyncEnumerable<T>"));

    [Fact]
    public Task AHandlerServingBothModesBesideAStreamingHandlerIsTLLM1003OnBoth() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static LlmResult<Body, Body> {|#0:Chat|}(Body body, LlmCall call) =>
                call.IsStreaming ? LlmResult.Stream(ChatStream(body)) : body;

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async System.Collections.Generic.IAsyncEnumerable<Body> {|#1:ChatStream|}(Body body)
            {
                await Task.Yield();
                yield return body;
            }
        }
        """,
        Error("TLLM1003", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.ChatStream'"),
        Error("TLLM1003", 1, "Cannot generate the traced route for 'Contoso.Routes.ChatStream': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.Chat'"));

    [Fact]
    public Task DuplicateMethodAndPathIsTLLM1003OnEveryHandler() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body {|#0:First|}(Body body) => body;

            [TracedLlmRoute("post", "/v1/chat/completions")]
            public static Body {|#1:Second|}(Body body) => body;
        }

        internal static class AdminRoutes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body {|#2:Added|}(Body body) => body;
        }
        """,
        Error("TLLM1003", 0, "Cannot generate the traced route for 'Contoso.Routes.First': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.Second', 'Contoso.AdminRoutes.Added'"),
        Error("TLLM1003", 1, "Cannot generate the traced route for 'Contoso.Routes.Second': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.First', 'Contoso.AdminRoutes.Added'"),
        Error("TLLM1003", 2, "Cannot generate the traced route for 'Contoso.AdminRoutes.Added': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.First', 'Contoso.Routes.Second'"));

    [Fact]
    public Task PrivateHandlerOrTypeIsTLLM1004() => VerifyAsync("""
        internal static class Outer
        {
            private static class Routes
            {
                [TracedLlmRoute("POST", "/a")]
                public static Body {|#0:A|}(Body body) => body;
            }

            [TracedLlmRoute("POST", "/b")]
            private static Body {|#1:B|}(Body body) => body;
        }
        """,
        Error("TLLM1004", 0, "Cannot generate the traced route for 'Contoso.Outer.Routes.A': "
            + "the handler and its containing types must be public or internal, but Routes is private"),
        Error("TLLM1004", 1, "Cannot generate the traced route for 'Contoso.Outer.B': "
            + "the handler and its containing types must be public or internal, but B is private"));

    [Fact]
    public Task AFileLocalHandlerTypeIsTLLM1004() => VerifyAsync("""
        file static class Routes
        {
            [TracedLlmRoute("POST", "/a")]
            public static Body {|#0:A|}(Body body) => body;
        }

        file static class Outer
        {
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/b")]
                public static Body {|#1:B|}(Body body) => body;
            }
        }
        """,
        Error("TLLM1004", 0, "Cannot generate the traced route for 'Contoso.Routes.A': "
            + "the handler and its containing types must be public or internal, but Routes is file-local"),
        Error("TLLM1004", 1, "Cannot generate the traced route for 'Contoso.Outer.Routes.B': "
            + "the handler and its containing types must be public or internal, but Outer is file-local"));

    [Fact]
    public Task ALambdaOrLocalFunctionMarkedAsARouteIsTLLM1001() => VerifyAsync("""
        internal static class Startup
        {
            public static void Map()
            {
                System.Func<Body, Body> chat =
                    [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}] static (Body body) => body;

                [{|#1:TracedLlmRoute("POST", "/v1/messages")|}]
                static Body Messages(Body body) => body;

                _ = chat(Messages(new Body()));
            }
        }
        """,
        Error("TLLM1001", 0, "Cannot generate the traced route for 'Contoso.Startup.Map': "
            + "[TracedLlmRoute] is on a lambda, which generated code cannot call; "
            + "make the handler a static method of a class (MapTracedLlmRoutes() maps it)"),
        Error("TLLM1001", 1, "Cannot generate the traced route for 'Contoso.Startup.Map': "
            + "[TracedLlmRoute] is on the local function 'Messages', which generated code cannot call; "
            + "make the handler a static method of a class (MapTracedLlmRoutes() maps it)"));

    [Fact]
    public Task AKeyTheGeneratedCodeCannotNameIsTLLM1010() => VerifyAsync("""
        internal interface IUpstream { }

        internal static class Routes
        {
            private enum Provider { OpenAI, Anthropic }

            private sealed class Fast { }

            [TracedLlmRoute("POST", "/a")]
            public static Body A(Body body,
                [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Provider.Anthropic)]
                IUpstream {|#0:upstream|}) => body;

            [TracedLlmRoute("POST", "/b")]
            public static Body B(Body body,
                [Microsoft.Extensions.DependencyInjection.FromKeyedServices(typeof(Fast))] IUpstream {|#1:upstream|}) =>
                body;
        }
        """,
        Error("TLLM1010", 0, "Cannot generate the traced route for 'Contoso.Routes.A': "
            + "parameter `upstream` is keyed by a value of Contoso.Routes.Provider, which is private or protected: "
            + "the generated pipeline cannot name the key; make Provider internal"),
        Error("TLLM1010", 1, "Cannot generate the traced route for 'Contoso.Routes.B': "
            + "parameter `upstream` is keyed by a value of Contoso.Routes.Fast, which is private or protected: "
            + "the generated pipeline cannot name the key; make Fast internal"));

    [Fact]
    public Task AStaticVirtualInterfaceMemberIsTLLM1001() => VerifyAsync("""
        internal interface IRoutes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            static virtual Body {|#0:Chat|}(Body body) => body;
        }
        """, Error("TLLM1001", 0, "Cannot generate the traced route for 'Contoso.IRoutes.Chat': "
            + "a static virtual or abstract interface member can be called only through a type parameter; "
            + "make the handler a static method of a class"));

    [Theory]
    [InlineData("\"POST\", \"v1/chat\"", "route template 'v1/chat' must start with '/'")]
    [InlineData("\"POST\", \"/v1//chat\"", "route template '/v1//chat' has an empty segment")]
    [InlineData("\"POST\", \"/v1/{id\"", "route template '/v1/{id' has '{' without '}'")]
    [InlineData("\"POST\", \"/v1/chat?x=1\"", "route template '/v1/chat?x=1' contains the character '?' that a URL "
        + "path cannot carry")]
    [InlineData("\"FETCH\", \"/v1/chat\"", "HTTP method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE")]
    public Task InvalidMethodOrTemplateIsTLLM1005(string arguments, string reason) => VerifyAsync($$"""
        internal static class Routes
        {
            [TracedLlmRoute({{arguments}})]
            public static Body {|#0:Chat|}(Body body) => body;
        }
        """, Error("TLLM1005", 0, $"Cannot generate the traced route for 'Contoso.Routes.Chat': {reason}"));

    [Fact]
    public Task EveryProblemOfAMethodAndTemplateIsReported() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("FETCH", "v1//chat/{id?x#")]
            public static Body {|#0:Chat|}(Body body) => body;
        }
        """,
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "HTTP method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE"),
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "route template 'v1//chat/{id?x#' must start with '/'"),
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "route template 'v1//chat/{id?x#' has an empty segment"),
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "route template 'v1//chat/{id?x#' has '{' without '}'"),
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "route template 'v1//chat/{id?x#' contains the character '?' that a URL path cannot carry"),
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "route template 'v1//chat/{id?x#' contains the character '#' that a URL path cannot carry"));

    [Theory]
    [InlineData("meta data")]
    [InlineData("1metadata")]
    public Task InvalidSlotIsTLLM1006(string slot) => VerifyAsync($$"""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat", MetadataSlot = "{{slot}}")]
            public static Body {|#0:Chat|}(Body body) => body;
        }
        """, Error("TLLM1006", 0, $"Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + $"metadata slot '{slot}' is not a valid JSON property name for a slot; use letters, digits and '_' (e.g. "
            + $"\"metadata\" or \"litellm_metadata\")"));

    [Fact]
    public Task AValueThatIsNoRouteValueIsTLLM1007() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/openai/deployments/{deployment}/chat/completions")]
            public static Body Chat(string {|#0:deploymentName|}, Body body) => body;

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Plain(Body body, int {|#1:n|}) => body;

            [TracedLlmRoute("POST", "/v1/responses")]
            public static Body Tags(Body body, string[] {|#2:tags|}) => body;
        }
        """,
        Error("TLLM1007", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "parameter `deploymentName` (string) binds to nothing: "
            + "it is not a route value of '/openai/deployments/{deployment}/chat/completions' (its route values: "
            + "{deployment}); rename it `deployment` or mark it [FromRoute(Name = \"deployment\")], "
            + "or mark it [FromQuery] or [FromHeader] for a query or header value (a value in the JSON body belongs in "
            + "the body's type)"),
        Error("TLLM1007", 1, "Cannot generate the traced route for 'Contoso.Routes.Plain': parameter `n` (int) "
            + "binds to nothing: it is not a route value of '/v1/chat/completions' (it has none); "
            + "mark it [FromQuery] or [FromHeader] for a query or header value (a value in the JSON body belongs in "
            + "the body's type)"),
        Error("TLLM1007", 2, "Cannot generate the traced route for 'Contoso.Routes.Tags': parameter `tags` (string[]) "
            + "binds to nothing: only a query parameter or a header has many values; "
            + "mark it [FromQuery] or [FromHeader]"));

    [Fact]
    public Task ATypeItsSourceCannotFillIsTLLM1008() => VerifyAsync("""
        internal sealed class Deployment { public string? Name { get; set; } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
            public static Body Chat(Deployment {|#0:deploymentName|}, Body body) => body;

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Query(Body body, [FromQuery] Deployment {|#1:deployment|}) => body;

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Body Text([FromBody] string {|#2:prompt|}) => new();

            [TracedLlmRoute("POST", "/v1/models/{model}")]
            public static Body Many([FromRoute] string[] {|#3:model|}, Body body) => body;
        }
        """,
        Error("TLLM1008", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "parameter `deploymentName` matches the route value `{deploymentName}`, "
            + "but Contoso.Deployment cannot be read from text; take it as a string (or give Contoso.Deployment a "
            + "static TryParse(string, out Contoso.Deployment)), or rename the parameter if it is not the route value"),
        Error("TLLM1008", 1, "Cannot generate the traced route for 'Contoso.Routes.Query': "
            + "parameter `deployment` is marked [FromQuery], but Contoso.Deployment cannot be read from text; "
            + "take a string, a number, an enum or a type with a static TryParse(string, out T), "
            + "or string[] or StringValues for every value"),
        Error("TLLM1008", 2, "Cannot generate the traced route for 'Contoso.Routes.Text': "
            + "parameter `prompt` is marked [FromBody], but a traced route's body is a JSON object, "
            + "which string cannot hold; take a class, struct or record (or JsonElement)"),
        Error("TLLM1008", 3, "Cannot generate the traced route for 'Contoso.Routes.Many': parameter `model` (string[]) "
            + "takes many values, but the route value `{model}` is one; take a string"));

    [Fact]
    public Task AParameterTypedWithDynamicIsTLLM1008() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Chat([FromBody] dynamic {|#0:request|}) => new();

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Body Messages(System.Collections.Generic.List<dynamic> {|#1:messages|}) => new();
        }
        """,
        Error("TLLM1008", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "parameter `request` is typed with dynamic (dynamic), which generated code cannot name; "
            + "take JsonElement or JsonNode (or a class, struct or record) for a body, "
            + "the service's own type for a service"),
        Error("TLLM1008", 1, "Cannot generate the traced route for 'Contoso.Routes.Messages': "
            + "parameter `messages` is typed with dynamic (System.Collections.Generic.List<dynamic>), "
            + "which generated code cannot name; take JsonElement or JsonNode (or a class, struct or record) "
            + "for a body, the service's own type for a service"));

    [Fact]
    public Task AnAbstractBodyLikeJsonNodeBindsButAnArrayIsNoBody() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body Node([FromBody] System.Text.Json.Nodes.JsonNode request) => new();

            [TracedLlmRoute("POST", "/v1/responses")]
            public static Body Untyped(System.Text.Json.Nodes.JsonNode request, LlmCall call) => new();

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static Body Ids(Body body, int[] {|#0:ids|}) => body;
        }
        """, Error("TLLM1007", 0, "Cannot generate the traced route for 'Contoso.Routes.Ids': parameter `ids` (int[]) "
            + "binds to nothing: it is no route value, and a traced route's body is a JSON object, "
            + "which int[] cannot hold; mark it [FromQuery], [FromHeader] or [FromServices], "
            + "or make it a property of the body's type"));

    [Fact]
    public Task FromRouteNamingNoRouteValueIsTLLM1009() => VerifyAsync("""
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/openai/deployments/{deploymentId}/chat/completions")]
            public static Body Chat([FromRoute(Name = "deployment")] string {|#0:name|}, Body body) => body;
        }
        """, Error("TLLM1009", 0, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "parameter `name` is marked [FromRoute], but '/openai/deployments/{deploymentId}/chat/completions' has "
            + "no route value `{deployment}` (its route values: {deploymentId}); name one of them (e.g. "
            + "[FromRoute(Name = \"deploymentId\")])"));

    [Fact]
    public Task ConflictingOrUnsupportedAttributesAreTLLM1010() => VerifyAsync("""
        internal sealed class Form { public string? Name { get; set; } }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/a")]
            public static Body A([FromQuery, FromHeader] string {|#0:version|}, Body body) => body;

            [TracedLlmRoute("POST", "/b")]
            public static Body B([FromForm] Form {|#1:form|}) => new();

            [TracedLlmRoute("POST", "/c")]
            public static Body C([FromServices] HttpContext {|#2:context|}, Body body) => body;

            [TracedLlmRoute("POST", "/d")]
            public static Body D([AsParameters] Form {|#3:form|}) => new();
        }
        """,
        Error("TLLM1010", 0, "Cannot generate the traced route for 'Contoso.Routes.A': "
            + "parameter `version` is marked both [FromQuery] and [FromHeader]; keep the one it comes from"),
        Error("TLLM1010", 1, "Cannot generate the traced route for 'Contoso.Routes.B': "
            + "parameter `form` is marked [FromForm], but a traced route reads a JSON body; "
            + "take the body as a class or record, or the value with [FromQuery] or [FromHeader]"),
        Error("TLLM1010", 2, "Cannot generate the traced route for 'Contoso.Routes.C': "
            + "parameter `context` (Microsoft.AspNetCore.Http.HttpContext) is bound by its type; "
            + "remove [FromServices]"),
        Error("TLLM1010", 3, "Cannot generate the traced route for 'Contoso.Routes.D': "
            + "parameter `form` is marked [AsParameters], which traced routes do not take; "
            + "take its members as parameters of their own"));

    [Fact]
    public Task RouteValuesBindByNameAndTwoHandlersMayTakeDifferentValues() => VerifyAsync("""
        internal static class Routes
        {
            // The route value in one handler only, in another case: no diagnostic (the body is the same).
            [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
            public static Body Chat(string DeploymentName, Body body) => body;

            [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
            public static async System.Collections.Generic.IAsyncEnumerable<Body> ChatStream(Body body,
                [FromQuery(Name = "api-version")] string? apiVersion)
            {
                await Task.Yield();
                yield return body;
            }
        }
        """);

    [Fact]
    public Task ControllerActionsThatMvcCannotRouteAsOneTracedRouteAreRefused() => VerifyAsync("""
        [ApiController]
        [Route("v1/chat")]
        internal sealed class ChatController : ControllerBase
        {
            [HttpPost("a")]
            [TracedLlmRoute("POST", "/v1/chat/a")]
            public Body {|#0:WithArguments|}(Body body) => body;

            [Route("b")]
            [TracedLlmRoute]
            public Body {|#1:NoMethod|}(Body body) => body;

            [AcceptVerbs("POST", "PUT", Route = "c")]
            [TracedLlmRoute]
            public Body {|#2:TwoMethods|}(Body body) => body;

            [HttpPost("d")]
            [TracedLlmRoute]
            internal Body {|#3:NotPublic|}(Body body) => body;

            [HttpPost("e")]
            [NonAction]
            [TracedLlmRoute]
            public Body {|#4:NotAnAction|}(Body body) => body;

            [HttpPost("f")]
            [TracedLlmRoute]
            public async System.Collections.Generic.IAsyncEnumerable<Body> {|#5:Chunks|}(Body body)
            {
                await Task.Yield();
                yield return body;
            }
        }

        internal sealed class ChatPage : Microsoft.AspNetCore.Mvc.RazorPages.PageModel
        {
            [TracedLlmRoute]
            public IActionResult {|#6:OnPost|}() => Page();
        }
        """,
        Error("TLLM1005", 0, "Cannot generate the traced route for 'Contoso.ChatController.WithArguments': "
            + "on an MVC controller action MVC's routing gives the method and path ([HttpPost(\"...\")], "
            + "[Route(\"...\")]), not [TracedLlmRoute(\"POST\", \"/v1/chat/a\")]: write [TracedLlmRoute] without them"),
        Error("TLLM1005", 1, "Cannot generate the traced route for 'Contoso.ChatController.NoMethod': "
            + "the action names no HTTP method, so MVC routes every method to it: add [HttpPost] (or [HttpPut], "
            + "[AcceptVerbs(...)]) for the one it serves"),
        Error("TLLM1005", 2, "Cannot generate the traced route for 'Contoso.ChatController.TwoMethods': "
            + "the action serves POST, PUT, but a traced route has one HTTP method: keep one"),
        Error("TLLM1001", 3, "Cannot generate the traced route for 'Contoso.ChatController.NotPublic': "
            + "MVC makes actions of public methods only, and 'NotPublic' is internal: make it public"),
        Error("TLLM1001", 4, "Cannot generate the traced route for 'Contoso.ChatController.NotAnAction': "
            + "the method is marked [NonAction]: MVC does not route it, so it cannot be a traced route"),
        Error("TLLM1001", 5, "Cannot generate the traced route for 'Contoso.ChatController.Chunks': "
            + "an action that returns IAsyncEnumerable<T> is written by MVC as one JSON array, "
            + "not as server-sent events; return LlmResult<TResponse, TChunk> (LlmResult.Stream(chunks) "
            + "when call.IsStreaming) to stream in the route's wire format"),
        Error("TLLM1001", 6, "Cannot generate the traced route for 'Contoso.ChatPage.OnPost': "
            + "a Razor Page's handler cannot be a traced route: a page answers HTML forms, "
            + "and its handler is chosen by the form's handler name, not by an LLM API's route; "
            + "move it to a controller action (or a static handler) and call that from the page"));

    [Fact]
    public Task AControllerActionAndAStaticHandlerOnOneMethodAndPathAreTLLM1003() => VerifyAsync("""
        [ApiController]
        [Route("v1/chat/completions")]
        internal sealed class ChatController : ControllerBase
        {
            [HttpPost]
            [TracedLlmRoute]
            public Body {|#0:Complete|}(Body body) => body;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Body {|#1:Chat|}(Body body) => body;
        }
        """,
        Error("TLLM1003", 0, "Cannot generate the traced route for 'Contoso.ChatController.Complete': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.Routes.Chat'"),
        Error("TLLM1003", 1, "Cannot generate the traced route for 'Contoso.Routes.Chat': "
            + "'POST /v1/chat/completions' is also handled by 'Contoso.ChatController.Complete'"));

    [Fact]
    public void InvalidRouteEmitsNoSourceForIt()
    {
        var run = GeneratorHarness.Run(Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/ok")]
                public static Body Ok(Body body) => body;

                [TracedLlmRoute("POST", "bad")]
                public static Body Bad(Body body) => body;
            }
            """);

        var generated = System.Linq.Enumerable.Single(run.Result.Results).GeneratedSources;
        var hints = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(generated, s => s.HintName));
        Assert.Contains("Contoso_Routes_Ok.g.cs", hints);
        Assert.DoesNotContain("Contoso_Routes_Bad.g.cs", hints);
    }
}
