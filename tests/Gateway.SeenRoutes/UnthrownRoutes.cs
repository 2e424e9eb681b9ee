using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using TracedLlm.Samples.Gateway;
using Yarp.ReverseProxy.Forwarder;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TracedLlm.Gateway.SeenRoutes;

/// <summary>
/// The test's upstream (a stub on a loopback port) and the invoker YARP's forwarder sends to it through.
/// </summary>
public sealed class SeenUpstream(string address)
{
    /// <summary>The name of the HttpClient whose sends are attempts (<c>AddTracedLlmAttempts()</c>).</summary>
    public const string AttemptsClient = "seen-attempts";

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public string Address { get; } = address;

    /// <summary>As YARP's direct forwarding recommends: no proxy, redirects, decompression or cookies.</summary>
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    });
}

/// <summary>
/// One traced route per way an upstream is called and wire format, answering as issue 78's gateways do.
/// </summary>
/// <remarks>
/// When the upstream fails without an exception: a forwarder route that writes its own 502 (the YARP
/// gateway), HttpClient and IChatClient routes that answer 200 with what they got (the translating
/// proxy), and the relay.
/// </remarks>
public static class UnthrownRoutes
{
    /// <summary>What the forwarder routes write by hand when the forwarder fails: the app's own 502.</summary>
    public const string HandWritten502 =
        """{"error":{"message":"The upstream is unavailable.","type":"upstream_unavailable"}}""";

    /// <summary>What the HttpClient and IChatClient routes answer when the upstream answered an error status.</summary>
    public const string Apology = "Sorry, try again later.";

    /// <summary>Maps every route of this assembly (these and <see cref="CoverageRoutes"/>).</summary>
    public static TracedLlmRouteBuilder MapSeenRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    [TracedLlmRoute("POST", "/v1/chat/completions/fwd")]
    public static Task<IResult> ForwardChat(
        LlmCall call, IHttpForwarder forwarder, [FromServices] SeenUpstream upstream) =>
        ForwardAsync(call, forwarder, upstream, "/v1/chat/completions");

    [TracedLlmRoute("POST", "/v1/messages/fwd")]
    public static Task<IResult> ForwardMessages(
        LlmCall call, IHttpForwarder forwarder, [FromServices] SeenUpstream upstream) =>
        ForwardAsync(call, forwarder, upstream, "/v1/messages");

