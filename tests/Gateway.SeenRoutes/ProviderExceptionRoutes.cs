using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.AI;
using TracedLlm.Samples.Gateway;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TracedLlm.Gateway.SeenRoutes;

/// <summary>
/// Per request (its <see cref="Header"/>): what the provider's client threw under <c>UseTracedLlm()</c>, and what
/// the route's own code around the chat client caught.
/// </summary>
public sealed class ThrownAndCaught
{
    /// <summary>The request header that names a request.</summary>
    public const string Header = "x-seen-request";

    private readonly ConcurrentDictionary<string, Exception> _thrown = new();
    private readonly ConcurrentDictionary<string, Exception> _caught = new();

    /// <summary>What the provider's client threw in the request <paramref name="key"/> names, or null.</summary>
    public Exception? Thrown(string key) => _thrown.GetValueOrDefault(key);

    /// <summary>What the route's code caught in the request <paramref name="key"/> names, or null.</summary>
    public Exception? Caught(string key) => _caught.GetValueOrDefault(key);

    /// <summary>Records what the provider's client threw; false, so that an exception filter lets it go on.</summary>
    internal bool RecordThrown(Exception exception)
    {
        if (LlmCall.Current?.HttpContext is { } context && KeyOf(context) is { } key)
        {
            _thrown[key] = exception;
        }

        return false;
    }

    internal void RecordCaught(LlmCall call, Exception exception)
    {
        if (KeyOf(call.HttpContext) is { } key)
        {
            _caught[key] = exception;
        }
    }

    private static string? KeyOf(HttpContext context) =>
        context.Request.Headers.TryGetValue(Header, out var key) ? key.ToString() : null;
}

/// <summary>
/// A chat client step under <c>UseTracedLlm()</c>, over the provider's client: it records what that client threw,
/// in an exception filter, so the exception goes on untouched.
/// </summary>
public sealed class ThrownWitness(IChatClient inner, ThrownAndCaught seen) : DelegatingChatClient(inner)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception exception) when (seen.RecordThrown(exception))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            updates = base.GetStreamingResponseAsync(messages, options, cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception) when (seen.RecordThrown(exception))
        {
            throw;
        }

        await using (updates)
        {
            while (await MoveNextAsync(updates))
            {
                yield return updates.Current;
            }
        }
    }

    private async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<ChatResponseUpdate> updates)
    {
        try
        {
            return await updates.MoveNextAsync();
        }
        catch (Exception exception) when (seen.RecordThrown(exception))
        {
            throw;
        }
    }
}

/// <summary>
/// Routes over the <c>UseTracedLlm()</c> chat client whose code catches what the client throws, records it and
/// throws it on.
/// </summary>
/// <remarks>In the step's own attempt, and in the attempt policy's (<c>ExecuteAsync</c>, <c>StreamAsync</c>).</remarks>
public static class ProviderExceptionRoutes
{
    [TracedLlmRoute("POST", "/v1/chat/completions/chat-own")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> StepsOwnAttempt(
        ChatCompletionRequest request, LlmCall call, IChatClient chat, [FromServices] ThrownAndCaught seen) =>
        call.IsStreaming
            ? LlmResult.Stream(UnthrownRoutes.AsChatChunks(TextsAsync(chat, call, seen, call.CancellationToken)))
            : UnthrownRoutes.ChatAnswer(await AskAsync(chat, call, seen, call.CancellationToken));

    [TracedLlmRoute("POST", "/v1/chat/completions/chat-policy")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> PolicysAttempt(
        ChatCompletionRequest request, LlmCall call, IChatClient chat, [FromServices] ThrownAndCaught seen)
    {
        var target = new LlmTarget("openai", call.Model ?? "unknown");
        return call.IsStreaming
            ? LlmResult.Stream(UnthrownRoutes.AsChatChunks(call.StreamAsync(
                target, LlmRetryPolicy.None, (_, cancellation) => TextsAsync(chat, call, seen, cancellation))))
            : UnthrownRoutes.ChatAnswer(await call.ExecuteAsync(
                target, LlmRetryPolicy.None, (_, cancellation) => AskAsync(chat, call, seen, cancellation)));
    }

    private static async Task<string> AskAsync(
        IChatClient chat, LlmCall call, ThrownAndCaught seen, CancellationToken cancellationToken)
    {
        try
        {
            return (await chat.GetResponseAsync(UnthrownRoutes.Prompt, cancellationToken: cancellationToken)).Text;
        }
        catch (Exception exception)
        {
            seen.RecordCaught(call, exception);
            throw;
        }
    }

    private static async IAsyncEnumerable<string> TextsAsync(
        IChatClient chat,
        LlmCall call,
        ThrownAndCaught seen,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = chat.GetStreamingResponseAsync(UnthrownRoutes.Prompt, cancellationToken: cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        await using (updates)
        {
            while (await NextAsync(updates, call, seen))
            {
                if (updates.Current.Text is { Length: > 0 } text)
                {
                    yield return text;
                }
            }
        }
    }

    private static async ValueTask<bool> NextAsync(
        IAsyncEnumerator<ChatResponseUpdate> updates, LlmCall call, ThrownAndCaught seen)
    {
        try
        {
            return await updates.MoveNextAsync();
        }
        catch (Exception exception)
        {
            seen.RecordCaught(call, exception);
            throw;
        }
    }
}
