using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace TracedLlm.Extensions.AI;

/// <summary>
/// Calls an <see cref="IChatClient"/> inside an upstream attempt. The attempt's model is the call's
/// <see cref="ChatOptions.ModelId"/> unless the options name one; the response's model, id, usage
/// and finish reason are recorded on the attempt span and the LLM span without hand-written tagging.
/// </summary>
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
        var response = await client.GetResponseAsync(messages, WithModel(options, attempt), cancellationToken).ConfigureAwait(false);
        Record(attempt, response.ModelId, response.ResponseId, response.FinishReason, response.Usage);
        return response;
    }

    /// <summary>Streams a response within the attempt; the usage and finish reason are recorded when the stream ends.</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        this LlmAttempt attempt,
        IChatClient client,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(client);
        string? model = null;
        string? responseId = null;
        ChatFinishReason? finishReason = null;
        UsageDetails? usage = null;
        await foreach (var update in client.GetStreamingResponseAsync(messages, WithModel(options, attempt), cancellationToken).ConfigureAwait(false))
        {
            model ??= update.ModelId;
            responseId ??= update.ResponseId;
            finishReason = update.FinishReason ?? finishReason;
            foreach (var content in update.Contents.OfType<UsageContent>())
            {
                usage = content.Details;
            }

            yield return update;
        }

        Record(attempt, model, responseId, finishReason, usage);
    }

    private static ChatOptions WithModel(ChatOptions? options, LlmAttempt attempt)
    {
        if (options?.ModelId is not null)
        {
            return options;
        }

        var withModel = options?.Clone() ?? new ChatOptions();
        withModel.ModelId = attempt.Target.Model;
        return withModel;
    }

    private static void Record(LlmAttempt attempt, string? model, string? responseId, ChatFinishReason? finishReason, UsageDetails? usage)
    {
        var responseModel = model ?? attempt.Target.Model;
        attempt.RecordResponse(responseModel, usage?.InputTokenCount, usage?.OutputTokenCount);
        var call = attempt.Call;
        if (finishReason is { } reason)
        {
            call.RecordResponse(responseModel, responseId, reason.Value);
        }
        else
        {
            call.RecordResponse(responseModel, responseId);
        }

        if (usage is { InputTokenCount: { } input, OutputTokenCount: { } output })
        {
            call.RecordUsage(input, output);
        }
    }
}
