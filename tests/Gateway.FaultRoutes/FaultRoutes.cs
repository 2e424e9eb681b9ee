using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Gateway.FaultRoutes;

/// <summary>Handler code that runs before the LLM call: where the fault matrix makes a handler fail.</summary>
public interface IBeforeLlmCall
{
    /// <summary>Runs before the handler calls its provider; may throw synchronously, fail later, or wait.</summary>
    ValueTask RunAsync(LlmCall call, CancellationToken cancellationToken);
}

/// <summary>The sample gateway's handlers, each after an <see cref="IBeforeLlmCall"/> step, on the sample's paths.</summary>
public static class FaultRoutes
{
    /// <summary>Maps the routes (a group's prefix allowed); conventions added to the result apply to all of them.</summary>
    public static TracedLlmRouteBuilder MapFaultMatrixRoutes(this IEndpointRouteBuilder endpoints) => endpoints.MapTracedLlmRoutes();

    /// <summary>OpenAI chat completions. Not async: a step that throws makes the handler itself throw synchronously.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static Task<ChatCompletionResponse> Chat(ChatCompletionRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before) =>
        After(before.RunAsync(call, call.CancellationToken), () => Routes.ChatCompletions(request, call, providers));

    /// <summary>OpenAI chat completions, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async IAsyncEnumerable<ChatCompletionChunk> ChatStream(ChatCompletionRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await before.RunAsync(call, cancellationToken);
        await foreach (var chunk in Routes.ChatCompletionsStream(request, call, providers).WithCancellation(cancellationToken))
        {
            yield return chunk;
        }
    }

    /// <summary>Anthropic messages.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static Task<MessagesResponse> Messages(MessagesRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before) =>
        After(before.RunAsync(call, call.CancellationToken), () => Routes.Messages(request, call, providers));

    /// <summary>Anthropic messages, streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async IAsyncEnumerable<AnthropicStreamEvent> MessagesStream(MessagesRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await before.RunAsync(call, cancellationToken);
        await foreach (var streamEvent in Routes.MessagesStream(request, call, providers, cancellationToken).WithCancellation(cancellationToken))
        {
            yield return streamEvent;
        }
    }

    /// <summary>The handler once its step is done; a step that completed runs it at once.</summary>
    private static Task<T> After<T>(ValueTask step, Func<Task<T>> handler) =>
        step.IsCompletedSuccessfully ? handler() : AfterAsync(step, handler);

    private static async Task<T> AfterAsync<T>(ValueTask step, Func<Task<T>> handler)
    {
        await step;
        return await handler();
    }
}
