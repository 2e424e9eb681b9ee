using System;
using System.Collections.Generic;
using System.Threading;

namespace TracedLlm;

// LlmCall: what the exceptions its upstream clients let out mean. The exception itself goes on unchanged (the
// app's code catches what its client library throws, adopted or not); the attempt, the attempt policy and the
// failure path read it as what it was noted to mean.
public sealed partial class LlmCall
{
    // Enough for the calls a handler makes at once (Task.WhenAll throws the first failure, not the latest).
    private const int MaxExplainedFailures = 4;

    /// <summary>
    /// Records what an exception that left an upstream client means (<paramref name="meaning"/>: the
    /// <see cref="UpstreamException"/> it is, or the transport failure a client library's exception wraps).
    /// </summary>
    /// <remarks>
    /// The failure path names it so when the handler's code lets it through, or wraps it
    /// (<see cref="UpstreamMeaningOf"/>); so do the attempt policy and <see cref="LlmAttempt.Fail"/>.
    /// </remarks>
    internal void NoteUpstreamFailure(Exception thrown, Exception meaning)
    {
        var state = HttpAttempts;
        lock (state)
        {
            var explained = state.Explained ??= new(1);
            if (explained.Count == MaxExplainedFailures)
            {
                explained.RemoveAt(0);
            }

            explained.Add((thrown, meaning));
        }
    }

    /// <summary>
    /// What <paramref name="exception"/> means when it is, or wraps, an exception an upstream client let out
    /// (<see cref="NoteUpstreamFailure"/>); else itself.
    /// </summary>
    internal Exception UpstreamMeaningOf(Exception exception)
    {
        if (Volatile.Read(ref _httpAttempts) is not { } state)
        {
            return exception;
        }

        lock (state)
        {
            if (state.Explained is not { } explained)
            {
                return exception;
            }

            // An SDK or a service layer may wrap it (Semantic Kernel's HttpOperationException): a few levels down.
            var cause = exception;
            for (var depth = 0; cause is not null && depth < 4; depth++, cause = cause.InnerException)
            {
                for (var i = explained.Count - 1; i >= 0; i--)
                {
                    if (ReferenceEquals(cause, explained[i].Thrown))
                    {
                        return explained[i].Meaning;
                    }
                }
            }
        }

        return exception;
    }
}
