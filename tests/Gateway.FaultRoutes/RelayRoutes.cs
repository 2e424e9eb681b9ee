using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using TracedLlm.Samples.Gateway;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Gateway.FaultRoutes;

/// <summary>
/// The upstream the relay routes forward to, in one attempt each: <see cref="LlmCall.UpstreamBody"/>
/// as it stands (the tests give it an in-memory fake upstream that keeps what it received).
/// </summary>
public sealed class RelayUpstream
{
    /// <summary>Where the relay routes send; the fake upstream answers any path.</summary>
    public static readonly Uri Destination = new("http://upstream.test/");

    private readonly HttpMessageHandler _handler;
    private readonly HttpClient _client;

    /// <summary>Creates the upstream over a handler (the fake upstream).</summary>
    public RelayUpstream(HttpMessageHandler handler)
    {
        _handler = handler;
        _client = new HttpClient(handler, disposeHandler: false);
    }

    /// <summary>The invoker a forwarder sends through.</summary>
    public HttpMessageInvoker Invoker => new(_handler, disposeHandler: false);

    /// <summary>Posts the checked body upstream within one attempt and returns the upstream's JSON answer.</summary>
    public Task<JsonElement> ForwardAsync(LlmCall call) =>
        call.ExecuteAsync(
            new LlmTarget("relay", call.Model ?? "unknown"),
            LlmRetryPolicy.None,
            async (attempt, cancellationToken) =>
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Destination, "v1/relay"))
                {
                    Content = new ReadOnlyMemoryContent(call.UpstreamBody)
                };
                message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                using var response = await UpstreamHttp.SendAsync(_client, message, attempt, cancellationToken);
                var body = await UpstreamHttp.ReadBodyAsync(response, attempt.MaxResponseBytes, cancellationToken);
                using var document = JsonDocument.Parse(body);
                return document.RootElement.Clone();
            });
}

/// <summary>
/// Routes that forward the client's body upstream as the gateway read it, one per way a handler can
/// take its body: the sample's typed request, a <see cref="JsonElement"/>, a <see cref="JsonNode"/>
/// (abstract, so marked <c>[FromBody]</c>), and none at all with YARP's forwarder sending the HTTP
/// request on. The differential suite
/// (tests/Gateway.Tests/HostileInput/DifferentialSuiteTests.cs) compares what each one's guardrail, trace and
/// upstream read. The wire format, slot and operation come from the path, as on the sample's routes.
/// </summary>
public static class RelayRoutes
{
    /// <summary>Maps the routes (with the fault matrix's: an assembly has one route table).</summary>
    public static TracedLlmRouteBuilder MapRelayRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    /// <summary>OpenAI chat, typed.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/typed")]
    public static async Task<ChatCompletionResponse> TypedChat(
        ChatCompletionRequest request,
        LlmCall call,
        RelayUpstream upstream)
    {
        await upstream.ForwardAsync(call);
        return new ChatCompletionResponse
        {
            Id = "relay",
            Model = request.Model ?? string.Empty,
            Choices = new List<ChatChoice>
            {
                new()
                {
                    Message = new ChatResponseMessage { Content = "relayed" },
                    FinishReason = "stop"
                }
            },
            Usage = new ChatUsage(),
        };
    }

    /// <summary>OpenAI chat, typed, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/typed")]
    public static async IAsyncEnumerable<ChatCompletionChunk> TypedChatStream(
        ChatCompletionRequest request,
        LlmCall call,
        RelayUpstream upstream)
    {
        await upstream.ForwardAsync(call);
        yield return new ChatCompletionChunk
        {
            Id = "relay",
            Model = request.Model ?? string.Empty,
            Choices = new List<ChatChunkChoice>
            {
                new()
                {
                    Delta = new ChatDelta { Content = "relayed" },
                    FinishReason = "stop"
                }
            },
        };
    }

    /// <summary>Anthropic messages, typed.</summary>
    [TracedLlmRoute("POST", "/v1/messages/typed")]
    public static async Task<MessagesResponse> TypedMessages(
        MessagesRequest request,
        LlmCall call,
        RelayUpstream upstream)
    {
        await upstream.ForwardAsync(call);
        return new MessagesResponse
        {
            Id = "relay",
            Model = request.Model ?? string.Empty,
            Content = new List<AnthropicContentBlock> { new() { Text = "relayed" } },
            StopReason = "end_turn",
            Usage = new AnthropicUsage(),
        };
    }

