using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators.Tests;

/// <summary>Each "cannot generate" diagnostic: its ID, where it points, and what it says.</summary>
public sealed class GeneratorDiagnosticTests
{
    private const string Header = """
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using TracedLlm;

        namespace Contoso;

        internal sealed class Body { public string? Model { get; set; } }

        """;

    [Fact]
    public void InstanceHandlerIsTLLM1001()
    {
        var diagnostic = Single("""
            internal sealed class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public Task<Body> Chat(Body body) => Task.FromResult(body);
            }
            """);

        AssertDiagnostic(diagnostic, "TLLM1001", line: 11, column: 23,
            "Cannot generate the traced route for 'Contoso.Routes.Chat': the handler must be static (take services as parameters)");
    }

    [Fact]
    public void TwoBodiesAreTLLM1001()
    {
        var diagnostic = Single("""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Body Chat([Microsoft.AspNetCore.Mvc.FromBody] Body first, [Microsoft.AspNetCore.Mvc.FromBody] Body second) => first;
            }
            """);

        AssertDiagnostic(diagnostic, "TLLM1001", line: 11, column: 24,
            "Cannot generate the traced route for 'Contoso.Routes.Chat': parameter 'second' is a second request body; a handler takes at most one");
    }

    [Fact]
    public void VoidAndTaskReturnsAreTLLM1002()
    {
        var diagnostics = Run("""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/a")]
                public static void A(Body body) { }

                [TracedLlmRoute("POST", "/b")]
                public static Task B(Body body) => Task.CompletedTask;

                [TracedLlmRoute("POST", "/c")]
                public static ValueTask C(Body body) => default;
            }
            """);

        Assert.Equal(3, diagnostics.Length);
        AssertDiagnostic(diagnostics[0], "TLLM1002", line: 11, column: 24,
            "Cannot generate the traced route for 'Contoso.Routes.A': return type 'void' is not supported; return T, Task<T>, ValueTask<T> or IResult");
        AssertDiagnostic(diagnostics[1], "TLLM1002", line: 14, column: 24,
            "Cannot generate the traced route for 'Contoso.Routes.B': return type 'System.Threading.Tasks.Task' is not supported; return T, Task<T>, ValueTask<T> or IResult");
        AssertDiagnostic(diagnostics[2], "TLLM1002", line: 17, column: 29,
            "Cannot generate the traced route for 'Contoso.Routes.C': return type 'System.Threading.Tasks.ValueTask' is not supported; return T, Task<T>, ValueTask<T> or IResult");
    }

    [Fact]
    public void DuplicateMethodAndPathIsTLLM1003()
    {
        var diagnostic = Single("""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Body First(Body body) => body;

                [TracedLlmRoute("post", "/v1/chat/completions")]
                public static Body Second(Body body) => body;
            }
            """);

        AssertDiagnostic(diagnostic, "TLLM1003", line: 14, column: 24,
            "Cannot generate the traced route for 'Contoso.Routes.Second': 'POST /v1/chat/completions' is already handled by 'Contoso.Routes.First'");
    }

    [Fact]
    public void PrivateHandlerOrTypeIsTLLM1004()
    {
        var diagnostics = Run("""
            internal static class Outer
            {
                private static class Routes
                {
                    [TracedLlmRoute("POST", "/a")]
                    public static Body A(Body body) => body;
                }

                [TracedLlmRoute("POST", "/b")]
                private static Body B(Body body) => body;
            }
            """);

        Assert.Equal(2, diagnostics.Length);
        AssertDiagnostic(diagnostics[0], "TLLM1004", line: 13, column: 28,
            "Cannot generate the traced route for 'Contoso.Outer.Routes.A': the handler and its containing types must be public or internal, but Routes is private");
        AssertDiagnostic(diagnostics[1], "TLLM1004", line: 17, column: 25,
            "Cannot generate the traced route for 'Contoso.Outer.B': the handler and its containing types must be public or internal, but B is private");
    }

    [Theory]
    [InlineData("\"POST\", \"v1/chat\"", "route template 'v1/chat' must start with '/'")]
    [InlineData("\"POST\", \"/v1//chat\"", "route template '/v1//chat' has an empty segment")]
    [InlineData("\"POST\", \"/v1/{id\"", "route template '/v1/{id' has '{' without '}'")]
    [InlineData("\"POST\", \"/v1/chat?x=1\"", "route template '/v1/chat?x=1' contains the character '?' that a URL path cannot carry")]
    [InlineData("\"FETCH\", \"/v1/chat\"", "HTTP method 'FETCH' is not one of GET, POST, PUT, PATCH, DELETE")]
    public void InvalidMethodOrTemplateIsTLLM1005(string arguments, string reason)
    {
        var diagnostic = Single($$"""
            internal static class Routes
            {
                [TracedLlmRoute({{arguments}})]
                public static Body Chat(Body body) => body;
            }
            """);

        AssertDiagnostic(diagnostic, "TLLM1005", line: 11, column: 24, $"Cannot generate the traced route for 'Contoso.Routes.Chat': {reason}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("meta data")]
    [InlineData("1metadata")]
    public void InvalidSlotIsTLLM1006(string slot)
    {
        var diagnostic = Single($$"""
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat", MetadataSlot = "{{slot}}")]
                public static Body Chat(Body body) => body;
            }
            """);

        AssertDiagnostic(diagnostic, "TLLM1006", line: 11, column: 24,
            $"Cannot generate the traced route for 'Contoso.Routes.Chat': metadata slot '{slot}' is not a valid JSON property name for a slot; use letters, digits and '_' (e.g. \"metadata\" or \"litellm_metadata\")");
    }

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

        var hints = run.Result.Results.Single().GeneratedSources.Select(s => s.HintName).ToArray();
        Assert.Contains("Contoso_Routes_Ok.g.cs", hints);
        Assert.DoesNotContain("Contoso_Routes_Bad.g.cs", hints);
    }

    private static Diagnostic Single(string body) => Assert.Single(Run(body));

    private static Diagnostic[] Run(string body) =>
        GeneratorHarness.Run(Header + body).GeneratorDiagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToArray();

    private static void AssertDiagnostic(Diagnostic diagnostic, string id, int line, int column, string message)
    {
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal((line, column), (position.Line + 1, position.Character + 1));
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal($"https://github.com/tracedllm/tracedllm/blob/main/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
    }
}
