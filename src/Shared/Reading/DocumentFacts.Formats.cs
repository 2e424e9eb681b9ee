using System;
using System.Buffers.Text;
using static TracedLlm.Reading.JsonNames;

namespace TracedLlm.Reading;

// DocumentFacts: what a whole document (a body, or one stream event) says in each provider's
// format, taken into the response's facts once it ends (identity, finish reasons, outcome, usage).
internal sealed partial class DocumentFacts
{
    /// <summary>
    /// Merges the whole document into the response. Returns true when this document ends the response
    /// (a terminal event or a whole body).
    /// </summary>
    public bool End(bool isStreamEvent)
    {
        // An error document: Anthropic's and the Responses API's type, OpenAI's error object alone, or
        // the `"object": "error"` of OpenAI-compatible servers (vLLM's, among others).
        if (Is(_type, "error"u8) || Is(_object, "error"u8)
            || (_hasError && !_hasChoices && !_type.Present && !_object.Present))
        {
            _response.ReportedError = true;
            return false;
        }

        if (_type.Present && IsAnthropic())
        {
            return EndAnthropic(isStreamEvent);
        }

        if (Is(_object, "response"u8) || StartsWith(_type, "response."u8))
        {
            return EndResponses(isStreamEvent);
        }

        // A chunk of a chat completion's stream names neither its object nor a choice at times (a usage chunk with no
        // choices): its usage is the completion's all the same.
        if (StartsWith(_object, "chat.completion"u8) || _hasChoices
            || (isStreamEvent && _response.Format == ResponseFormat.OpenAIChatCompletions && !_type.Present))
        {
            SetFormat(ResponseFormat.OpenAIChatCompletions);
            TakeIdentity(_id, _model);
            TakeServiceTier(_serviceTier, replace: false);
            for (var i = 0; i < _finishReasonCount; i++)
            {
                _response.AddFinishReason(StringOf(_finishReasons[i]));
            }

            TakeUsage(_usage.Prompt, _usage.Completion, _usage.Cached, _usage.Reasoning);
            return !isStreamEvent;
        }

        if (!isStreamEvent)
        {
            // Another kind of body (embeddings, a legacy completion): its usage, if it states one.
            TakeUsage(
                _usage.Prompt >= 0 ? _usage.Prompt : _usage.Input,
                _usage.Completion >= 0 ? _usage.Completion : _usage.Output,
                _usage.Cached,
                _usage.Reasoning);
        }

        return false;
    }

    private bool IsAnthropic() =>
        Is(_type, "message"u8)
        || Is(_type, "message_start"u8)
        || Is(_type, "message_delta"u8)
        || Is(_type, "message_stop"u8)
        || Is(_type, "content_block_start"u8)
        || Is(_type, "content_block_delta"u8)
        || Is(_type, "content_block_stop"u8)
        || Is(_type, "ping"u8);

    private bool EndAnthropic(bool isStreamEvent)
    {
        SetFormat(ResponseFormat.AnthropicMessages);
        if (Is(_type, "message_start"u8))
        {
            TakeIdentity(_messageId, _messageModel);
            TakeServiceTier(_messageServiceTier, replace: true);
            TakeAnthropicUsage(_messageUsage);
            return false;
        }

        if (Is(_type, "message_delta"u8))
        {
            if (_deltaStopReason.Present)
            {
                _response.AddFinishReason(StringOf(_deltaStopReason));
            }

            // message_delta's usage is the running total so far (its input and cache counts, when it states them, too).
            TakeServiceTier(_usageServiceTier, replace: true);
            TakeAnthropicUsage(_usage);
            return false;
        }

        if (Is(_type, "message"u8))
        {
            TakeIdentity(_id, _model);
            TakeServiceTier(_usageServiceTier, replace: true);
            if (_stopReason.Present)
            {
                _response.AddFinishReason(StringOf(_stopReason));
            }

            TakeAnthropicUsage(_usage);
            return !isStreamEvent;
        }

        return Is(_type, "message_stop"u8);
    }

