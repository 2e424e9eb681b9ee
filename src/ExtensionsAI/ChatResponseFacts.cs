using System;
using System.Collections.Generic;
using Microsoft.Extensions.AI;

namespace TracedLlm;

/// <summary>
/// What an <see cref="IChatClient"/> response says about the call, recorded on the attempt and its call.
/// </summary>
/// <remarks>
/// Its model, id, finish reason, usage and an error it reports, gathered from a whole response or from
/// streamed updates.
/// </remarks>
internal sealed class ChatResponseFacts
{
    private string? _model;
    private string? _responseId;
    private ChatFinishReason? _finishReason;
    private UsageDetails? _usage;
    private bool _reportedError;

    public static ChatResponseFacts From(ChatResponse response)
    {
        var facts = new ChatResponseFacts
        {
            _model = response.ModelId,
            _responseId = response.ResponseId,
            _finishReason = response.FinishReason,
            _usage = response.Usage,
        };
        foreach (var message in response.Messages)
        {
            facts.Note(message.Contents);
        }

        return facts;
    }

    public void Add(ChatResponseUpdate update)
    {
        _model ??= update.ModelId;
        _responseId ??= update.ResponseId;
        _finishReason = update.FinishReason ?? _finishReason;
        // Each UsageContent counts tokens of its own (a provider may state the input as the stream
        // starts and the output as it ends): they add up, as M.E.AI's ToChatResponse() adds them.
        foreach (var content in update.Contents)
        {
            if (content is UsageContent usage)
            {
                (_usage ??= new UsageDetails()).Add(usage.Details);
            }
        }

        Note(update.Contents);
    }

    /// <summary>How the call failed though the client threw nothing, or null.</summary>
    /// <remarks>
    /// An error the provider reported inside its answer (M.E.AI's <see cref="ErrorContent"/>: the
    /// Responses API's error event, a failed response's error; a refusal is an answer, not an error), or
    /// a stream that ended with no update stating a finish reason (every provider's last event states
    /// one: a stream without it was cut before its end) when <paramref name="requireFinishReason"/>.
    /// </remarks>
    public Exception? Failure(bool streamed, bool requireFinishReason) =>
        _reportedError ? UpstreamHttp.ReportedError()
        : streamed && requireFinishReason && _finishReason is null ? UpstreamHttp.Truncated()
        : null;

    /// <summary>
    /// Records the facts, then ends <paramref name="attempt"/> with <see cref="Failure"/> when there is one; true when
    /// it did.
    /// </summary>
    public bool RecordAndFail(LlmAttempt attempt, bool streamed, bool requireFinishReason)
    {
        Record(attempt);
        if (Failure(streamed, requireFinishReason) is not { } failure)
        {
            return false;
        }

        attempt.Fail(failure);
        return true;
    }

    private void Note(IList<AIContent> contents)
    {
        foreach (var content in contents)
        {
            if (content is ErrorContent { ErrorCode: var code }
                && !string.Equals(code, "Refusal", StringComparison.OrdinalIgnoreCase))
            {
                _reportedError = true;
            }
        }
    }

    /// <summary>
    /// Records on the call's LLM span (the generation) and, unless a GenAI client span of its own was
    /// recorded under it (<c>UseOpenTelemetry()</c>'s, which then carries them), on the attempt span.
    /// </summary>
    public void Record(LlmAttempt attempt)
    {
        var responseModel = _model ?? attempt.Target.Model;
        if (!GenAiClientSpans.Claimed(attempt.Span))
        {
            attempt.RecordResponse(
                responseModel,
                UsageDetailsExtensions.Count(_usage?.InputTokenCount),
                UsageDetailsExtensions.Count(_usage?.OutputTokenCount));
        }

        var call = attempt.Call;
        if (_finishReason is { } reason)
        {
            call.RecordResponse(responseModel, _responseId, reason.Value);
        }
        else
        {
            call.RecordResponse(responseModel, _responseId);
        }

        if (_usage.ToLlmUsage() is { } usage)
        {
            call.RecordUsage(usage);
        }
    }
}
