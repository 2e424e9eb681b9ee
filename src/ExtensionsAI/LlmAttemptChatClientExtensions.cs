using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace TracedLlm;

/// <summary>
/// Calls an <see cref="IChatClient"/> inside an upstream attempt you hold. The attempt's model is the
/// call's <see cref="ChatOptions.ModelId"/> unless the options name one; the response's model, id,
/// usage and finish reason are recorded on the attempt span and the LLM span without hand-written
/// tagging. A client built with <c>UseTracedLlm()</c> does the same by itself, wherever it is called:
/// given one, these leave the recording to its step, so each call is recorded once.
/// </summary>
/// <remarks>
/// What the client throws is thrown on unchanged; <see cref="LlmAttempt.Fail"/> with it, and the attempt policy,
/// read it as what it means (<see cref="LlmAttempt.RecordFailureMeaning"/>).
/// </remarks>
public static class LlmAttemptChatClientExtensions
{
    /// <summary>Gets a response within the attempt.</summary>
    public static async Task<ChatResponse> GetResponseAsync(
        this LlmAttempt attempt,
        IChatClient client,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(client);
        var stepRecords = TracedLlmChatClient.RecordsOn(client, attempt);
        ChatResponse response;
        try
        {
            response = await client
                .GetResponseAsync(
                    messages,
                    TracedLlmChatClient.WithModel(options, attempt.Target.Model),
                    cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            ProviderFailures.Explain(attempt, exception, owned: false);
            throw;
        }

        if (!stepRecords)
        {
            ChatResponseFacts.From(response).RecordAndFail(attempt, streamed: false, requireFinishReason: true);
        }

        return response;
    }

    /// <summary>
    /// Streams a response within the attempt; the usage and finish reason are recorded when the stream ends.
    /// </summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        this LlmAttempt attempt,
        IChatClient client,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(client);
        var facts = TracedLlmChatClient.RecordsOn(client, attempt) ? null : new ChatResponseFacts();
        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            // A client that throws before it returns its stream is read as one that throws in it.
            updates = client
                .GetStreamingResponseAsync(
                    messages,
                    TracedLlmChatClient.WithModel(options, attempt.Target.Model),
                    cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception)
        {
            ProviderFailures.Explain(attempt, exception, owned: false);
            throw;
        }

        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception exception)
                {
                    ProviderFailures.Explain(attempt, exception, owned: false);
                    throw;
                }

                facts?.Add(updates.Current);
                yield return updates.Current;
            }
        }

        facts?.RecordAndFail(attempt, streamed: true, requireFinishReason: true);
    }
}
