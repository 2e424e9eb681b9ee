using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Pipeline;

// LlmStage: the guardrails that run under the LLM span, pre-call and post-call in order, during-call beside the
// handler.
public static partial class LlmStage
{
    /// <summary>
    /// Runs the pre-call or post-call guardrails in order; the first block stops the request. An
    /// error result (an <see cref="IStatusCodeHttpResult"/> of status 400 or more: <c>Results.Problem</c>,
    /// <c>TypedResults.BadRequest</c>, a relayed upstream error) carries no model output, so the
    /// post-call guardrails do not run on it; it fails the request on its own (<see cref="ResultStage"/>).
    /// </summary>
    public static ValueTask RunGuardrailsAsync(LlmCall call, GuardrailMode mode, object? request, object? response)
    {
        var guardrails =
            mode == GuardrailMode.PreCall ? call.Gateway.PreCallGuardrails : call.Gateway.PostCallGuardrails;
        return guardrails.Length == 0
            || response is IStatusCodeHttpResult { StatusCode: >= StatusCodes.Status400BadRequest }
            ? ValueTask.CompletedTask
            : GuardrailRunner.RunInOrderAsync(call, guardrails, mode, request, response);
    }

    /// <summary>Starts the during-call guardrails beside the handler, which runs next.</summary>
    /// <remarks>
    /// Its start is where a stream's time to first token is counted from (a handler serving both modes may wait for its
    /// upstream before it returns the stream).
    /// </remarks>
    public static void StartDuringCallGuardrails(LlmCall call, object? request)
    {
        call.StreamStartTimestamp = Stopwatch.GetTimestamp();
        call.HandlerRunning = true;
        var guardrails = call.Gateway.DuringCallGuardrails;
        if (guardrails.Length > 0)
        {
            call.DuringCallGuardrails = GuardrailRunner.RunConcurrentlyAsync(
                call, guardrails, request, call.CreateDuringCallCancellation());
        }
    }

    /// <summary>
    /// Waits for the during-call guardrails, before the pipeline writes the handler's answer (its
    /// response, or its stream's end). A block or a guardrail's failure fails the request even
    /// when the handler succeeded; so does a guardrail stopped because the client left or the
    /// request timed out (the guardrails did not finish, so the response may not be given); and so
    /// does an upstream call that failed without an exception reaching the handler's caller
    /// (<see cref="ThrowIfAttemptFailed"/>).
    /// </summary>
    public static ValueTask CompleteDuringCallGuardrailsAsync(LlmCall call)
    {
        call.HandlerRunning = false;
        if (call.DuringCallGuardrails is { } pending)
        {
            return AwaitDuringCallAsync(pending, call);
        }

        ThrowIfAttemptFailed(call);
        return ValueTask.CompletedTask;
    }

    /// <summary>Throws the latest upstream attempt's failure when no attempt succeeded after it.</summary>
    /// <remarks>
    /// An error status the app's code read as an answer, a stream cut before its end marker or carrying an
    /// error event: an answer the pipeline writes then goes to the failure path, in the route's format,
    /// instead of looking whole. Reads one field when the call did not fail.
    /// </remarks>
    internal static void ThrowIfAttemptFailed(LlmCall call)
    {
        if (call.FailedAttempt is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Waits for the during-call guardrails before <paramref name="result"/> is written.</summary>
    /// <remarks>
    /// An error result (an <see cref="IStatusCodeHttpResult"/> of status 400 or more) carries no model output, so the
    /// guardrails are stopped instead of waited for, as when the handler fails — one that had already blocked or
    /// failed still fails the request.
    /// </remarks>
    public static ValueTask CompleteDuringCallGuardrailsAsync(LlmCall call, IResult result)
    {
        call.HandlerRunning = false;
        return call.DuringCallGuardrails is not { } pending ? ValueTask.CompletedTask
            : result is IStatusCodeHttpResult { StatusCode: >= StatusCodes.Status400BadRequest }
                ? StopDuringCallAsync(call, pending)
            : AwaitDuringCallAsync(pending);
    }

    /// <summary>
    /// Waits for the during-call guardrails, or, beside an error result (<paramref name="errorResult"/>:
    /// an MVC action's status of 400 or more), stops them as
    /// <see cref="CompleteDuringCallGuardrailsAsync(LlmCall, IResult)"/> does.
    /// </summary>
    internal static ValueTask CompleteDuringCallGuardrailsAsync(LlmCall call, bool errorResult) =>
        call.DuringCallGuardrails is not { } pending ? ValueTask.CompletedTask
        : errorResult ? StopDuringCallAsync(call, pending)
        : AwaitDuringCallAsync(pending);

    private static async ValueTask StopDuringCallAsync(LlmCall call, Task<Exception?> pending)
    {
        await call.StopDuringCallGuardrailsAsync().ConfigureAwait(false);
        if (await pending.ConfigureAwait(false) is { } failure and not OperationCanceledException)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static async ValueTask AwaitDuringCallAsync(Task<Exception?> pending, LlmCall? attempted = null)
    {
        if (await pending.ConfigureAwait(false) is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        if (attempted is not null)
        {
            ThrowIfAttemptFailed(attempted);
        }
    }
}