    /// <summary>Anthropic messages, typed, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages/typed")]
    public static async IAsyncEnumerable<AnthropicStreamEvent> TypedMessagesStream(
        MessagesRequest request,
        LlmCall call,
        RelayUpstream upstream)
    {
        await upstream.ForwardAsync(call);
        yield return new AnthropicStreamEvent { Type = "message_stop" };
    }

    /// <summary>OpenAI chat, as a <see cref="JsonElement"/>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/element")]
    public static Task<JsonElement> ElementChat(JsonElement request, LlmCall call, RelayUpstream upstream) =>
        upstream.ForwardAsync(call);

    /// <summary>OpenAI chat, as a <see cref="JsonElement"/>, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/element")]
    public static IAsyncEnumerable<JsonElement> ElementChatStream(
        JsonElement request,
        LlmCall call,
        RelayUpstream upstream) => Once(upstream.ForwardAsync(call));

    /// <summary>Anthropic messages, as a <see cref="JsonElement"/>.</summary>
    [TracedLlmRoute("POST", "/v1/messages/element")]
    public static Task<JsonElement> ElementMessages(JsonElement request, LlmCall call, RelayUpstream upstream) =>
        upstream.ForwardAsync(call);

    /// <summary>Anthropic messages, as a <see cref="JsonElement"/>, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages/element")]
    public static IAsyncEnumerable<JsonElement> ElementMessagesStream(
        JsonElement request,
        LlmCall call,
        RelayUpstream upstream) => Once(upstream.ForwardAsync(call));

    /// <summary>OpenAI chat, as a <see cref="JsonNode"/>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/node")]
    public static Task<JsonElement> NodeChat([FromBody] JsonNode request, LlmCall call, RelayUpstream upstream) =>
        upstream.ForwardAsync(call);

    /// <summary>OpenAI chat, as a <see cref="JsonNode"/>, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/node")]
    public static IAsyncEnumerable<JsonElement> NodeChatStream(
        [FromBody] JsonNode request,
        LlmCall call,
        RelayUpstream upstream) => Once(upstream.ForwardAsync(call));

    /// <summary>Anthropic messages, as a <see cref="JsonNode"/>.</summary>
    [TracedLlmRoute("POST", "/v1/messages/node")]
    public static Task<JsonElement> NodeMessages([FromBody] JsonNode request, LlmCall call, RelayUpstream upstream) =>
        upstream.ForwardAsync(call);

    /// <summary>Anthropic messages, as a <see cref="JsonNode"/>, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages/node")]
    public static IAsyncEnumerable<JsonElement> NodeMessagesStream(
        [FromBody] JsonNode request,
        LlmCall call,
        RelayUpstream upstream) => Once(upstream.ForwardAsync(call));

    /// <summary>
    /// OpenAI chat through YARP's forwarder: the HTTP request itself goes upstream, carrying the checked body.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/forwarder")]
    public static Task<IResult> ForwardedChat(
        LlmCall call,
        HttpContext httpContext,
        IHttpForwarder forwarder,
        [FromServices] RelayUpstream upstream) => ForwardAsync(call, httpContext, forwarder, upstream);

    /// <summary>Anthropic messages through YARP's forwarder.</summary>
    [TracedLlmRoute("POST", "/v1/messages/forwarder")]
    public static Task<IResult> ForwardedMessages(
        LlmCall call,
        HttpContext httpContext,
        IHttpForwarder forwarder,
        [FromServices] RelayUpstream upstream) => ForwardAsync(call, httpContext, forwarder, upstream);

    private static Task<IResult> ForwardAsync(
        LlmCall call,
        HttpContext httpContext,
        IHttpForwarder forwarder,
        RelayUpstream upstream) =>
        call.ExecuteAsync(
            new LlmTarget("relay", call.Model ?? "unknown"),
            LlmRetryPolicy.None,
            async (attempt, cancellationToken) =>
            {
                call.PrepareRequestForForwarding();
                using var invoker = upstream.Invoker;
                var error = await forwarder.SendAsync(
                    httpContext,
                    RelayUpstream.Destination.ToString(),
                    invoker,
                    ForwarderRequestConfig.Empty,
                    HttpTransformer.Default,
                    cancellationToken);
                return error == ForwarderError.None
                    ? Results.Empty
                    : throw new UpstreamException(502, $"The forwarder failed: {error}.");
            });

    private static async IAsyncEnumerable<JsonElement> Once(
        Task<JsonElement> answer,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return await answer.WaitAsync(cancellationToken);
    }
}

/// <summary>The relay routes' JSON beyond the sample's own types.</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
public sealed partial class RelayJsonContext : JsonSerializerContext
{
}
