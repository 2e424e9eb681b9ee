using System;
using System.Buffers;

namespace TracedLlm.Reading;

/// <summary>How a response body is read: as server-sent events, as one JSON document, or not at all.</summary>
internal enum BodyKind : byte
{
    Other,
    EventStream,
    Json,
}

/// <summary>Reads a relayed response body as it passes, in pieces of any size and in fixed memory.</summary>
/// <remarks>
/// A server-sent event stream is read event by event (the WHATWG framing: <c>data:</c> lines joined, blank line ends an
/// event, <c>\n</c>, <c>\r\n</c> or <c>\r</c> ends a line, comments skipped), each event's data (or a JSON body)
/// through one <see cref="JsonScanner"/>, the facts merged into <see cref="Facts"/>. It also says where the last whole
/// event ended and where the stream's terminal event began, so a relay can hold that one back.
/// System.Net.ServerSentEvents' SseParser reads by pulling from a stream; here the forwarder's copy loop owns the reads
/// and the reader is pushed what passes, so the framing is this class's.
/// </remarks>
internal sealed partial class ResponseReader
{
    private readonly BodyKind _kind;
    // Taken from the pool for this response, given back when it completes (null after that).
    private DocumentReading? _reading;

    private JsonScanner Scanner => _reading!.Scanner;

    private DocumentFacts Document => _reading!.Document;
    private readonly Action? _onEvent;
    // The first bytes of an event's data and of a line's field name, held in the reader itself (no arrays a response).
    private Bytes8 _dataStart;
    private LineState _line = LineState.Start;
    private Bytes8 _field;
    private int _fieldLength;
    private bool _afterCarriageReturn;
    private bool _isDataField;
    private bool _isEventField;

    // The current event's type (its `event:` field), as far as it tells "error" from the rest.
    private Bytes8 _eventType;
    private int _eventTypeLength;
    private bool _eventHasData;
    private long _dataLength;
    private long _eventStart = -1;
    private long _offset;
    private bool _completed;

    public ResponseReader(BodyKind kind, TextSink? text, Action? onEvent, TextSink? body = null)
    {
        _kind = kind;
        Text = text;
        Body = kind == BodyKind.Json ? body : null;
        _onEvent = onEvent;
        _reading = DocumentReading.Rent(Facts, text);
    }

    private enum LineState : byte
    {
        Start,
        FieldName,
        ValueStart,
        Value,
        Ignored,
    }

    public BodyKind Kind => _kind;

    /// <summary>
    /// How a response's body is read: server-sent events, one JSON document (<c>application/json</c>, <c>+json</c>), or
    /// not at all.
    /// </summary>
    public static BodyKind KindOf(System.Net.Http.HttpResponseMessage response)
    {
        if (UpstreamHttp.IsEventStream(response))
        {
            return BodyKind.EventStream;
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        return mediaType is not null
            && (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase)
                || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            ? BodyKind.Json
            : BodyKind.Other;
    }

    public ResponseFacts Facts { get; } = new();

    public TextSink? Text { get; }

    /// <summary>The start of a JSON body as it is (decoded), for content capture; null when it is not kept.</summary>
    public TextSink? Body { get; }

    /// <summary>Where the last whole event of a stream ended (everything before it may be passed on).</summary>
    public long EventBoundary { get; private set; }

    /// <summary>
    /// A stream's first event with data has come (a stream of none said nothing, whatever its format).
    /// </summary>
    public bool HasEvents { get; private set; }

    /// <summary>The bytes so far end inside an event (a line begun, or lines not yet ended by a blank one).</summary>
    public bool InEvent => _line != LineState.Start || _eventStart >= 0;

    /// <summary>Where the stream's terminal event began, or -1 before it came.</summary>
    public long TerminalEventStart { get; private set; } = -1;

    /// <summary>Reads the next piece of the body.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_completed)
        {
            return;
        }

        if (_kind == BodyKind.Json)
        {
            _offset += data.Length;
            Scanner.Write(data);
            Body?.Append(data);
        }
        else if (_kind == BodyKind.EventStream)
        {
            WriteEvents(data);
        }
        else
        {
            _offset += data.Length;
        }
    }

    /// <summary>The body ended.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (_kind == BodyKind.Json)
        {
            EndDocument(isStreamEvent: false);
        }
        else if (_kind == BodyKind.EventStream && (_eventHasData || _line != LineState.Start))
        {
            // The stream ended before an event's blank line. An event that is whole anyway ("data:
            // [DONE]" with one newline) still counts; anything else was cut off.
            if (_eventHasData && (IsDone() || Scanner.End()))
            {
                Dispatch();
            }
            else
            {
                Facts.EndedMidEvent = true;
            }
        }

        _reading!.Return();
        _reading = null;
    }

    /// <summary>
    /// What the body's end says, once it is complete: null when the response was whole, else the failure naming
    /// how it was not.
    /// </summary>
    /// <remarks>
    /// Not valid JSON, an event that cannot be read, cut off before its last event, an error the provider reported
    /// inside a successful answer: each as the attempt policy and the failure path name them.
    /// </remarks>
    public Exception? Failure()
    {
        var facts = Facts;
        if (facts.Malformed)
        {
            return _kind == BodyKind.EventStream
                ? UpstreamHttp.UnreadableEvent()
                : new UpstreamBadResponseException(
                    "The upstream provider answered with a body that is not valid JSON.");
        }

        // An error the provider reported says why the answer ended where it did: it comes before the cut.
        if (facts.ReportedError)
        {
            return UpstreamHttp.ReportedError();
        }

        // A stream with no event at all has no format to know its last event by, and is no answer either: an
        // empty 200 would look whole to its client. It ended before its last event, as one cut off does.
        if (_kind == BodyKind.EventStream
            && (facts.EndedMidEvent || (!facts.Terminal && (facts.Format != ResponseFormat.Unknown || !HasEvents))))
        {
            return UpstreamHttp.Truncated();
        }

        if (_kind == BodyKind.Json && !facts.Terminal)
        {
            return UpstreamHttp.Truncated();
        }

        return null;
    }
}

/// <summary>Eight bytes inline, for the reader's short prefixes.</summary>
[System.Runtime.CompilerServices.InlineArray(Length)]
internal struct Bytes8
{
    public const int Length = 8;

    private byte _first;
}
