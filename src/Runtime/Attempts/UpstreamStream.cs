using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// A stream past its first chunk, read outside the pipeline: each chunk within the attempt timeout, the provider
/// resuming under its attempt's span.
/// </summary>
/// <remarks>
/// A failure now fails the stream (no retry can follow a chunk the client has seen) and its attempt.
/// </remarks>
internal sealed class UpstreamStream<T> : IAsyncDisposable
{
    private readonly AttemptSequence _sequence;
    private readonly LlmAttempt _attempt;
    private readonly IAsyncEnumerator<T> _chunks;
    private readonly CancellationTokenSource _cancellation;
    private bool _ended;

    public UpstreamStream(
        AttemptSequence sequence,
        LlmAttempt attempt,
        IAsyncEnumerator<T> chunks,
        CancellationTokenSource cancellation,
        bool started)
    {
        _sequence = sequence;
        _attempt = attempt;
        _chunks = chunks;
        _cancellation = cancellation;
        Started = started;
        if (!started)
        {
            _ended = true;
            attempt.Succeed();
        }
    }

    public bool Started { get; }

    public T Current => _chunks.Current;

    public async ValueTask<bool> MoveNextAsync()
    {
        // The provider resumes under its attempt's span, whatever the consumer's current span is.
        if (_attempt.Span is { } span)
        {
            Spans.MakeCurrent(span);
        }

        var idle = _sequence.Policy.AttemptTimeout;
        try
        {
            if (idle is { } timeout)
            {
                _cancellation.CancelAfter(timeout);
            }

            if (await _chunks.MoveNextAsync().ConfigureAwait(false))
            {
                return true;
            }

            _ended = true;
            _attempt.Succeed();
            return false;
        }
        catch (Exception exception)
        {
            var failure = _sequence.Classify(exception, _cancellation.Token);
            if (!_sequence.CallCancelled)
            {
                // An upstream failure mid-stream; a client that left is recorded as an abandoned attempt on disposal.
                _ended = true;
                _attempt.Fail(failure);
            }

            if (ReferenceEquals(failure, exception))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            if (idle is not null && !_cancellation.IsCancellationRequested)
            {
                // A slow client between chunks is not a slow upstream.
                _cancellation.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeQuietlyAsync(_chunks, _attempt).ConfigureAwait(false);
        _cancellation.Dispose();
        if (!_ended)
        {
            _ended = true;
            _attempt.Dispose();
        }
    }

    /// <summary>
    /// Disposes a provider's enumerator; a failure while it cleans up is recorded on the attempt, not thrown over the
    /// failure that matters.
    /// </summary>
    public static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<T> chunks, LlmAttempt attempt)
    {
        try
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Redacted and bounded as every exception event is: the provider's message is not ours to trust.
            if (attempt.Span is { } span)
            {
                TelemetryText.AddException(span, exception, attempt.Call);
            }
        }
    }
}
