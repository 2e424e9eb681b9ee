using System;
using System.Buffers.Text;
using System.Text;
using static TracedLlm.Relay.Reading.JsonNames;

namespace TracedLlm.Relay.Reading;

/// <summary>
/// The facts of one JSON document of a response (a stream event, or a whole body), as the
/// <see cref="JsonScanner"/> hands them over, merged into the response's <see cref="ResponseFacts"/>
/// once the document ends. Short values are kept in one small buffer per document and become
/// strings only when the response does not know the fact yet, so a stream's repeated id and model
/// cost no allocation per event.
/// </summary>
internal sealed class DocumentFacts
{
    private const int ArenaBytes = 2048;
    private const int MaxFinishReasonsPerDocument = 8;

    private static readonly ulong IdPath = Path(Id);
    private static readonly ulong ModelPath = Path(Model);
    private static readonly ulong ObjectPath = Path(JsonNames.Object);
    private static readonly ulong TypePath = Path(JsonNames.Type);
    private static readonly ulong StatusPath = Path(Status);
    private static readonly ulong StopReasonPath = Path(StopReason);
    private static readonly ulong FinishReasonPath = Path(Choices, FinishReason);
    private static readonly ulong DeltaStopReasonPath = Path(Delta, StopReason);
    private static readonly ulong IncompleteReasonPath = Path(IncompleteDetails, Reason);
    private static readonly ulong MessageIdPath = Path(Message, Id);
    private static readonly ulong MessageModelPath = Path(Message, Model);
    private static readonly ulong ResponseIdPath = Path(Response, Id);
    private static readonly ulong ResponseModelPath = Path(Response, Model);
    private static readonly ulong ResponseStatusPath = Path(Response, Status);
    private static readonly ulong ResponseIncompleteReasonPath = Path(Response, IncompleteDetails, Reason);
    private static readonly ulong ErrorPath = Path(Error);
    private static readonly ulong ChoicesPath = Path(Choices);

    private ResponseFacts _response;
    private TextSink? _text;
    private readonly byte[] _arena = new byte[ArenaBytes];
    private int _arenaUsed;

    // Short values of this document: offset and length in the arena, length -1 when absent.
    private Slot _id, _model, _object, _type, _status, _stopReason, _deltaStopReason, _incompleteReason;
    private Slot _messageId, _messageModel, _responseId, _responseModel, _responseStatus, _responseIncompleteReason;
    private readonly Slot[] _finishReasons = new Slot[MaxFinishReasonsPerDocument];
    private int _finishReasonCount;

    // Token counts: -1 when absent.
    private long _promptTokens, _completionTokens, _inputTokens, _outputTokens;
    private long _messageInputTokens, _messageOutputTokens, _responseInputTokens, _responseOutputTokens;
    private bool _hasError, _hasChoices;

    public DocumentFacts(ResponseFacts response, TextSink? text)
    {
        _response = response;
        _text = text;
        Reset();
    }

    /// <summary>Feeds another response's facts and text (a <see cref="DocumentReading"/> taken again from its pool).</summary>
    public void Bind(ResponseFacts response, TextSink? text)
    {
        _response = response;
        _text = text;
        Reset();
    }

    private readonly record struct Slot(int Offset, int Length)
    {
        public static readonly Slot None = new(0, -1);

        public bool Present => Length >= 0;
    }

    /// <summary>Forgets the previous document's facts.</summary>
    public void Reset()
    {
        _arenaUsed = 0;
        _id = _model = _object = _type = _status = _stopReason = _deltaStopReason = _incompleteReason = Slot.None;
        _messageId = _messageModel = _responseId = _responseModel = _responseStatus = _responseIncompleteReason = Slot.None;
        _finishReasonCount = 0;
        _promptTokens = _completionTokens = _inputTokens = _outputTokens = -1;
        _messageInputTokens = _messageOutputTokens = _responseInputTokens = _responseOutputTokens = -1;
        _hasError = _hasChoices = false;
    }

