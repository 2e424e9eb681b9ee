using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using TracedLlm.CodeFixes;
using static TracedLlm.Analyzers.Tests.AnalyzerHarness;

namespace TracedLlm.Analyzers.Tests;

/// <summary>TLLM2001: a key naming the other metadata slot in code reached from a route.</summary>
public sealed class SlotMismatchTests
{
    private const string MessagesOnly = "Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST /v1/messages' (slot 'litellm_metadata')";

    [Fact]
    public Task IndexerInTheHandler() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) =>
                new() { Text = call.HttpContext.Items[/*!*/"metadata"] as string };
        }
        """, "TLLM2001", MessagesOnly);

    [Fact]
    public Task ConstFieldInAHelperTwoCallsAway() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = SpanContext.Parent(call.HttpContext.Items) };
        }

        internal static class SpanContext
        {
            private const string MetadataKey = "metadata";

            public static string? Parent(IDictionary<object, object?> items) => Read(items);

            private static string? Read(IDictionary<object, object?> items) =>
                items.TryGetValue(/*!*/MetadataKey, out var value) ? value as string : null;
        }
        """, "TLLM2001", MessagesOnly);

    [Fact]
    public Task LocalKeyInAnAsyncLambda() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static async Task<Reply> Messages(MessagesRequest request, LlmCall call)
            {
                var body = JsonNode.Parse(call.RequestBody.Span)!.AsObject();
                var text = await Task.Run(() =>
                {
                    var key = "metadata";
                    return body.ContainsKey(/*!*/key) ? "yes" : "no";
                });
                return new Reply { Text = text };
            }
        }
        """, "TLLM2001", MessagesOnly);

    [Fact]
    public Task SharedHelperHardCodingOneSlotNamesTheRoutesThatDisagree() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = Shared.Parent(call) };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = Shared.Parent(call) };
        }

        internal static class Shared
        {
            public static string? Parent(LlmCall call)
            {
                using var document = JsonDocument.Parse(call.RequestBody);
                return document.RootElement.TryGetProperty(/*!*/"litellm_metadata", out var slot) ? slot.GetRawText() : null;
            }
        }
        """, "TLLM2001", "Metadata slot mismatch: key 'litellm_metadata' names a metadata slot, but this code is reached from route 'POST /v1/chat/completions' (slot 'metadata')");

    [Fact]
    public Task CustomSlotOfAnotherRouteIsASlotToo() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/embeddings", MetadataSlot = "gateway_meta")]
            public static Reply Embeddings(ChatRequest request, LlmCall call) => new() { Text = call.HttpContext.Items[/*!*/"metadata"] as string };

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = call.HttpContext.Items[/*!*/"gateway_meta"] as string };
        }
        """, "TLLM2001",
        "Metadata slot mismatch: key 'metadata' names a metadata slot, but this code is reached from route 'POST /v1/embeddings' (slot 'gateway_meta')",
        "Metadata slot mismatch: key 'gateway_meta' names a metadata slot, but this code is reached from route 'POST /v1/chat/completions' (slot 'metadata')");

    [Fact]
    public Task EachRouteUsingItsOwnSlotIsClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = call.HttpContext.Items["metadata"] as string };

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = call.HttpContext.Items["litellm_metadata"] as string };
        }
        """, "TLLM2001");

    [Fact]
    public Task TheSameCodeOutsideTracedRoutesIsClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = request.Model };
        }

        internal static class Admin
        {
            public static object? Read(HttpContext context) => context.Items["metadata"];
        }
        """, "TLLM2001");

    [Fact]
    public Task APragmaSuppressesIt() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call)
            {
        #pragma warning disable TLLM2001 // reads the provider-native metadata on purpose
                return new() { Text = call.HttpContext.Items["metadata"] as string };
        #pragma warning restore TLLM2001
            }
        }
        """, "TLLM2001");

    [Fact]
    public Task KeysThatNameNoSlotAreClean() => VerifyAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = call.HttpContext.Items["user_id"] as string };
        }
        """, "TLLM2001");

    [Fact]
    public async Task FixUsesTheRoutesGeneratedConstant()
    {
        const string source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages(MessagesRequest request, LlmCall call) =>
                    new() { Text = call.HttpContext.Items["metadata"] as string };
            }
            """;

        var fixedSource = (await FixAsync(new SlotMismatchCodeFix(), "TLLM2001", null, source))[0];

        Assert.Equal(source.Replace("Items[\"metadata\"]", "Items[global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot]", System.StringComparison.Ordinal), fixedSource);
        Assert.Empty(await DiagnosticsAsync(fixedSource));
    }

    [Fact]
    public async Task NoMechanicalFixWhenTheRoutesDisagree()
    {
        const string source = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(ChatRequest request, LlmCall call) => new() { Text = Shared.Read(call) };

                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages(MessagesRequest request, LlmCall call) => new() { Text = Shared.Read(call) };
            }

            internal static class Shared
            {
                public static string? Read(LlmCall call) => call.HttpContext.Items["metadata"] as string;
            }
            """;

        var diagnostic = Assert.Single(await DiagnosticsAsync(source));
        Assert.False(diagnostic.Properties.ContainsKey("SlotConstant"));
    }

    [Fact]
    public async Task FixAllInDocumentAndProject()
    {
        const string first = Corpus.Header + """
            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages(MessagesRequest request, LlmCall call) =>
                    new() { Text = (call.HttpContext.Items["metadata"] as string) + Helper.Read(call) + (call.HttpContext.Items["metadata"] as string) };
            }
            """;
        const string second = """
            namespace Contoso;

            internal static class Helper
            {
                public static string? Read(TracedLlm.LlmCall call) => call.HttpContext.Items["metadata"] as string;
            }
            """;
        const string constant = "global::TracedLlm.Generated.Contoso_Routes_Messages.MetadataSlot";

        var document = await FixAsync(new SlotMismatchCodeFix(), "TLLM2001", FixAllScope.Document, first, second);
        Assert.Equal(2, CountOf(document[0], constant));
        Assert.Equal(second, document[1]);

        var project = await FixAsync(new SlotMismatchCodeFix(), "TLLM2001", FixAllScope.Project, first, second);
        Assert.Equal(2, CountOf(project[0], constant));
        Assert.Equal(1, CountOf(project[1], constant));
        Assert.Empty(await DiagnosticsAsync(project));
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, System.StringComparison.Ordinal).Length) / part.Length;
}
