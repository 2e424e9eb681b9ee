using System;
using TracedLlm.Reading;

namespace TracedLlm.Telemetry;

/// <summary>A handler's streamed answer as <c>gen_ai.output.messages</c> will hold it.</summary>
/// <remarks>
/// The text deltas of its chunks and the last finish reason, kept up to what the capture keeps
/// (<see cref="TracedLlmOptions.MaxContentLength"/>, as UTF-8 bytes of that many characters); past it only the finish
/// reason is. Made only in <see cref="SemanticConventionMode.GenAiLatestExperimental"/> with content capture on.
/// Each chunk is read by the relay's reader (<see cref="DocumentFacts"/> through its
/// <see cref="JsonScanner"/>, one pooled pair for the stream), so the providers' text-delta paths
/// (<c>DocumentFacts.InterestIn</c>) and finish reasons are described in one place for the relay,
/// <c>UseTracedLlm()</c> and a typed handler's chunks (issue 70, item 13). The relay's path is
/// unchanged by it; a typed stream no longer builds a <c>JsonDocument</c> per chunk.
/// </remarks>
internal sealed class StreamedOutput
{
    private readonly ResponseFacts _facts = new();
    private readonly TextSink _text;

    // Taken from the pool for this stream, given back by Complete (null after that).
    private DocumentReading? _reading;

    public StreamedOutput(int maxContent)
    {
        // As the relay keeps a stream's text (RelayRun): one character more than the limit, at up to 4 bytes each.
        _text = new TextSink((maxContent + 1) * 4);
        _reading = DocumentReading.Rent(_facts, _text);
    }

    /// <summary>The last finish reason a chunk stated, as it came (mapped when the messages are written).</summary>
    public string? FinishReason => _facts.FinishReasons is { Length: > 0 } reasons ? reasons[^1] : null;

    public string Text => _text.ToString();

    /// <summary>Reads one serialized chunk; one that is not JSON adds nothing.</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        if (_reading is not { } reading)
        {
            return;
        }

        reading.Scanner.Reset();
        reading.Document.Reset();
        reading.Scanner.Write(json);
        if (reading.Scanner.End())
        {
            reading.Document.End(isStreamEvent: true);
        }
    }

    /// <summary>Gives the reader back to its pool; the text and finish reason stay readable.</summary>
    public void Complete()
    {
        _reading?.Return();
        _reading = null;
    }
}