    public StringInterest InterestIn(ulong path)
    {
        if (path is <= 0xFF)
        {
            // Top level: the short values, and the Responses API's text delta.
            return path switch
            {
                Id or Model or JsonNames.Object or JsonNames.Type or Status or StopReason => StringInterest.Value,
                Delta when _text is not null && Is(_type, "response.output_text.delta"u8) => StringInterest.Text,
                _ => StringInterest.None,
            };
        }

        if (path == FinishReasonPath || path == DeltaStopReasonPath || path == IncompleteReasonPath
            || path == MessageIdPath || path == MessageModelPath || path == ResponseIdPath || path == ResponseModelPath
            || path == ResponseStatusPath || path == ResponseIncompleteReasonPath)
        {
            return StringInterest.Value;
        }

        if (_text is not null
            && (path == Path(Choices, Delta, Content) || path == Path(Choices, Message, Content) || path == Path(Delta, Text)
                || path == Path(Content, Text) || path == Path(Output, Content, Text)))
        {
            return StringInterest.Text;
        }

        return StringInterest.None;
    }

    public void OnString(ulong path, ReadOnlySpan<byte> raw, bool escaped)
    {
        if (escaped)
        {
            // Rare in these fields: unescaped once, here.
            raw = Unescape(raw);
        }

        if (path == FinishReasonPath)
        {
            if (_finishReasonCount < MaxFinishReasonsPerDocument)
            {
                _finishReasons[_finishReasonCount++] = Keep(raw);
            }

            return;
        }

        var slot = Keep(raw);
        if (path == IdPath) _id = slot;
        else if (path == ModelPath) _model = slot;
        else if (path == ObjectPath) _object = slot;
        else if (path == TypePath) _type = slot;
        else if (path == StatusPath) _status = slot;
        else if (path == StopReasonPath) _stopReason = slot;
        else if (path == DeltaStopReasonPath) _deltaStopReason = slot;
        else if (path == IncompleteReasonPath) _incompleteReason = slot;
        else if (path == MessageIdPath) _messageId = slot;
        else if (path == MessageModelPath) _messageModel = slot;
        else if (path == ResponseIdPath) _responseId = slot;
        else if (path == ResponseModelPath) _responseModel = slot;
        else if (path == ResponseStatusPath) _responseStatus = slot;
        else if (path == ResponseIncompleteReasonPath) _responseIncompleteReason = slot;
    }

    public static bool WantsNumber(ulong path) => (path >> 8) is Usage or ((ulong)Message << 8 | Usage) or ((ulong)Response << 8 | Usage);

    public void OnNumber(ulong path, ReadOnlySpan<byte> raw)
    {
        if (!Utf8Parser.TryParse(raw, out long value, out var consumed) || consumed != raw.Length || value < 0)
        {
            return;
        }

        var parent = path >> 8;
        var name = (byte)path;
        switch (parent, name)
        {
            case (Usage, PromptTokens): _promptTokens = value; break;
            case (Usage, CompletionTokens): _completionTokens = value; break;
            case (Usage, InputTokens): _inputTokens = value; break;
            case (Usage, OutputTokens): _outputTokens = value; break;
            case ((ulong)Message << 8 | Usage, InputTokens): _messageInputTokens = value; break;
            case ((ulong)Message << 8 | Usage, OutputTokens): _messageOutputTokens = value; break;
            case ((ulong)Response << 8 | Usage, InputTokens): _responseInputTokens = value; break;
            case ((ulong)Response << 8 | Usage, OutputTokens): _responseOutputTokens = value; break;
        }
    }

    public void OnObject(ulong path)
    {
        if (path == ErrorPath)
        {
            _hasError = true;
        }
        else if (path == ChoicesPath)
        {
            _hasChoices = true;
        }
    }

    public void OnText(ReadOnlySpan<byte> utf8) => _text?.Append(utf8);

    /// <summary>
    /// Merges the whole document into the response. Returns true when this document ends the response
    /// (a terminal event or a whole body).
    /// </summary>
    public bool End(bool isStreamEvent)
    {
        if (Is(_type, "error"u8) || (_hasError && !_hasChoices && !_type.Present && !_object.Present))
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

        if (StartsWith(_object, "chat.completion"u8) || _hasChoices)
        {
            SetFormat(ResponseFormat.OpenAIChatCompletions);
            TakeIdentity(_id, _model);
            for (var i = 0; i < _finishReasonCount; i++)
            {
                _response.AddFinishReason(StringOf(_finishReasons[i]));
            }

            TakeUsage(_promptTokens, _completionTokens);
            return !isStreamEvent;
        }

        if (!isStreamEvent)
        {
            // Another kind of body (embeddings, a legacy completion): its usage, if it states one.
            TakeUsage(_promptTokens >= 0 ? _promptTokens : _inputTokens, _completionTokens >= 0 ? _completionTokens : _outputTokens);
        }

        return false;
    }

