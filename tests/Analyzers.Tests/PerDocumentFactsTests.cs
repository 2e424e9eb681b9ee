using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Per-document analysis reads what a document depends on from other documents through a cache of
/// each tree's declarations (syntax, kept while the tree lives) and binds the route table only when
/// it is needed. An edit elsewhere makes a new tree: what the analysed document reports must follow
/// it, and must be what a build reports for that document.
/// </summary>
public sealed class PerDocumentFactsTests
{
    // A route on slot 'metadata' that reads a key which is a slot only when another document says so.
    private const string ChatRoute = Corpus.Header + """
        internal static class ChatRoutes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items["tenant_meta"] as string };
        }
        """;

    private const string GuardrailReadingAnthropicSlot = Corpus.Header + """
        internal sealed class SlotGuardrail : ILlmGuardrail
        {
            public string Name => "slot";
            public GuardrailMode Modes => GuardrailMode.PreCall;
            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                CancellationToken cancellationToken) =>
                context.Call.HttpContext.Items["litellm_metadata"] is null
                    ? ValueTask.FromResult(GuardrailVerdict.Allow) : ValueTask.FromResult(GuardrailVerdict.Allow);
        }
        """;

    private static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(source, ProjectAnalysis.ParseOptions, path);

    private static Compilation Compile(params SyntaxTree[] trees) =>
        ProjectAnalysis.Compile(Testing.TestReferences.All, OutputKind.DynamicallyLinkedLibrary, trees);

    private static SyntaxTree OtherRoutes(string attribute, string header = "") => Parse(header + """
        namespace Contoso;

        internal static class Slots
        {
            public const string Tenant = "tenant_meta";
        }

        internal static class OtherRoutes
        {
            [
        """ + attribute + """
        ]
            public static Reply Other(ChatRequest request, TracedLlm.LlmCall call) => new();
        }
        """, "Other.cs");

