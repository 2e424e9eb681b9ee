using System;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using TracedLlm.Reading;

namespace TracedLlm;

/// <summary>A successful response's body on its way to the app, and the attempt that waits for it.</summary>
/// <remarks>
/// The relay's <see cref="ResponseReader"/> reads each piece the app reads (decoded on the side when the body came
/// compressed), and the attempt ends with the body: at its end, with what its end says (whole, cut off, not valid JSON,
/// an error the provider reported inside it); on a read that fails (a timeout, a cut connection); when the app disposes
/// it unread (abandoned, or whole when its last event had come); or, nobody having done either, when the request ends.
/// The model, id, finish reasons and usage read go on the attempt and the request's generation.
/// </remarks>
internal sealed class AttemptBody : IDisposable
{
    private readonly LlmAttempt _attempt;
    private readonly ResponseReader _reader;
    private readonly ContentDecoder? _decoder;
    private readonly bool _unreadable;
    private int _ended;

    public AttemptBody(LlmAttempt attempt, HttpResponseMessage response, BodyKind kind)
    {
        _attempt = attempt;
        _reader = new ResponseReader(kind, text: null, onEvent: null);
        var codings = response.Content.Headers.ContentEncoding;
        _unreadable = !ContentDecoder.TryCreate(
            codings.Count == 0 ? null : string.Join(",", codings),
            _reader,
            LlmRetryPolicy.DefaultMaxResponseBytes * 4,
            out _decoder);
        attempt.Call.TrackOpenBody(this);
    }

    public bool Ended => Volatile.Read(ref _ended) != 0;

    /// <summary>A piece the app read.</summary>
    public void Read(ReadOnlySpan<byte> data)
    {
        if (Ended || _unreadable)
        {
            return;
        }

        if (_decoder is not null)
        {
            _decoder.Write(data);
        }
        else
        {
            _reader.Write(data);
        }
    }

    /// <summary>The body ended: the attempt ends with what its end says.</summary>
    public void Complete() => End(EndKind.Whole, failure: null);

    /// <summary>
    /// A read failed: the attempt fails with what the failure means, or is abandoned when the client left.
    /// </summary>
    public void Fail(Exception exception, bool readCancelled)
    {
        var call = _attempt.Call;
        if (call.CancellationToken.IsCancellationRequested)
        {
            End(EndKind.Abandoned, failure: null);
            return;
        }

        // The app's code may let it through: the failure path then names it as the attempt does.
        var meaning = UpstreamFailures.Classify(exception, callCancelled: false, readCancelled);
        call.NoteUpstreamFailure(exception, meaning);
        End(EndKind.Failed, meaning);
    }

    /// <summary>
    /// The app disposed the body (or the request ended) before its end: whole when its last event had come, else
    /// abandoned.
    /// </summary>
    public void Dispose() =>
        End(_reader.Facts.Terminal && !_unreadable ? EndKind.Whole : EndKind.Abandoned, failure: null);

    private void End(EndKind kind, Exception? failure)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        var call = _attempt.Call;
        call.UntrackOpenBody(this);

        // The app reads the body in its own context: the attempt's end must not change its current activity.
        var current = Activity.Current;
        try
        {
            _decoder?.Dispose();
            _reader.Complete();
            var readable = !_unreadable && _decoder?.Stopped != true;
            if (readable)
            {
                Record(_reader.Facts);
            }

            switch (kind)
            {
                case EndKind.Whole when (readable ? _reader.Failure() : null) is { } ended:
                    _attempt.Fail(ended);
                    break;
                case EndKind.Whole:
                    _attempt.Succeed();
                    break;
                case EndKind.Failed:
                    _attempt.Fail(failure!);
                    break;
                default:
                    // Ended by the request (nobody read or disposed the body): no later than its generation.
                    _attempt.Abandon(call.Span is { IsStopped: true } llm ? llm.StartTimeUtc + llm.Duration : null);
                    break;
            }
        }
        finally
        {
            if (!ReferenceEquals(Activity.Current, current))
            {
                Activity.Current = current;
            }
        }
    }

    /// <summary>
    /// What the body stated, on the attempt and on the request's generation, through the call's one usage path.
    /// </summary>
    private void Record(ResponseFacts facts)
    {
        _attempt.RecordResponse(facts.ResponseModel, facts.InputTokens, facts.OutputTokens);
        _attempt.Call.RecordResponseFacts(facts);
    }

    private enum EndKind : byte
    {
        Whole,
        Failed,
        Abandoned,
    }
}
