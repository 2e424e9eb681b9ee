using Microsoft.Extensions.AI;

namespace TracedLlm;

/// <summary>
/// What an <see cref="IChatClient"/> response says about the call (model, id, finish reason, usage),
/// gathered from a whole response or from streamed updates, and recorded on the attempt and its call.
/// </summary>
internal sealed class ChatResponseFacts
{
    private string? _model;
    private string? _responseId;
    private ChatFinishReason? _finishReason;
    private UsageDetails? _usage;

    public static ChatResponseFacts From(ChatResponse response) => new()
    {
        _model = response.ModelId,
        _responseId = response.ResponseId,
        _finishReason = response.FinishReason,
        _usage = response.Usage,
    };

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
            attempt.RecordResponse(responseModel, UsageDetailsExtensions.Count(_usage?.InputTokenCount), UsageDetailsExtensions.Count(_usage?.OutputTokenCount));
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