    [TracedLlmRoute("POST", "/v1/chat/completions/http")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> HttpChat(
        ChatCompletionRequest request, LlmCall call, IHttpClientFactory clients)
    {
        var response = await SendAsync(call, clients, "v1/chat/completions");
        return call.IsStreaming
            ? LlmResult.Stream(AsChatChunks(StreamTextAsync(response, call.CancellationToken)))
            : ChatAnswer(await TextAsync(response, call));
    }

    [TracedLlmRoute("POST", "/v1/messages/http")]
    public static async Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> HttpMessages(
        MessagesRequest request, LlmCall call, IHttpClientFactory clients)
    {
        var response = await SendAsync(call, clients, "v1/messages");
        return call.IsStreaming
            ? LlmResult.Stream(AsMessageEvents(StreamTextAsync(response, call.CancellationToken)))
            : MessagesAnswer(await TextAsync(response, call));
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/chat")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> ClientChat(
        ChatCompletionRequest request, LlmCall call, IChatClient chat) =>
        call.IsStreaming
            ? LlmResult.Stream(AsChatChunks(UpdatesAsync(chat, call.CancellationToken)))
            : ChatAnswer(await AskAsync(chat, call.CancellationToken));

    [TracedLlmRoute("POST", "/v1/messages/chat")]
    public static async Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> ClientMessages(
        MessagesRequest request, LlmCall call, IChatClient chat) =>
        call.IsStreaming
            ? LlmResult.Stream(AsMessageEvents(UpdatesAsync(chat, call.CancellationToken)))
            : MessagesAnswer(await AskAsync(chat, call.CancellationToken));

    [TracedLlmRoute("POST", "/v1/chat/completions/relay")]
    public static Task<LlmRelayResult> RelayChat(LlmCall call, LlmRelay relay, [FromServices] SeenUpstream upstream) =>
        relay.ForwardAsync(call, Target("openai", call), upstream.Address, LlmRetryPolicy.None);

    [TracedLlmRoute("POST", "/v1/messages/relay")]
    public static Task<LlmRelayResult> RelayMessages(
        LlmCall call, LlmRelay relay, [FromServices] SeenUpstream upstream) =>
        relay.ForwardAsync(call, Target("anthropic", call), upstream.Address, LlmRetryPolicy.None);

    private static LlmTarget Target(string provider, LlmCall call) => new(provider, call.Model ?? "unknown");

    /// <summary>
    /// YARP's forwarder inside an attempt the route starts, as the YARP gateway's adopted retry loop does.
    /// </summary>
    /// <remarks>A forwarder error fails the attempt and is answered with the app's own 502, by hand.</remarks>
    internal static async Task<IResult> ForwardAsync(
        LlmCall call, IHttpForwarder forwarder, SeenUpstream upstream, string path)
    {
        var context = call.HttpContext;
        call.PrepareRequestForForwarding();
        context.Request.Path = path;
        using var attempt = call.StartAttempt(Target("openai", call));
        var error = await forwarder.SendAsync(
            context, upstream.Address, upstream.Invoker, ForwarderRequestConfig.Empty, HttpTransformer.Default);
        if (error == ForwarderError.None)
        {
            attempt.Succeed();
            return Results.Empty;
        }

        attempt.Fail(context.GetForwarderErrorFeature()?.Exception ?? new HttpRequestException(error.ToString()));
        if (!context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(HandWritten502, context.RequestAborted);
        }

        return Results.Empty;
    }

    /// <summary>
    /// The body as read, through the client whose sends are attempts; the stream's events are read by the caller.
    /// </summary>
    private static async Task<HttpResponseMessage> SendAsync(LlmCall call, IHttpClientFactory clients, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Content = new ReadOnlyMemoryContent(call.UpstreamBody);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var completion = call.IsStreaming
            ? HttpCompletionOption.ResponseHeadersRead
            : HttpCompletionOption.ResponseContentRead;
        var client = clients.CreateClient(SeenUpstream.AttemptsClient);
        return await client.SendAsync(request, completion, call.CancellationToken);
    }

    /// <summary>
    /// What a whole answer says: its text, or the apology when the upstream answered an error status.
    /// </summary>
    private static async Task<string> TextAsync(HttpResponseMessage response, LlmCall call)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(call.CancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return Apology;
            }

            // OpenAI's message content or Anthropic's first text block; an answer without either has no text.
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            return root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                ? choices[0].GetProperty("message").GetProperty("content").GetString() ?? string.Empty
                : root.TryGetProperty("content", out var content)
                    && content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0
                    ? content[0].GetProperty("text").GetString() ?? string.Empty
                    : string.Empty;
        }
    }

    /// <summary>
    /// A stream's text, event by event (System.Net.ServerSentEvents); an upstream error event is skipped, as a
    /// translating proxy skips what it does not know.
    /// </summary>
    private static async IAsyncEnumerable<string> StreamTextAsync(
        HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                yield return Apology;
                yield break;
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
            {
                if (item.Data == "[DONE]" || item.EventType == "error"
                    || item.Data.Contains("\"error\"", StringComparison.Ordinal))
                {
                    continue;
                }

                using var json = JsonDocument.Parse(item.Data);
                var root = json.RootElement;
                if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                    && choices[0].GetProperty("delta").TryGetProperty("content", out var content)
                    && content.GetString() is { Length: > 0 } text)
                {
                    yield return text;
                }
                else if (root.TryGetProperty("delta", out var delta) && delta.TryGetProperty("text", out var deltaText)
                    && deltaText.GetString() is { Length: > 0 } anthropic)
                {
                    yield return anthropic;
                }
            }
        }
    }

    /// <summary>
    /// The chat client's answer, or the apology when it threw (an error status reached it as an exception).
    /// </summary>
    private static async Task<string> AskAsync(IChatClient chat, CancellationToken cancellationToken)
    {
        try
        {
            return (await chat.GetResponseAsync(Prompt, cancellationToken: cancellationToken)).Text;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return Apology;
        }
    }

    /// <summary>The chat client's streamed text; the apology in place of what it threw.</summary>
    private static async IAsyncEnumerable<string> UpdatesAsync(
        IChatClient chat, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = chat.GetStreamingResponseAsync(Prompt, cancellationToken: cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        await using (updates)
        {
            while (true)
            {
                string? text;
                try
                {
                    if (!await updates.MoveNextAsync())
                    {
                        yield break;
                    }

                    text = updates.Current.Text;
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    text = null;
                }

                if (text is null)
                {
                    yield return Apology;
                    yield break;
                }

                if (text.Length > 0)
                {
                    yield return text;
                }
            }
        }
    }

    internal static readonly AiChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    internal static ChatCompletionResponse ChatAnswer(string text) => new()
    {
        Id = "seen-1",
        Model = "seen",
        Choices = [new ChatChoice { Message = new ChatResponseMessage { Content = text }, FinishReason = "stop" }],
        Usage = new ChatUsage(),
    };

    private static MessagesResponse MessagesAnswer(string text) => new()
    {
        Id = "seen-1",
        Model = "seen",
        Content = [new AnthropicContentBlock { Text = text }],
        StopReason = "end_turn",
        Usage = new AnthropicUsage(),
    };

    internal static async IAsyncEnumerable<ChatCompletionChunk> AsChatChunks(IAsyncEnumerable<string> texts)
    {
        await foreach (var text in texts)
        {
            yield return Chunk(new ChatChunkChoice { Delta = new ChatDelta { Content = text } });
        }

        yield return Chunk(new ChatChunkChoice { Delta = new ChatDelta(), FinishReason = "stop" });
    }

    private static ChatCompletionChunk Chunk(ChatChunkChoice choice) =>
        new() { Id = "seen-1", Model = "seen", Choices = [choice] };

    private static async IAsyncEnumerable<AnthropicStreamEvent> AsMessageEvents(IAsyncEnumerable<string> texts)
    {
        await foreach (var text in texts)
        {
            var delta = new AnthropicDelta { Type = "text_delta", Text = text };
            yield return new AnthropicStreamEvent { Type = "content_block_delta", Index = 0, Delta = delta };
        }

        yield return new AnthropicStreamEvent { Type = "message_stop" };
    }
}
