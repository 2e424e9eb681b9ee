using System;
using System.Text;
using static TracedLlm.Reading.JsonNames;

namespace TracedLlm.Reading;

/// <summary>
/// The facts of one JSON document of a response (a stream event, or a whole body), as the
/// <see cref="JsonScanner"/> hands them over.
/// </summary>
/// <remarks>
/// They are merged into the response's <see cref="ResponseFacts"/> once the document ends. Short values are kept in one
/// small buffer per document and become strings only when the response does not know the fact yet, so a stream's
/// repeated id and model cost no allocation per event.
/// </remarks>
internal sealed partial class DocumentFacts
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
    private static readonly ulong ServiceTierPath = Path(JsonNames.ServiceTier);
    private static readonly ulong UsageServiceTierPath = Path(Usage, JsonNames.ServiceTier);
    private static readonly ulong MessageUsageServiceTierPath = Path(Message, Usage, JsonNames.ServiceTier);
    private static readonly ulong ResponseServiceTierPath = Path(Response, JsonNames.ServiceTier);

    private ResponseFacts _response;
    private TextSink? _text;
    private readonly byte[] _arena = new byte[ArenaBytes];
    private int _arenaUsed;

    // Short values of this document: offset and length in the arena, length -1 when absent.
    private Slot _id, _model, _object, _type, _status, _stopReason, _deltaStopReason, _incompleteReason;
    private Slot _messageId, _messageModel, _responseId, _responseModel, _responseStatus, _responseIncompleteReason;

    // The service tier at the top (OpenAI), in usage (Anthropic), in message.usage (message_start), in response (a
    // Responses API event).
    private Slot _serviceTier, _usageServiceTier, _messageServiceTier, _responseServiceTier;
    private readonly Slot[] _finishReasons = new Slot[MaxFinishReasonsPerDocument];
    private int _finishReasonCount;

    // Token counts of the usage objects at the top, in message (Anthropic's message_start) and in response (a Responses
    // API event).
    private UsageNumbers _usage, _messageUsage, _responseUsage;
    private bool _hasError, _hasChoices;

    public DocumentFacts(ResponseFacts response, TextSink? text)
    {
        _response = response;
        _text = text;
        Reset();
    }

    /// <summary>
    /// Feeds another response's facts and text (a <see cref="DocumentReading"/> taken again from its pool).
    /// </summary>
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

    /// <summary>
    /// The document's own top-level <c>model</c> as read so far, or null: a request body's model (an
    /// HttpClient attempt's target), which no response format's facts take.
    /// </summary>
    public string? TopLevelModel => _model.Present ? StringOf(_model) : null;

    /// <summary>Forgets the previous document's facts.</summary>
    public void Reset()
    {
        _arenaUsed = 0;
        _id = _model = _object = _type = _status = _stopReason = _deltaStopReason = _incompleteReason = Slot.None;
        _messageId =
            _messageModel =
            _responseId =
            _responseModel =
            _responseStatus =
            _responseIncompleteReason =
                Slot.None;
        _serviceTier = _usageServiceTier = _messageServiceTier = _responseServiceTier = Slot.None;
        _finishReasonCount = 0;
        _usage = _messageUsage = _responseUsage = UsageNumbers.None;
        _hasError = _hasChoices = false;
    }

    public StringInterest InterestIn(ulong path)
    {
        if (path is <= 0xFF)
        {
            // Top level: the short values, and the Responses API's text delta.
            return path switch
            {
                Id or Model or JsonNames.Object or JsonNames.Type or Status or StopReason or JsonNames.ServiceTier =>
                    StringInterest.Value,
                Delta when _text is not null && Is(_type, "response.output_text.delta"u8) => StringInterest.Text,
                _ => StringInterest.None,
            };
        }

        if (path == FinishReasonPath || path == DeltaStopReasonPath || path == IncompleteReasonPath
            || path == MessageIdPath || path == MessageModelPath || path == ResponseIdPath || path == ResponseModelPath
            || path == ResponseStatusPath || path == ResponseIncompleteReasonPath
            || path == UsageServiceTierPath || path == MessageUsageServiceTierPath || path == ResponseServiceTierPath)
        {
            return StringInterest.Value;
        }

        // The providers' text paths, for the relay, UseTracedLlm() and a typed handler's chunks (StreamedOutput):
        // OpenAI chat (a chunk's delta, a body's message), legacy completions (a choice's text), Anthropic (a
        // content_block_delta's delta, a body's content blocks), the Responses API (a body's output items).
        if (_text is not null
            && (path == Path(Choices, Delta, Content)
                || path == Path(Choices, Message, Content)
                || path == Path(Choices, Text)
                || path == Path(Delta, Text)
                || path == Path(Content, Text)
                || path == Path(Output, Content, Text)))
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
        else if (path == ServiceTierPath) _serviceTier = slot;
        else if (path == UsageServiceTierPath) _usageServiceTier = slot;
        else if (path == MessageUsageServiceTierPath) _messageServiceTier = slot;
        else if (path == ResponseServiceTierPath) _responseServiceTier = slot;
    }

    public static bool WantsNumber(ulong path) => UsageRoot(path, out _, out _);

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

    /// <summary>
    /// An array starts: a <c>choices</c> array, empty too, says a chat completion (the usage-only last chunk of a
    /// stream, <c>"choices":[]</c>, which some providers send without <c>"object"</c>).
    /// </summary>
    public void OnArray(ulong path) => _hasChoices |= path == ChoicesPath;

    public void OnText(ReadOnlySpan<byte> utf8) => _text?.Append(utf8);

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

    private bool Is(Slot slot, ReadOnlySpan<byte> expected) =>
        slot.Present && _arena.AsSpan(slot.Offset, slot.Length).SequenceEqual(expected);

    private bool StartsWith(Slot slot, ReadOnlySpan<byte> prefix) =>
        slot.Present && _arena.AsSpan(slot.Offset, slot.Length).StartsWith(prefix);

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