    /// <summary>The analysed document's diagnostics, per document and in a build, which must agree.</summary>
    private static async Task<ImmutableArray<Diagnostic>> AnalyseAsync(Compilation compilation, SyntaxTree tree)
    {
        var live = await ProjectAnalysis.DocumentDiagnosticsAsync(compilation, tree);
        var build = (await ProjectAnalysis.BuildDiagnosticsAsync(compilation)).Where(d =>
            d.Location.SourceTree == tree && !d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd));
        Assert.Equal(
            build.Select(d => (d.Id, d.Location.SourceSpan, d.GetMessage())),
            live.Select(d => (d.Id, d.Location.SourceSpan, d.GetMessage())));
        return live;
    }

    [Fact]
    public async Task AnEditToAnotherDocumentsRouteSlotChangesWhatTheUnchangedDocumentReports()
    {
        // The same tree object in every compilation: its cached declarations are reused, the other file's are read
        // again.
        var chat = Parse(ChatRoute, "Chat.cs");

        var custom = await AnalyseAsync(
            Compile(
                chat,
                OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/embeddings\", MetadataSlot = \"tenant_meta\")")),
            chat);
        var mismatch = Assert.Single(custom);
        Assert.Equal("TLLM2001", mismatch.Id);
        Assert.Contains("key 'tenant_meta'", mismatch.GetMessage(), System.StringComparison.Ordinal);
        Assert.Contains(
            "route 'POST /v1/chat/completions' (slot 'metadata')",
            mismatch.GetMessage(),
            System.StringComparison.Ordinal);

        // The other route goes back to its default slot: 'tenant_meta' is no slot name any more.
        Assert.Empty(
            await AnalyseAsync(
                Compile(chat, OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/embeddings\")")),
                chat));

        // And names it again, through a constant this time: only binding tells the slot.
        var constant = await AnalyseAsync(
            Compile(
                chat,
                OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/embeddings\", MetadataSlot = Slots.Tenant)")),
            chat);
        Assert.Equal("TLLM2001", Assert.Single(constant).Id);
    }

    [Fact]
    public async Task ARouteDeclaredThroughAUsingAliasInAnotherDocumentIsARoute()
    {
        var chat = Parse(ChatRoute, "Chat.cs");
        var aliased = OtherRoutes(
            "Route(\"POST\", \"/v1/embeddings\", MetadataSlot = \"tenant_meta\")",
            "using Route = TracedLlm.TracedLlmRouteAttribute;\n");

        var live = await AnalyseAsync(Compile(chat, aliased), chat);

        Assert.Equal("TLLM2001", Assert.Single(live).Id);
    }

    [Fact]
    public async Task AGlobalAliasInAThirdDocumentNamesTheRouteAttribute()
    {
        var chat = Parse(ChatRoute, "Chat.cs");
        var aliases = Parse("global using TenantRoute = TracedLlm.TracedLlmRouteAttribute;\n", "Aliases.cs");
        var other = OtherRoutes("TenantRoute(\"POST\", \"/v1/embeddings\", MetadataSlot = \"tenant_meta\")");

        Assert.Equal("TLLM2001", Assert.Single(await AnalyseAsync(Compile(chat, aliases, other), chat)).Id);
    }

    [Fact]
    public async Task AnEditToAnotherDocumentsRoutePathChangesWhatAPolicyReports()
    {
        var guardrail = Parse(GuardrailReadingAnthropicSlot, "Guardrail.cs");

        // Without any route the guardrail is no traced code.
        Assert.Empty(await AnalyseAsync(Compile(guardrail, OtherRoutes("System.Obsolete")), guardrail));

        // A guardrail runs on every route: with an OpenAI route only, 'litellm_metadata' is the wrong slot.
        var openAi = await AnalyseAsync(
            Compile(guardrail, OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/chat/completions\")")),
            guardrail);
        var mismatch = Assert.Single(openAi);
        Assert.Equal("TLLM2001", mismatch.Id);
        Assert.Contains(
            "route 'POST /v1/chat/completions' (slot 'metadata')",
            mismatch.GetMessage(),
            System.StringComparison.Ordinal);

        // The route is moved to the Anthropic path, whose default slot is 'litellm_metadata'.
        Assert.Empty(
            await AnalyseAsync(
                Compile(guardrail, OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/messages\")")),
                guardrail));
    }

    [Fact]
    public async Task AGuardrailIsTracedCodeWhileARouteExistsWithoutReadingTheRouteTable()
    {
        var guardrail = Parse(Corpus.Header + """
            internal static class ProxyUtils
            {
                [FailureLoggingPath]
                public static bool IsProxyOnlyError(Exception exception) => exception is HttpException;
            }

            internal sealed class ThrowingGuardrail : ILlmGuardrail
            {
                public string Name => "throwing";
                public GuardrailMode Modes => GuardrailMode.PreCall;
                public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                    CancellationToken cancellationToken) =>
                    throw new InvalidOperationException("unchecked");
            }
            """, "Guardrail.cs");
        var lookalike = Parse("""
            namespace Elsewhere
            {
                internal sealed class TracedLlmRouteAttribute : System.Attribute
                {
                    public TracedLlmRouteAttribute(string method, string path) { }
                }

                internal static class NotRoutes
                {
                    [TracedLlmRoute("POST", "/v1/chat/completions")]
                    public static string Other() => "";
                }
            }
            """, "Lookalike.cs");

        // A real route (after a look-alike in the order of files): the guardrail's own throw is reported live.
        var traced = await AnalyseAsync(
            Compile(guardrail, lookalike, OtherRoutes("TracedLlm.TracedLlmRoute(\"POST\", \"/v1/chat/completions\")")),
            guardrail);
        Assert.Equal("TLLM2002", Assert.Single(traced).Id);

        // Only the look-alike: there is no route, so the guardrail is no traced code.
        Assert.Empty(await AnalyseAsync(Compile(guardrail, lookalike), guardrail));
    }

    [Fact]
    public async Task AnAttributeNamedLikeTheRouteAttributeButAnotherTypeIsNoRoute()
    {
        var chat = Parse(ChatRoute, "Chat.cs");
        var lookalike = Parse("""
            namespace Elsewhere
            {
                [System.AttributeUsage(System.AttributeTargets.Method)]
                internal sealed class TracedLlmRouteAttribute : System.Attribute
                {
                    public TracedLlmRouteAttribute(string method, string path) { }
                    public string? MetadataSlot { get; set; }
                }

                internal static class NotRoutes
                {
                    [TracedLlmRoute("POST", "/v1/embeddings", MetadataSlot = "tenant_meta")]
                    public static string Other() => "";
                }
            }
            """, "Lookalike.cs");

        Assert.Empty(await AnalyseAsync(Compile(chat, lookalike), chat));
    }
}
