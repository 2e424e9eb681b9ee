namespace TracedLlm.Generators.Tests;

/// <summary>Handler sources used by the generator tests.</summary>
internal static class Sources
{
    public const string Gateway = """
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using TracedLlm;

        namespace Contoso.Gateway;

        internal sealed class ChatRequest
        {
            public string? Model { get; set; }
        }

        internal sealed class ChatResponse
        {
            public string? Text { get; set; }
        }

        internal sealed class ChatChunk
        {
            public string? Delta { get; set; }
        }

        internal sealed class MessagesRequest
        {
            public string? Model { get; set; }
            public object? Metadata { get; set; }
        }

        internal interface IUpstream
        {
            Task<string> CompleteAsync(string? model, CancellationToken cancellationToken);
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<ChatResponse> Chat(ChatRequest request, LlmCall call, IUpstream upstream,
                CancellationToken cancellationToken) =>
                new() { Text = await upstream.CompleteAsync(request.Model, cancellationToken) };

            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async IAsyncEnumerable<ChatChunk> ChatStream(ChatRequest request, LlmCall call,
                [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                await Task.Yield();
                yield return new ChatChunk { Delta = request.Model };
            }

            [TracedLlmRoute("POST", "/v1/responses")]
            public static async IAsyncEnumerable<ChatChunk> Responses(ChatRequest request)
            {
                await Task.Yield();
                yield return new ChatChunk { Delta = request.Model };
            }

            [TracedLlmRoute("POST", "/v1/messages")]
            public static ValueTask<ChatResponse> Messages(MessagesRequest request, HttpContext httpContext) =>
                new(new ChatResponse { Text = httpContext.Request.Path });

            [TracedLlmRoute("post", "/v1/embeddings", MetadataSlot = "gateway_meta",
                ErrorFormat = WireFormat.Anthropic)]
            public static IResult Embeddings(LlmCall call) => Results.Ok(call.Model);
        }
        """;

    /// <summary>A route whose slot is shared with the provider's own 'metadata'.</summary>
    public const string SharedSlot = """
        using TracedLlm;

        namespace Contoso.Shared;

        internal sealed class ChatRequest
        {
            public string? Model { get; set; }
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
            public static ChatRequest SharedChat(ChatRequest request) => request;
        }
        """;

    public const string Unrelated = """
        namespace Contoso.Gateway;

        internal static class Unrelated
        {
            public static int Answer() => 42;
        }
        """;
}
