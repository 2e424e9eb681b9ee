using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Samples.Gateway;

/// <summary>
/// The gateway's routes, one handler each for both stream modes. Each handler is plain code: the
/// generated pipeline around it records the span tree, reads the route's metadata slot and runs the
/// one failure path. With an upstream configured the request is relayed to it (its bytes, status
/// and headers back as they come, read on the way); without one the embedded provider answers, as
/// JSON or, when the body says <c>"stream": true</c>, as server-sent events.
/// </summary>
public static class Routes
{
    /// <summary>OpenAI chat completions; gateway metadata in <c>metadata</c>.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> ChatCompletions(ChatCompletionRequest request, LlmCall call, ProviderRouter providers)
    {
        var prompt = ChatRequest(request, call);
        if (providers.Relay is { } relay)
        {
            return LlmResult.Http(await relay.ForwardAsync(call, providers.Model(prompt)));
        }

        return call.IsStreaming ? LlmResult.Stream(StreamChat(prompt, call, providers)) : await CompleteChat(prompt, call, providers);
    }

    /// <summary>Anthropic messages; gateway metadata in <c>litellm_metadata</c>, the native <c>metadata.user_id</c> forwarded.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> Messages(MessagesRequest request, LlmCall call, ProviderRouter providers)
    {
        var prompt = MessagesRequestFor(request);
        if (providers.Relay is { } relay)
        {
            return LlmResult.Http(await relay.ForwardAsync(call, providers.Model(prompt)));
        }

        return call.IsStreaming ? LlmResult.Stream(StreamMessages(prompt, call, providers, call.CancellationToken)) : await CompleteMessages(prompt, call, providers);
    }

    /// <summary>A chat completion from the typed providers (the embedded one, or an upstream with <c>Upstream:Relay=false</c>).</summary>
    public static async Task<ChatCompletionResponse> CompleteChat(ProviderRequest prompt, LlmCall call, ProviderRouter providers)
    {
        var reply = await providers.CompleteAsync(call, prompt);
        Record(call, reply.Model, reply.Id, reply.FinishReason, reply.Usage);
        return WireAnswers.Chat(reply);
    }

    /// <summary>A chat completion's chunks from the typed providers: <c>data:</c> chunks, then <c>data: [DONE]</c>.</summary>
    public static IAsyncEnumerable<ChatCompletionChunk> StreamChat(ProviderRequest prompt, LlmCall call, ProviderRouter providers) =>
        WireAnswers.ChatChunks(Recorded(providers.StreamAsync(call, prompt), call));

    /// <summary>An Anthropic message from the typed providers.</summary>
    public static async Task<MessagesResponse> CompleteMessages(ProviderRequest prompt, LlmCall call, ProviderRouter providers)
    {
        var reply = await providers.CompleteAsync(call, prompt);
        Record(call, reply.Model, reply.Id, reply.FinishReason, reply.Usage);
        return WireAnswers.Message(reply);
    }

    /// <summary>An Anthropic message stream from the typed providers: message_start, content block events, message_delta, message_stop.</summary>
    public static IAsyncEnumerable<AnthropicStreamEvent> StreamMessages(ProviderRequest prompt, LlmCall call, ProviderRouter providers, CancellationToken cancellationToken = default) =>
        WireAnswers.MessageEvents(Recorded(providers.StreamAsync(call, prompt), call), cancellationToken);

    /// <summary>The prompt of a chat request, checked.</summary>
    public static ProviderRequest ChatRequest(ChatCompletionRequest request, LlmCall call)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        return new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, call.UpstreamBody);
    }

    /// <summary>The prompt of a messages request, checked.</summary>
    public static ProviderRequest MessagesRequestFor(MessagesRequest request)
    {
        var model = RequireModel(request.Model);
        RequireMessages(request.Messages.Count);
        if (request.MaxTokens is null or < 1)
        {
            throw new InvalidLlmRequestException("'max_tokens' is required and must be at least 1.");
        }

        return new ProviderRequest(model, request.PromptMessages(), request.MaxTokens, ForwardBody: null);
    }

    /// <summary>The stream's facts on the LLM span when its last delta says how it ended.</summary>
    private static async IAsyncEnumerable<ProviderDelta> Recorded(IAsyncEnumerable<ProviderDelta> deltas, LlmCall call, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var delta in deltas.WithCancellation(cancellationToken))
        {
            if (delta.FinishReason is not null)
            {
                Record(call, delta.Model, delta.Id, delta.FinishReason, delta.Usage);
            }

            yield return delta;
        }
    }

    private static void Record(LlmCall call, string model, string id, string finishReason, LlmUsage usage)
    {
        call.RecordResponse(model, id, finishReason);
        call.RecordUsage(usage);
    }

    private static string RequireModel(string? model) =>
        string.IsNullOrWhiteSpace(model) ? throw new InvalidLlmRequestException("'model' is required.") : model;

    private static void RequireMessages(int count)
    {
        if (count == 0)
        {
            throw new InvalidLlmRequestException("'messages' must contain at least one message.");
        }
    }
}