    private bool IsAnthropic() =>
        Is(_type, "message"u8) || Is(_type, "message_start"u8) || Is(_type, "message_delta"u8) || Is(_type, "message_stop"u8)
        || Is(_type, "content_block_start"u8) || Is(_type, "content_block_delta"u8) || Is(_type, "content_block_stop"u8) || Is(_type, "ping"u8);

    private bool EndAnthropic(bool isStreamEvent)
    {
        SetFormat(ResponseFormat.AnthropicMessages);
        if (Is(_type, "message_start"u8))
        {
            TakeIdentity(_messageId, _messageModel);
            TakeUsage(_messageInputTokens, _messageOutputTokens);
            return false;
        }

        if (Is(_type, "message_delta"u8))
        {
            if (_deltaStopReason.Present)
            {
                _response.AddFinishReason(StringOf(_deltaStopReason));
            }

            // message_delta's usage is the running total so far.
            TakeUsage(_inputTokens, _outputTokens);
            return false;
        }

        if (Is(_type, "message"u8))
        {
            TakeIdentity(_id, _model);
            if (_stopReason.Present)
            {
                _response.AddFinishReason(StringOf(_stopReason));
            }

            TakeUsage(_inputTokens, _outputTokens);
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
            TakeUsage(_inputTokens, _outputTokens);
            TakeOutcome(_status, _incompleteReason);
            return !isStreamEvent;
        }

        TakeIdentity(_responseId, _responseModel);
        if (Is(_type, "response.completed"u8) || Is(_type, "response.incomplete"u8) || Is(_type, "response.failed"u8))
        {
            TakeUsage(_responseInputTokens, _responseOutputTokens);
            TakeOutcome(_responseStatus, _responseIncompleteReason);
            return true;
        }

        return false;
    }

    /// <summary>A Responses API answer has no finish reason: its status says how it ended (<c>completed</c>), or why it is incomplete (<c>max_output_tokens</c>).</summary>
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

    private void TakeUsage(long input, long output)
    {
        if (input >= 0)
        {
            _response.InputTokens = input;
        }

        if (output >= 0)
        {
            _response.OutputTokens = output;
        }
    }

    private Slot Keep(ReadOnlySpan<byte> value)
    {
        if (_arenaUsed + value.Length > ArenaBytes)
        {
            return Slot.None;
        }

        value.CopyTo(_arena.AsSpan(_arenaUsed));
        var slot = new Slot(_arenaUsed, value.Length);
        _arenaUsed += value.Length;
        return slot;
    }

    private bool Is(Slot slot, ReadOnlySpan<byte> expected) => slot.Present && _arena.AsSpan(slot.Offset, slot.Length).SequenceEqual(expected);

    private bool StartsWith(Slot slot, ReadOnlySpan<byte> prefix) => slot.Present && _arena.AsSpan(slot.Offset, slot.Length).StartsWith(prefix);

    private string StringOf(Slot slot) => Encoding.UTF8.GetString(_arena, slot.Offset, slot.Length);

    /// <summary>A JSON string's escapes resolved: its bytes, quoted, through System.Text.Json's reader.</summary>
    private static byte[] Unescape(ReadOnlySpan<byte> raw)
    {
        var quoted = new byte[raw.Length + 2];
        quoted[0] = (byte)'"';
        raw.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        var reader = new System.Text.Json.Utf8JsonReader(quoted);
        try
        {
            reader.Read();
            return Encoding.UTF8.GetBytes(reader.GetString() ?? string.Empty);
        }
        catch (System.Text.Json.JsonException)
        {
            return raw.ToArray();
        }
        catch (InvalidOperationException)
        {
            return raw.ToArray();
        }
    }
}
