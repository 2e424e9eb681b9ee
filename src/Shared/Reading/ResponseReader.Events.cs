using System;

namespace TracedLlm.Reading;

// ResponseReader: the event stream's framing (WHATWG): fields and lines, an event's data through the
// scanner, its type as far as `error` goes, and each event dispatched at its blank line.
internal sealed partial class ResponseReader
{
    private void WriteEvents(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_afterCarriageReturn)
            {
                _afterCarriageReturn = false;
                if (data[i] == (byte)'\n')
                {
                    i++;
                    _offset++;
                    continue;
                }
            }

            switch (_line)
            {
                case LineState.Start:
                {
                    var b = data[i];
                    if (b is (byte)'\r' or (byte)'\n')
                    {
                        i++;
                        _offset++;
                        _afterCarriageReturn = b == (byte)'\r';
                        Dispatch();
                        continue;
                    }

                    if (_eventStart < 0)
                    {
                        _eventStart = _offset;
                    }

                    _fieldLength = 0;
                    _line = b == (byte)':' ? LineState.Ignored : LineState.FieldName;
                    continue;
                }

                case LineState.FieldName:
                {
                    var b = data[i++];
                    _offset++;
                    if (b == (byte)':')
                    {
                        BeginField();
                        _line = LineState.ValueStart;
                    }
                    else if (b is (byte)'\r' or (byte)'\n')
                    {
                        // A line with no colon is a field with an empty value.
                        _afterCarriageReturn = b == (byte)'\r';
                        BeginField();
                        _line = LineState.Start;
                    }
                    else if (_fieldLength < Bytes8.Length)
                    {
                        _field[_fieldLength++] = b;
                    }
                    else
                    {
                        _fieldLength = Bytes8.Length + 1;
                    }

                    continue;
                }

                case LineState.ValueStart:
                    if (data[i] == (byte)' ')
                    {
                        i++;
                        _offset++;
                    }

                    _line = LineState.Value;
                    continue;

                default:
                {
                    var rest = data[i..];
                    var end = rest.IndexOfAny((byte)'\r', (byte)'\n');
                    var value = end < 0 ? rest : rest[..end];
                    if (_line == LineState.Value && _isDataField)
                    {
                        AppendData(value);
                    }
                    else if (_line == LineState.Value && _isEventField)
                    {
                        AppendEventType(value);
                    }

                    i += value.Length;
                    _offset += value.Length;
                    if (end >= 0)
                    {
                        _afterCarriageReturn = rest[end] == (byte)'\r';
                        i++;
                        _offset++;
                        _line = LineState.Start;
                    }

                    continue;
                }
            }
        }
    }

    private void BeginField()
    {
        _isDataField = _fieldLength == 4 && ((ReadOnlySpan<byte>)_field)[..4].SequenceEqual("data"u8);
        _isEventField = _fieldLength == 5 && ((ReadOnlySpan<byte>)_field)[..5].SequenceEqual("event"u8);
        if (_isEventField)
        {
            // The last `event:` line of an event names it.
            _eventTypeLength = 0;
        }

        if (!_isDataField)
        {
            return;
        }

        if (!_eventHasData)
        {
            _eventHasData = true;
            _dataLength = 0;
            Scanner.Reset();
            Document.Reset();
        }
        else
        {
            // The event's data lines are one text, joined by line feeds.
            AppendData("\n"u8);
        }
    }

    private void AppendData(ReadOnlySpan<byte> data)
    {
        if (_dataLength < Bytes8.Length)
        {
            var take = (int)Math.Min(data.Length, Bytes8.Length - _dataLength);
            data[..take].CopyTo(((Span<byte>)_dataStart)[(int)_dataLength..]);
        }

        _dataLength += data.Length;
        Scanner.Write(data);
    }

    private void AppendEventType(ReadOnlySpan<byte> value)
    {
        // Longer than any type it needs to tell apart: kept as "too long", never as a prefix.
        if (_eventTypeLength + value.Length > Bytes8.Length)
        {
            _eventTypeLength = Bytes8.Length + 1;
            return;
        }

        value.CopyTo(((Span<byte>)_eventType)[_eventTypeLength..]);
        _eventTypeLength += value.Length;
    }

    private bool IsDone() => _dataLength == 6 && ((ReadOnlySpan<byte>)_dataStart)[..6].SequenceEqual("[DONE]"u8);

    /// <summary>A blank line: the event is whole.</summary>
    private void Dispatch()
    {
        // An event the provider names `error` (Anthropic's, the Responses API's, and servers that name it
        // so whatever its data says) reports a failure inside a successful answer.
        if (_eventTypeLength == 5 && ((ReadOnlySpan<byte>)_eventType)[..5].SequenceEqual("error"u8))
        {
            Facts.ReportedError = true;
        }

        _eventTypeLength = 0;
        if (_eventHasData)
        {
            HasEvents = true;
            if (IsDone())
            {
                Facts.Terminal = true;
                TerminalEventStart = _eventStart;
            }
            else
            {
                if (EndDocument(isStreamEvent: true))
                {
                    TerminalEventStart = _eventStart;
                }

                _onEvent?.Invoke();
            }
        }

        _eventHasData = false;
        _eventStart = -1;
        EventBoundary = _offset;
    }

    /// <summary>Ends the current JSON document; true when it ends the response.</summary>
    private bool EndDocument(bool isStreamEvent)
    {
        if (!Scanner.End())
        {
            // Valid so far but cut short is a truncated body; anything else is not JSON.
            if (isStreamEvent || Scanner.Invalid)
            {
                Facts.Malformed = true;
            }

            return false;
        }

        // A whole JSON body is a whole response, whatever it says; a stream ends at its terminal event.
        if (Document.End(isStreamEvent) || !isStreamEvent)
        {
            Facts.Terminal = true;
            return true;
        }

        return false;
    }
}
