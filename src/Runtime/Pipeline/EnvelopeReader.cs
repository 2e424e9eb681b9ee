using System;
using System.ComponentModel;
using System.Text.Json;

namespace TracedLlm.Pipeline;

/// <summary>
/// State of a route's generated body reader. The generated code owns the
/// <see cref="Utf8JsonReader"/> loop and matches the slot name as its own constant; this type
/// reads the values, cuts the slot out of the body, and checks as it goes that the body reads one
/// way only (<see cref="PropertyNameCheck"/>). For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct EnvelopeReader
{
    private readonly ReadOnlyMemory<byte> _body;
    private readonly string _slot;
    private readonly TracedLlmOptions _options;
    private readonly PropertyNameCheck _check;
    private LlmMetadata _metadata;
    private string? _model;
    private bool _stream;
    private double? _temperature;
    private double? _topP;
    private long? _maxTokens;
    private long? _maxCompletionTokens;
    private long _previousValueEnd;
    private long _propertyStart;
    private long _slotStart;
    private long _slotEnd;
    private long _slotPreviousValueEnd;
    private bool _slotSeen;

    /// <summary>
    /// Starts reading <paramref name="body"/> for a route whose slot is <paramref name="slot"/> and
    /// whose request type binds <paramref name="shape"/>.
    /// </summary>
    public EnvelopeReader(ReadOnlyMemory<byte> body, string slot, TracedLlmOptions options, RequestShape shape)
    {
        _body = body;
        _slot = slot;
        _options = options;
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
            throw new InvalidLlmRequestException("The request body is empty: send a JSON object.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidLlmRequestException($"The request body must be a JSON object, not {LlmMetadata.Describe(reader.TokenType)}.");
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
            // On a copy: the slot's depth is bounded before its values are read.
            var copy = reader;
            if (!_check.Value(ref copy, _options.MaxMetadataDepth))
            {
                throw new InvalidLlmRequestException($"'{_slot}' is nested deeper than {_options.MaxMetadataDepth} levels.");
            }

            _metadata = LlmMetadata.Read(ref reader, _body.Span, _slot, _options);
        }
        catch (JsonException exception)
        {
            throw NotJson(exception);
        }

        _slotEnd = reader.BytesConsumed;
        if (_slotEnd - valueStart > _options.MaxMetadataBytes)
        {
            throw new InvalidLlmRequestException($"'{_slot}' is larger than the limit of {_options.MaxMetadataBytes} bytes.");
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
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                reader.Read();
                _maxCompletionTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var m) ? m : null;
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
        var parameters = new EnvelopeParameters(_model, _stream, _temperature, _topP, _maxCompletionTokens ?? _maxTokens);
        return new RequestEnvelope(_body, _slotSeen ? WithoutSlot() : _body, _metadata, parameters, error: null);
    }

    private readonly ReadOnlyMemory<byte> WithoutSlot()
    {
        var span = _body.Span;
        long cutStart;
        long cutEnd;
        if (_slotPreviousValueEnd >= 0)
        {
            // Not the first property: cut from the end of the previous value, taking the comma before the slot.
            cutStart = _slotPreviousValueEnd;
            cutEnd = _slotEnd;
        }
        else
        {
            // The first property: cut the slot and the comma after it, if another property follows.
            cutStart = _slotStart;
            cutEnd = _slotEnd;
            var next = cutEnd;
            while (next < span.Length && IsJsonWhiteSpace(span[(int)next]))
            {
                next++;
            }

            if (next < span.Length && span[(int)next] == (byte)',')
            {
                cutEnd = next + 1;
            }
        }

        var result = new byte[span.Length - (cutEnd - cutStart)];
        span[..(int)cutStart].CopyTo(result);
        span[(int)cutEnd..].CopyTo(result.AsSpan((int)cutStart));
        return result;
    }

    /// <summary>Reads the next token; a body that is not JSON is the client's mistake, said in its terms (<see cref="JsonSyntax"/>).</summary>
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

    private readonly InvalidLlmRequestException NotJson(JsonException exception) => new(JsonSyntax.Describe(_body.Span), exception);

    private static bool IsJsonWhiteSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
