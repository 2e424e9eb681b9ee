using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Polly;

namespace TracedLlm;

/// <summary>
/// A streamed call: attempts are retried and fall back until one yields its first chunk (or ends empty).
/// </summary>
internal sealed class StreamSequence<T> : AttemptSequence
{
    private readonly Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> _operation;

    public StreamSequence(
        LlmCall call,
        TargetSource targets,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, IAsyncEnumerable<T>> operation)
        : base(call, targets, policy)
    {
        _operation = operation;
    }

    /// <summary>The stream whose first chunk arrived, or null when it ended empty (that attempt succeeded).</summary>
    public async Task<UpstreamStream<T>?> StartAsync()
    {
        var stream = await RunToResultAsync<UpstreamStream<T>>(endsCall: false).ConfigureAwait(false);
        return stream.Started ? stream : null;
    }

    public override async ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context)
    {
        var attempt = NextAttempt();

        // The stream outlives this pipeline execution, and the attempt timeout's token goes back to
        // Polly's pool when the execution ends: the stream gets a token of its own, which the attempt
        // timeout cancels only while the first chunk is awaited.
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        IAsyncEnumerator<T>? chunks = null;
        try
        {
            bool started;
            using (context.CancellationToken == Token
                    ? default
                    : context.CancellationToken.UnsafeRegister(
                        static source => ((CancellationTokenSource)source!).Cancel(),
                        cancellation))
            {
                // Inside the try: a provider that throws before its first await still ends its attempt.
                chunks = _operation(attempt, cancellation.Token).GetAsyncEnumerator(cancellation.Token);
                started = await chunks.MoveNextAsync().ConfigureAwait(false);
            }

            var stream = new UpstreamStream<T>(this, attempt, chunks, cancellation, started);
            if (!started)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            return Outcome.FromResult<object?>(stream);
        }
        catch (Exception exception)
        {
            if (chunks is not null)
            {
                await UpstreamStream<T>.DisposeQuietlyAsync(chunks, attempt).ConfigureAwait(false);
            }

            var failure = Fail(attempt, exception, cancellation.Token);
            cancellation.Dispose();
            return Outcome.FromException<object?>(failure);
        }
    }
}
