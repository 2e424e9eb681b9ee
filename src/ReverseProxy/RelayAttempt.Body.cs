using System;
using System.IO;
using System.Threading.Tasks;

namespace TracedLlm.Relay;

// RelayAttempt: the body as it passes, shown to the reader, released to the client (or held back), and checked as it
// grows by the guardrails that read it whole.
internal sealed partial class RelayAttempt
{
    /// <summary>Called by <see cref="RelayContent"/> when the forwarder opens the body.</summary>
    public Stream OpenBody(Stream inner) => new RelayBodyStream(this, inner, Mode, Run.Policy.AttemptTimeout);

    /// <summary>Shows a piece of the body to the reader; a failure when it makes the body too large.</summary>
    public Exception? Observe(ReadOnlySpan<byte> piece)
    {
        _bytesRead += piece.Length;
        if (_bytesRead > Attempt.MaxResponseBytes)
        {
            return new UpstreamResponseTooLargeException(Attempt.MaxResponseBytes);
        }

        if (Mode == BodyMode.Buffer && _bytesRead > Run.Settings.MaxBufferedResponseBytes)
        {
            return new UpstreamResponseTooLargeException(Run.Settings.MaxBufferedResponseBytes);
        }

        if (_decoder is not null)
        {
            _decoder.Write(piece);
        }
        else if (!UnknownCoding)
        {
            Reader?.Write(piece);
        }

        if (Run.Text is { } text && text.Overflowed)
        {
            // The guardrails cannot be shown the whole text: the response cannot be checked.
            return new UpstreamResponseTooLargeException(Run.Settings.MaxBufferedResponseBytes);
        }

        return null;
    }

    public void Released(int count)
    {
        BytesReleased += count;
        if (Mode == BodyMode.Pass && IsEventStream && _decoder is null && Reader is { } reader)
        {
            // Passed on as it comes, the bytes the reader has seen are the bytes the client has.
            ReleasedMidEvent = reader.InEvent;
        }
    }

    /// <summary>A stream passed on as it comes whose bytes so far end inside an event.</summary>
    public bool ReleasedMidEvent { get; private set; }

    /// <summary>
    /// With incremental checks, runs the post-call guardrails on the text so far each time it grew by the interval.
    /// </summary>
    public async ValueTask<Exception?> CheckIncrementallyAsync()
    {
        if (!Run.ChecksIncrementally
            || Run.Text is not { } text
            || text.TotalBytes < _nextCheck + Run.Settings.IncrementalCheckBytes)
        {
            return null;
        }

        _nextCheck = text.TotalBytes;
        try
        {
            await Run.CheckAsync(complete: false).ConfigureAwait(false);
            return null;
        }
        catch (Exception exception)
        {
            CheckFailed = true;
            return exception;
        }
    }

    /// <summary>
    /// An incremental check blocked or failed: the body ended there, with the guardrails' failure, not the upstream's.
    /// </summary>
    public bool CheckFailed { get; private set; }
}
