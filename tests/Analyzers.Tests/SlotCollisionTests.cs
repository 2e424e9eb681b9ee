using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2005: a route on slot 'metadata' whose request type has its own 'metadata'.</summary>
public sealed class SlotCollisionTests
{
    private const string Types = """
        internal sealed class AnthropicRequest
        {
            public string? Model { get; set; }
            public AnthropicMetadata? Metadata { get; set; }
        }

        internal sealed class AnthropicMetadata { public string? UserId { get; set; } }

        internal class RenamedBase
        {
            [System.Text.Json.Serialization.JsonPropertyName("metadata")]
            public object? ProviderFields { get; set; }
        }

        internal sealed class RenamedRequest : RenamedBase { }

        internal sealed class IgnoredRequest
        {
            [System.Text.Json.Serialization.JsonIgnore]
            public object? Metadata { get; set; }
        }

        internal sealed class OtherNameRequest
        {
            [System.Text.Json.Serialization.JsonPropertyName("provider_metadata")]
            public object? Metadata { get; set; }
        }

        """;

    [Fact]
    public Task DefaultSlotExplicitSlotAndARenamedInheritedProperty() => VerifyAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            [/*!*/TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(AnthropicRequest request) => new();

            [/*!*/TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")]
            public static Reply Messages(AnthropicRequest request, LlmCall call) => new();

            [/*!*/TracedLlmRoute("POST", "/v1/completions")]
            public static Reply Completions(LlmCall call, RenamedRequest request) => new();
        }
        """, "TLLM2005",
        "Route 'POST /v1/chat/completions' keeps gateway metadata in 'metadata', but its request type 'Contoso.AnthropicRequest' has its own property 'Metadata' serialized as 'metadata'; use MetadataSlot = \"litellm_metadata\"",
        "Route 'POST /v1/messages' keeps gateway metadata in 'metadata', but its request type 'Contoso.AnthropicRequest' has its own property 'Metadata' serialized as 'metadata'; use MetadataSlot = \"litellm_metadata\"",
        "Route 'POST /v1/completions' keeps gateway metadata in 'metadata', but its request type 'Contoso.RenamedRequest' has its own property 'ProviderFields' serialized as 'metadata'; use MetadataSlot = \"litellm_metadata\"");

    [Fact]
    public Task LiteLlmSlotIgnoredOrRenamedPropertiesAreClean() => VerifyAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(AnthropicRequest request) => new();

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(IgnoredRequest request) => new();

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static Reply Embeddings(OtherNameRequest request) => new();

            [TracedLlmRoute("POST", "/v1/completions", MetadataSlot = "litellm_metadata")]
            public static Reply Completions(AnthropicRequest request) => new();
        }
        """, "TLLM2005");

    [Fact]
    public Task TheSameTypeOutsideARouteIsClean() => VerifyAsync(Corpus.Header + Types + """
        internal static class Handlers
        {
            public static Reply Chat(AnthropicRequest request) => new();
        }
        """, "TLLM2005");

    [Fact]
    public Task APragmaSuppressesIt() => VerifyAsync(Corpus.Header + Types + """
        internal static class Routes
        {
        #pragma warning disable TLLM2005 // the provider ignores its own metadata here
            [TracedLlmRoute("POST", "/v1/chat/completions")]
        #pragma warning restore TLLM2005
            public static Reply Chat(AnthropicRequest request) => new();
        }
        """, "TLLM2005");

    [Fact]
    public async Task FixAddsOrReplacesTheSlot()
    {
        const string source = Corpus.Header + Types + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(AnthropicRequest request) => new();

                [TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")]
                public static Reply Messages(AnthropicRequest request) => new();
            }
            """;

        var fixedSource = (await FixAsync(new SlotCollisionCodeFix(), "TLLM2005", FixAllScope.Document, source))[0];

        Assert.Equal(
            source
                .Replace("[TracedLlmRoute(\"POST\", \"/v1/chat/completions\")]", "[TracedLlmRoute(\"POST\", \"/v1/chat/completions\", MetadataSlot = \"litellm_metadata\")]", System.StringComparison.Ordinal)
                .Replace("MetadataSlot = \"metadata\"", "MetadataSlot = \"litellm_metadata\"", System.StringComparison.Ordinal),
            fixedSource);
        Assert.Empty(await DiagnosticsAsync(fixedSource));
    }

    [Fact]
    public async Task FixAllInProject()
    {
        const string first = Corpus.Header + Types + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(AnthropicRequest request) => new();
            }
            """;
        const string second = """
            namespace Contoso;

            internal static class MoreRoutes
            {
                [TracedLlm.TracedLlmRoute("POST", "/v1/completions")]
                public static Reply Completions(AnthropicRequest request) => new();
            }
            """;

        var project = await FixAsync(new SlotCollisionCodeFix(), "TLLM2005", FixAllScope.Project, first, second);
        Assert.Contains("MetadataSlot = \"litellm_metadata\"", project[0], System.StringComparison.Ordinal);
        Assert.Contains("MetadataSlot = \"litellm_metadata\"", project[1], System.StringComparison.Ordinal);
        Assert.Empty(await DiagnosticsAsync(project));
    }
}
