using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Text.Json;
using TracedLlm.Reading;

namespace TracedLlm.Pipeline;

/// <summary>
/// State of a route's generated body reader. The generated code owns the
/// <see cref="Utf8JsonReader"/> loop and matches the slot name as its own constant; this type
/// reads the values, cuts the slot out of the body, and checks as it goes that the body reads one
/// way only (<see cref="PropertyNameCheck"/>). For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public partial struct EnvelopeReader
{
    private readonly ReadOnlyMemory<byte> _body;
    private readonly string _slot;
    private readonly TracedLlmOptions _options;
    private readonly PropertyNameCheck _check;
    private readonly bool _shared;
    private readonly bool _lenient;
    private List<(long Start, long End)>? _providerKeys;
    private long _slotValueStart;
    private LlmMetadata _metadata;
    private string? _model;
    private bool _stream;
    private double? _temperature;
    private double? _topP;
    private long? _maxTokens;
    private long? _maxCompletionTokens;
    private string? _serviceTier;
    private long _previousValueEnd;
    private long _propertyStart;
    private long _slotStart;
    private long _slotEnd;
    private long _slotPreviousValueEnd;
    private bool _slotSeen;

    // A slot value left in the body as it came: the provider's (a shared slot), or one the app never read.
    private bool _slotLeft;

    /// <summary>
    /// Starts reading <paramref name="body"/> for a route whose slot is <paramref name="slot"/> and
    /// whose request type binds <paramref name="shape"/>.
    /// </summary>
    public EnvelopeReader(ReadOnlyMemory<byte> body, string slot, TracedLlmOptions options, RequestShape shape)
        : this(body, slot, MetadataSlotMode.Gateway, options, shape)
    {
    }

    /// <summary>
    /// Starts reading <paramref name="body"/> for a route whose slot is <paramref name="slot"/>, the
    /// gateway's or shared with the provider's field of that name, and whose request type binds
    /// <paramref name="shape"/>.
    /// </summary>
    public EnvelopeReader(
        ReadOnlyMemory<byte> body, string slot, MetadataSlotMode mode, TracedLlmOptions options, RequestShape shape)
        : this(body, slot, mode, options, shape, strictMetadata: true)
    {
    }

    /// <summary>
    /// Starts reading <paramref name="body"/> for a route whose slot is <paramref name="slot"/>. Unless
    /// <paramref name="strictMetadata"/> or <see cref="TracedLlmOptions.StrictMetadata"/> says so, a slot
    /// value that is not an object stays in the body as sent, and a recognised key of another JSON
    /// type is not read: the route's body type has no member of the slot's name, so the app never read it.
    /// </summary>
    public EnvelopeReader(
        ReadOnlyMemory<byte> body,
        string slot,
        MetadataSlotMode mode,
        TracedLlmOptions options,
        RequestShape shape,
        bool strictMetadata)
    {
        _body = body;
        _slot = slot;
        _options = options;
        _shared = mode == MetadataSlotMode.Shared;
        _lenient = !strictMetadata && !options.StrictMetadata;
        _metadata = LlmMetadata.Empty;
        _previousValueEnd = -1;
        _check = PropertyNameCheck.Start(body, shape, slot);
    }

    /// <summary>The reader options every route uses.</summary>
    public static JsonReaderOptions ReaderOptions { get; } = new() { MaxDepth = 64 };

    /// <summary>Reads the opening brace; throws when the body is not a JSON object.</summary>
    public readonly void ReadStart(ref Utf8JsonReader reader)
    {
        if (!Read(ref reader))
        {
            throw new InvalidLlmRequestException("The request body is empty: send a JSON object.")
            {
                NotReadable = true,
                UnreadBody = _body,
            };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var actual = LlmMetadata.Describe(reader.TokenType);
            throw new InvalidLlmRequestException($"The request body must be a JSON object, not {actual}.")
            {
                NotReadable = true,
                UnreadBody = _body,
            };
        }
    }

    /// <summary>Moves to the next top-level property name; false at the closing brace.</summary>
    public bool ReadPropertyName(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            // The closing brace: anything but white space after it is not JSON.
            _check.EndRoot();
            Read(ref reader);
            return false;
        }

        _propertyStart = reader.TokenStartIndex;
        _check.RootProperty(ref reader);
        return true;
    }

    /// <summary>Reads the value of the route's metadata slot (the reader is on its name).</summary>
    public void ReadSlot(ref Utf8JsonReader reader)
    {
        if (_slotSeen)
        {
            throw _check.Repeated();
        }

        _slotSeen = true;
        _slotStart = _propertyStart;
        _slotPreviousValueEnd = _previousValueEnd;
        Read(ref reader);
        var valueStart = reader.TokenStartIndex;
        try
        {
            if ((_shared && reader.TokenType != JsonTokenType.StartObject)
                || (_lenient && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null)))
            {
                // Not gateway metadata: the provider's own value, or one the app never read, left as it came
                // (its objects still checked).
                _check.Value(ref reader);
                _previousValueEnd = reader.BytesConsumed;
                _slotLeft = true;
                return;
            }

            // On a copy: the slot's depth is bounded before its values are read.
            var copy = reader;
            if (!_check.Value(ref copy, _options.MaxMetadataDepth))
            {
                throw SlotRefusal($"'{_slot}' is nested deeper than {_options.MaxMetadataDepth} levels.");
            }

            _providerKeys = _shared ? new List<(long, long)>() : null;
            _metadata = LlmMetadata.Read(ref reader, _body.Span, _slot, _options, _providerKeys, _lenient);
        }
        catch (JsonException exception)
        {
            throw NotJson(exception);
        }

        _slotValueStart = valueStart;
        _slotEnd = reader.BytesConsumed;
        if (_slotEnd - valueStart > _options.MaxMetadataBytes)
        {
            throw SlotRefusal($"'{_slot}' is larger than the limit of {_options.MaxMetadataBytes} bytes.");
        }

        _previousValueEnd = _slotEnd;
    }

    /// <summary>
    /// Reads or skips any other top-level property (the reader is on its name). A known field of
    /// the wrong shape is skipped whole, whatever it holds (an object with a <c>metadata</c> inside
    /// is not the slot): the handler's deserializer reports it.
    /// </summary>
    public void ReadOtherProperty(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                _model = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                _stream = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("temperature"u8))
            {
                reader.Read();
                _temperature = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var t) ? t : null;
            }
            else if (reader.ValueTextEquals("top_p"u8))
            {
                reader.Read();
                _topP = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var p) ? p : null;
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                _maxTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var m) ? m : null;
            }
            else if (reader.ValueTextEquals("service_tier"u8))
            {
                reader.Read();
                _serviceTier = ServiceTierOf(ref reader);
            }
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                reader.Read();
                _maxCompletionTokens =
                    reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var m) ? m : null;
            }
            else
            {
                reader.Read();
            }

            // On a scalar this stays where it is; on an object or array it moves to the value's end,
            // checking every object in it.
            _check.Value(ref reader);
        }
        catch (JsonException exception)
        {
            throw NotJson(exception);
        }

        _previousValueEnd = reader.BytesConsumed;
    }

    /// <summary>
    /// The envelope: metadata, parameters, and the body with the slot cut out. The output limit is
    /// <c>max_completion_tokens</c> when the body has it (OpenAI's current name), else
    /// <c>max_tokens</c>, whatever their order.
    /// </summary>
    public readonly RequestEnvelope Build()
    {
        _check.Finish();
        var parameters = new EnvelopeParameters(
            _model, _stream, _temperature, _topP, _maxCompletionTokens ?? _maxTokens) { ServiceTier = _serviceTier };
        return new RequestEnvelope(_body, UpstreamBody(), _metadata, parameters, error: null);
    }

    /// <summary>
    /// Reads the next token; a body that is not JSON is the client's mistake, said in its terms
    /// (<see cref="JsonSyntax"/>).
    /// </summary>
    private readonly bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException exception)
        {
            throw NotJson(exception);
        }
    }

    /// <summary>
    /// The request's <c>service_tier</c> when it is a short token (<see cref="ServiceTier"/>); anything
    /// else is left to the provider to refuse and is not recorded. Only a value short enough to be a
    /// tier, escapes included, becomes a string.
    /// </summary>
    private static string? ServiceTierOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length > ServiceTier.MaxLength * 6)
        {
            return null;
        }

        if (!reader.ValueIsEscaped)
        {
            return ServiceTier.IsToken(reader.ValueSpan) ? reader.GetString() : null;
        }

        Span<char> unescaped = stackalloc char[ServiceTier.MaxLength * 6];
        try
        {
            var length = reader.CopyString(unescaped);
            return ServiceTier.IsToken(unescaped[..length]) ? new string(unescaped[..length]) : null;
        }
        catch (InvalidOperationException)
        {
            // An escape no string can hold (a lone surrogate): not a tier.
            return null;
        }
    }

    private readonly InvalidLlmRequestException NotJson(JsonException exception) =>
        new(JsonSyntax.Describe(_body.Span), exception) { NotReadable = true, UnreadBody = _body };

    private readonly InvalidLlmRequestException SlotRefusal(string message) => new(message) { JsonPath = "$." + _slot };
}
