using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace TracedLlm;

/// <summary>
/// A chat client step that records every call it passes on as an upstream attempt of the traced request it runs in.
/// </summary>
/// <remarks>
/// One <c>raw_gen_ai_request</c> span under the request's LLM span, current while the inner clients run (so
/// <c>UseOpenTelemetry()</c>'s <c>chat</c> span and HttpClient's spans nest under it), with the response's model, id,
/// finish reason and usage recorded on the attempt and the LLM span. Add it with
/// <c>ChatClientBuilder.UseTracedLlm()</c>.
/// The request is found through the async context (<see cref="LlmCall.Current"/>): a handler, or
/// anything it awaits, just calls the client. Inside an attempt that is already open (the operation
/// given to <c>LlmCall.ExecuteAsync</c> / <c>LlmCall.StreamAsync</c>, which add
/// retries and fallbacks) the call is recorded on that attempt instead of starting another; the
/// attempt's model is the call's model unless the options name one. Outside a traced request (a
/// background job), calls pass through untouched. What the provider's client throws is thrown on unchanged (an app's
/// <c>catch (ClientResultException)</c> keeps catching it); the attempt, the retry policy and the failure path read
/// it as what it means (<see cref="LlmAttempt.RecordFailureMeaning"/>): an error status, a timeout, a cut connection.
/// </remarks>
public sealed class TracedLlmChatClient : DelegatingChatClient
{
    private readonly ChatClientMetadata? _metadata;

    /// <summary>Wraps <paramref name="innerClient"/>; from now on <see cref="LlmCall.Current"/> flows.</summary>
    public TracedLlmChatClient(IChatClient innerClient)
        : base(innerClient)
    {
        LlmCall.EnableCurrent();
        _metadata = innerClient.GetService<ChatClientMetadata>();
        GenAiClientSpans.Watch(innerClient.GetService<ActivitySource>());
    }

    /// <summary>
    /// The provider its attempts record (<c>gen_ai.provider.name</c>). Default: the inner client's <see
    /// cref="ChatClientMetadata.ProviderName"/>, else <c>unknown</c>.
    /// </summary>
    public string? ProviderName { get; set; }

    /// <summary>
    /// Whether a stream that ends with no update stating a finish reason fails its attempt as cut off (default true).
    /// </summary>
    /// <remarks>
    /// Every provider's last streamed event states how the answer ended (OpenAI's <c>finish_reason</c>,
    /// Anthropic's <c>stop_reason</c>, the Responses API's completed response), and M.E.AI's adapters
    /// carry it as <see cref="ChatResponseUpdate.FinishReason"/>: a stream without one ended before its
    /// last event. Set false for a client of your own that never states one.
    /// </remarks>
    public bool RequireFinishReason { get; set; } = true;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (Begin(ref options, out var owned) is not { } attempt)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Thrown on as it is, for the app's own catch; the attempt records what it means.
            var failure = ProviderFailures.Explain(attempt, exception, owned);
            if (owned)
            {
                attempt.Fail(failure);
            }

            throw;
        }

        // An error the answer reports fails the attempt, whoever opened it: the request then fails with it.
        if (!ChatResponseFacts.From(response).RecordAndFail(attempt, streamed: false, RequireFinishReason) && owned)
        {
            attempt.Succeed();
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Begin(ref options, out var owned) is not { } attempt)
        {
            var untraced = base.GetStreamingResponseAsync(messages, options, cancellationToken);
            await foreach (var update in untraced.ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var facts = new ChatResponseFacts();
        Exception? failure = null;
        var completed = false;
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            while (true)
            {
                // Activity.Current does not flow back into an iterator: the inner clients resume under the attempt.
                if (owned && attempt.Span is { } span && !ReferenceEquals(Activity.Current, span))
                {
                    Activity.Current = span;
                }

                try
                {
                    // A client that throws before it returns its stream fails the attempt as one that throws in it
                    // does.
                    updates ??= base.GetStreamingResponseAsync(messages, options, cancellationToken)
                        .GetAsyncEnumerator(cancellationToken);
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception exception)
                {
                    var meaning = ProviderFailures.Explain(attempt, exception, owned);

                    // A client that left is not the upstream's failure: the attempt is abandoned, as the gateway's own
                    // streams record it.
                    if (!attempt.Call.CancellationToken.IsCancellationRequested)
                    {
                        failure = meaning;
                    }

                    throw;
                }

                facts.Add(updates.Current);
                yield return updates.Current;
            }

            completed = true;
        }
        finally
        {
            if (updates is not null)
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }

            // A stream that ended without its finish reason, or reported an error, failed, whoever opened its attempt.
            var failed = completed && facts.RecordAndFail(attempt, streamed: true, RequireFinishReason);
            if (owned && !failed)
            {
                // A consumer that stops early leaves the attempt abandoned.
                End(attempt, completed, failure);
            }
        }
    }

    /// <summary>
    /// Returns <paramref name="options"/>, or a copy naming <paramref name="model"/> when they name no model.
    /// </summary>
    internal static ChatOptions WithModel(ChatOptions? options, string model)
    {
        if (options?.ModelId is not null)
        {
            return options;
        }

        var withModel = options?.Clone() ?? new ChatOptions();
        withModel.ModelId = model;
        return withModel;
    }

    private static void End(LlmAttempt attempt, bool completed, Exception? failure)
    {
        if (completed)
        {
            attempt.Succeed();
        }
        else if (failure is not null)
        {
            attempt.Fail(failure);
        }
        else
        {
            attempt.Dispose();
        }
    }

    /// <summary>
    /// The open attempt the call belongs to, or a new one of the current call (<paramref name="owned"/>), or null
    /// outside a traced request.
    /// </summary>
    private LlmAttempt? Begin(ref ChatOptions? options, out bool owned)
    {
        owned = false;
        if (LlmAttempt.Current is { } open && !IsOver(open.Call))
        {
            options = WithModel(options, open.Target.Model);
            return open;
        }

        if (LlmCall.Current is not { } call || IsOver(call))
        {
            return null;
        }

        owned = true;
        var model = options?.ModelId ?? _metadata?.DefaultModelId ?? call.Model ?? "unknown";
        return call.StartAttempt(new LlmTarget(ProviderName ?? _metadata?.ProviderName ?? "unknown", model));
    }

    /// <summary>
    /// True when <paramref name="client"/>'s own <c>UseTracedLlm()</c> step will record its call on
    /// <paramref name="attempt"/> (the attempt is the open one it finds), so the caller records nothing more.
    /// </summary>
    internal static bool RecordsOn(IChatClient client, LlmAttempt attempt) =>
        ReferenceEquals(LlmAttempt.Current, attempt)
        && !IsOver(attempt.Call)
        && client.GetService<TracedLlmChatClient>() is not null;

    // Work a request left running (a fire-and-forget task) must not start spans under its ended LLM span.
    private static bool IsOver(LlmCall call) => call.Span is { IsStopped: true };
}
