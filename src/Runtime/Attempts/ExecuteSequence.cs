using System;
using System.Threading;
using System.Threading.Tasks;
using Polly;

namespace TracedLlm;

/// <summary>A call that completes with one result.</summary>
internal sealed class ExecuteSequence<T> : AttemptSequence
{
    private readonly Func<LlmAttempt, CancellationToken, Task<T>> _operation;

    public ExecuteSequence(
        LlmCall call,
        TargetSource targets,
        LlmRetryPolicy policy,
        Func<LlmAttempt, CancellationToken, Task<T>> operation)
        : base(call, targets, policy)
    {
        _operation = operation;
    }

    /// <summary>
    /// Runs the call to its end, the sequence (its deadline) disposed then: no async frame of its own around the run.
    /// </summary>
    public Task<T> RunAsync() => RunToResultAsync<T>(endsCall: true);

    public override async ValueTask<Outcome<object?>> RunAttemptAsync(ResilienceContext context)
    {
        var attempt = NextAttempt();
        try
        {
            var result = await _operation(attempt, context.CancellationToken).ConfigureAwait(false);
            attempt.Succeed();
            return Outcome.FromResult<object?>(result);
        }
        catch (Exception exception)
        {
            return Outcome.FromException<object?>(Fail(attempt, exception, context.CancellationToken));
        }
    }
}
