using System.Threading.Tasks;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.Verify;

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

    private static string Message(string route, string type, string property) =>
        $"Route '{route}' keeps gateway metadata in 'metadata', but its request type '{type}' has its own property "
        + $"'{property}' serialized as 'metadata'; use MetadataSlot = \"litellm_metadata\"";

    [Fact]
    public Task DefaultSlotExplicitSlotAndARenamedInheritedProperty() => AnalyzerAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(AnthropicRequest request) => new();

            [{|#1:TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")|}]
            public static Reply Messages(AnthropicRequest request, LlmCall call) => new();

            [{|#2:TracedLlmRoute("POST", "/v1/completions")|}]
            public static Reply Completions(LlmCall call, RenamedRequest request) => new();
        }
        """,
        Diagnostic("TLLM2005", 0, Message("POST /v1/chat/completions", "Contoso.AnthropicRequest", "Metadata")),
        Diagnostic("TLLM2005", 1, Message("POST /v1/messages", "Contoso.AnthropicRequest", "Metadata")),
        Diagnostic("TLLM2005", 2, Message("POST /v1/completions", "Contoso.RenamedRequest", "ProviderFields")));

    [Fact]
    public Task ARecordWithAMetadataPositionalProperty() => AnalyzerAsync(Corpus.Header + """
        internal sealed record AnthropicMessages(string Model, int MaxTokens, Dictionary<string, string>? Metadata);

        internal static class Routes
        {
            [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(AnthropicMessages request) => new() { Text = request.Model };
        }
        """, Diagnostic("TLLM2005", 0, Message("POST /v1/chat/completions", "Contoso.AnthropicMessages", "Metadata")));

    [Fact]
    public Task LiteLlmSlotIgnoredOrRenamedPropertiesAreClean() => AnalyzerAsync(Corpus.Header + Types + """
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
        """);

    private static string UntypedMessage(string route, string api, string body) =>
        $"Route '{route}' keeps gateway metadata in 'metadata' by default, a field {api} defines too, and its body "
        + $"is {body}: a client's 'metadata' is read as gateway metadata and never forwarded upstream; use "
        + "MetadataSlot = \"litellm_metadata\" to forward it, MetadataSlotMode = MetadataSlotMode.Shared to "
        + "forward what is not the gateway's, or MetadataSlot = \"metadata\" to say the gateway takes it";

    [Fact]
    public Task AnUntypedBodyOnAChatCompletionsPathWithTheDefaultSlot() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(JsonElement body, LlmCall call) => new();

            [{|#1:TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")|}]
            public static Reply Azure(LlmCall call) => new();

            [{|#2:TracedLlmRoute("POST", "/chat/completions")|}]
            public static Reply Root(JsonObject body) => new();
        }
        """,
        Diagnostic("TLLM2005", 0, UntypedMessage("POST /v1/chat/completions", "OpenAI chat completions", "untyped "
            + "('System.Text.Json.JsonElement')")),
        Diagnostic("TLLM2005", 1, UntypedMessage("POST /openai/deployments/{deploymentName}/chat/completions",
            "OpenAI chat completions", "not bound to a type (the handler works with the request's bytes)")),
        Diagnostic("TLLM2005", 2, UntypedMessage("POST /chat/completions", "OpenAI chat completions", "untyped "
            + "('System.Text.Json.Nodes.JsonObject')")));

    [Fact]
    public Task AnUntypedBodyIsCleanWhenTheSlotIsChosenSharedOrThePathHasNoProviderMetadata() =>
        AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlot = "metadata")]
            public static Reply Chosen(JsonElement body) => new();

            [TracedLlmRoute("POST", "/v2/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
            public static Reply Shared(JsonElement body) => new();

            [TracedLlmRoute("POST", "/v3/chat/completions", MetadataSlot = "litellm_metadata")]
            public static Reply Elsewhere(JsonElement body) => new();

            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static Reply Embeddings(JsonElement body) => new();

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(JsonNode body) => new();
        }
        """);

    [Fact]
    public Task ASharedSlotIsCleanForATypedBodyToo() => AnalyzerAsync(Corpus.Header + Types + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
            public static Reply Chat(AnthropicRequest request) => new();
        }
        """);

    [Fact]
    public Task FixMovesAnUntypedRoutesGatewayMetadata() => FixAsync<SlotCollisionCodeFix>(Corpus.Header + """
        internal static class Routes
        {
            [{|TLLM2005:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(JsonElement body) => new();
        }
        """, Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlot = "litellm_metadata")]
            public static Reply Chat(JsonElement body) => new();
        }
        """, fixAllIterations: 1);

    [Fact]
    public Task TheSameTypeOutsideARouteIsClean() => AnalyzerAsync(Corpus.Header + Types + """
        internal static class Handlers
        {
            public static Reply Chat(AnthropicRequest request) => new();
        }
        """);

    [Fact]
    public Task APragmaSuppressesIt() => AnalyzerAsync(Corpus.Header + Types + """
        internal static class Routes
        {
        #pragma warning disable TLLM2005 // the provider ignores its own metadata here
            [TracedLlmRoute("POST", "/v1/chat/completions")]
        #pragma warning restore TLLM2005
            public static Reply Chat(AnthropicRequest request) => new();
        }
        """);

    [Fact]
    public Task FixAddsOrReplacesTheSlot() => FixAsync<SlotCollisionCodeFix>(Corpus.Header + Types + """
        internal static class Routes
        {
            [{|TLLM2005:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(AnthropicRequest request) => new();

            [{|TLLM2005:TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")|}]
            public static Reply Messages(AnthropicRequest request) => new();
        }
        """, Corpus.Header + Types + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlot = "litellm_metadata")]
            public static Reply Chat(AnthropicRequest request) => new();

            [TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "litellm_metadata")]
            public static Reply Messages(AnthropicRequest request) => new();
        }
        """, fixAllIterations: 1);
    [Fact]
    public Task MembersSystemTextJsonStillBindsCollide() => AnalyzerAsync(Corpus.Header + """
        internal sealed class WrittenWhenSetRequest
        {
            [System.Text.Json.Serialization.JsonIgnore(Condition =
                System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
            public object? Metadata { get; set; }
        }

        internal sealed class IncludedPrivateRequest
        {
            [System.Text.Json.Serialization.JsonInclude]
            [System.Text.Json.Serialization.JsonPropertyName("metadata")]
            private Dictionary<string, string>? providerMetadata;

            public string? Model { get; set; }
        }

        internal sealed class IncludedInternalPropertyRequest
        {
            [System.Text.Json.Serialization.JsonInclude]
            internal object? Metadata { get; set; }
        }

        internal sealed class NotBoundRequest
        {
            internal object? Metadata { get; set; }
            private object? metadata;
            [System.Text.Json.Serialization.JsonIgnore(Condition =
                System.Text.Json.Serialization.JsonIgnoreCondition.Always)]
            public object? Extra { get; set; }
            public object? Peek() => metadata;
        }

        internal static class Routes
        {
            [{|#0:TracedLlmRoute("POST", "/v1/chat/completions")|}]
            public static Reply Chat(WrittenWhenSetRequest request) => new();

            [{|#1:TracedLlmRoute("POST", "/v1/completions")|}]
            public static Reply Completions(IncludedPrivateRequest request) => new();

            [{|#2:TracedLlmRoute("POST", "/v1/embeddings")|}]
            public static Reply Embeddings(IncludedInternalPropertyRequest request) => new();

            [TracedLlmRoute("POST", "/v1/moderations")]
            public static Reply Moderations(NotBoundRequest request) => new();
        }
        """,
        Diagnostic("TLLM2005", 0, Message("POST /v1/chat/completions", "Contoso.WrittenWhenSetRequest", "Metadata")),
        Diagnostic("TLLM2005", 1, Message("POST /v1/completions", "Contoso.IncludedPrivateRequest",
            "providerMetadata")),
        Diagnostic("TLLM2005", 2, Message("POST /v1/embeddings", "Contoso.IncludedInternalPropertyRequest",
            "Metadata")));
}