    private bool EndResponses(bool isStreamEvent)
    {
        SetFormat(ResponseFormat.OpenAIResponses);
        if (!isStreamEvent || Is(_object, "response"u8))
        {
            TakeIdentity(_id, _model);
            TakeServiceTier(_serviceTier, replace: true);
            TakeUsage(_usage.Input, _usage.Output, _usage.Cached, _usage.Reasoning);
            TakeOutcome(_status, _incompleteReason);
            return !isStreamEvent;
        }

        TakeIdentity(_responseId, _responseModel);
        if (Is(_type, "response.completed"u8) || Is(_type, "response.incomplete"u8) || Is(_type, "response.failed"u8))
        {
            // Only the terminal event's tier is the one served: response.created echoes the request's (auto).
            TakeServiceTier(_responseServiceTier, replace: true);
            TakeUsage(_responseUsage.Input, _responseUsage.Output, _responseUsage.Cached, _responseUsage.Reasoning);
            TakeOutcome(_responseStatus, _responseIncompleteReason);
            return true;
        }

        return false;
    }

    /// <summary>
    /// A Responses API answer has no finish reason: its status says how it ended (<c>completed</c>), or why it is
    /// incomplete (<c>max_output_tokens</c>).
    /// </summary>
    private void TakeOutcome(Slot status, Slot incompleteReason)
    {
        if (Is(status, "failed"u8))
        {
            _response.ReportedError = true;
        }

        if (incompleteReason.Present)
        {
            _response.AddFinishReason(StringOf(incompleteReason));
        }
        else if (status.Present)
        {
            _response.AddFinishReason(StringOf(status));
        }
    }

    private void SetFormat(ResponseFormat format)
    {
        if (_response.Format == ResponseFormat.Unknown)
        {
            _response.Format = format;
        }
    }

    private void TakeIdentity(Slot id, Slot model)
    {
        if (_response.ResponseId is null && id.Present)
        {
            _response.ResponseId = StringOf(id);
        }

        if (_response.ResponseModel is null && model.Present)
        {
            _response.ResponseModel = StringOf(model);
        }
    }

    /// <summary>
    /// The tier the answer says it was served at, when it is a short token (<see cref="ServiceTier"/>).
    /// A chat stream repeats it in every chunk: the first is kept, with no string made per chunk.
    /// </summary>
    private void TakeServiceTier(Slot tier, bool replace)
    {
        if (!tier.Present || (!replace && _response.ServiceTier is not null))
        {
            return;
        }

        var value = _arena.AsSpan(tier.Offset, tier.Length);
        if (ServiceTier.IsToken(value) && !(_response.ServiceTier is { } known && SameAscii(value, known)))
        {
            _response.ServiceTier = StringOf(tier);
        }
    }

    private static bool SameAscii(ReadOnlySpan<byte> ascii, string text)
    {
        if (ascii.Length != text.Length)
        {
            return false;
        }

        for (var i = 0; i < ascii.Length; i++)
        {
            if (ascii[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>OpenAI's usage: its input counts include the cached tokens, its output the reasoning ones.</summary>
    private void TakeUsage(long input, long output, long cached, long reasoning)
    {
        if (input >= 0)
        {
            _response.ReportedInputTokens = input;
        }

        if (output >= 0)
        {
            _response.OutputTokens = output;
        }

        if (cached >= 0)
        {
            _response.CacheReadInputTokens = cached;
        }

        if (reasoning >= 0)
        {
            _response.ReasoningOutputTokens = reasoning;
        }
    }

    /// <summary>
    /// Anthropic's usage: its <c>input_tokens</c> leave out the cache reads and writes, which
    /// <see cref="ResponseFacts.InputTokens"/> adds.
    /// </summary>
    private void TakeAnthropicUsage(in UsageNumbers usage)
    {
        _response.InputExcludesCache = true;
        TakeUsage(usage.Input, usage.Output, usage.CacheRead, reasoning: -1);
        if (usage.CacheCreation >= 0)
        {
            _response.CacheCreationInputTokens = usage.CacheCreation;
        }

        // The writes by cache lifetime (usage.cache_creation): message_start states them, message_delta's
        // running total leaves them out, so a later document without them keeps what was said.
        if (usage.CacheCreation5m >= 0)
        {
            _response.CacheCreation5mInputTokens = usage.CacheCreation5m;
        }

        if (usage.CacheCreation1h >= 0)
        {
            _response.CacheCreation1hInputTokens = usage.CacheCreation1h;
        }
    }
}
