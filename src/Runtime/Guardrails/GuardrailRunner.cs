using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Runs guardrails, each inside its own <c>guardrail</c> span under the LLM span. The span is
/// recorded where the guardrail runs, on every outcome, so a block is never left without one
/// (the failure LiteLLM had when its failure logger skipped the guardrail's exception type).
/// </summary>
internal static partial class GuardrailRunner
{
    /// <summary>
    /// Runs the guardrails one after another; the first block is thrown. Guardrails that answer
    /// synchronously (most do) run without an async state machine.
    /// </summary>
    public static ValueTask RunInOrderAsync(
        LlmCall call,
        ILlmGuardrail[] guardrails,
        GuardrailMode mode,
        object? request,
        object? response)
    {
        for (var i = 0; i < guardrails.Length; i++)
        {
            var run = RunOneAsync(call, guardrails[i], mode, request, response, call.CancellationToken);
            if (!run.IsCompletedSuccessfully)
            {
                return ContinueInOrderAsync(run, call, guardrails, i + 1, mode, request, response);
            }

            if (run.Result is { } block)
            {
                return ValueTask.FromException(block);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static async ValueTask ContinueInOrderAsync(
        ValueTask<GuardrailBlockedException?> pending,
        LlmCall call,
        ILlmGuardrail[] guardrails,
        int next,
        GuardrailMode mode,
        object? request,
        object? response)
    {
        if (await pending.ConfigureAwait(false) is { } first)
        {
            throw first;
        }

        for (var i = next; i < guardrails.Length; i++)
        {
            if (await RunOneAsync(call, guardrails[i], mode, request, response, call.CancellationToken)
                    .ConfigureAwait(false) is
                { } block)
            {
                throw block;
            }
        }
    }

    /// <summary>
    /// Runs the during-call guardrails beside the handler. The task never faults: its result is the
    /// first failure (a block, or an exception a guardrail threw; either stops the handler through
    /// <paramref name="handlerCancellation"/>), else the cancellation that stopped a guardrail (the
    /// client left, the request timed out, the pipeline stopped it), else null.
    /// </summary>
    public static async Task<Exception?> RunConcurrentlyAsync(
        LlmCall call,
        ILlmGuardrail[] guardrails,
        object? request,
        CancellationTokenSource handlerCancellation)
    {
        var runs = new Task<DuringCallOutcome>[guardrails.Length];
        for (var i = 0; i < guardrails.Length; i++)
        {
            runs[i] = RunGuardedAsync(call, guardrails[i], request, handlerCancellation);
        }

        Exception? failure = null;
        OperationCanceledException? stopped = null;
        foreach (var run in runs)
        {
            var outcome = await run.ConfigureAwait(false);
            failure ??= outcome.Failure;
            stopped ??= outcome.Stopped;
        }

        return failure ?? stopped;
    }

    private static async Task<DuringCallOutcome> RunGuardedAsync(
        LlmCall call,
        ILlmGuardrail guardrail,
        object? request,
        CancellationTokenSource handlerCancellation)
    {
        try
        {
            var block = await RunOneAsync(
                    call,
                    guardrail,
                    GuardrailMode.DuringCall,
                    request,
                    null,
                    handlerCancellation.Token)
                .ConfigureAwait(false);
            if (block is not null)
            {
                await handlerCancellation.CancelAsync().ConfigureAwait(false);
            }

            return new DuringCallOutcome(block, null);
        }
        catch (Exception exception) when (handlerCancellation.IsCancellationRequested)
        {
            // Stopped because another guardrail failed, the client left, the request timed out or
            // the handler failed: that outcome is the pipeline's to report. Also when the guardrail
            // reports its stop as a failure of its own (a client library that wraps whatever its call
            // threw, the cancellation included): it was once taken for the request's failure, a 500
            // over another guardrail's block or the handler's own error result.
            return new DuringCallOutcome(null, exception as OperationCanceledException
                ?? new OperationCanceledException("The guardrail was stopped.", exception, handlerCancellation.Token));
        }
        catch (Exception exception)
        {
            // The guardrail failed (its span says failed_to_respond): the request fails with it, so
            // the handler is stopped as for a block.
            await handlerCancellation.CancelAsync().ConfigureAwait(false);
            return new DuringCallOutcome(exception, null);
        }
    }

    private readonly record struct DuringCallOutcome(Exception? Failure, OperationCanceledException? Stopped);

    /// <summary>
    /// Runs one guardrail; returns the block, if any, with its span already recorded. Any other
    /// exception is recorded on the span and rethrown to the pipeline's single failure path.
    /// </summary>
    private static ValueTask<GuardrailBlockedException?> RunOneAsync(
        LlmCall call,
        ILlmGuardrail guardrail,
        GuardrailMode mode,
        object? request,
        object? response,
        CancellationToken cancellationToken)
    {
        var parent = call.Span;
        var span = Spans.StartChild(
            call,
            SpanNames.Guardrail,
            ActivityKind.Internal,
            parent,
            LangfuseObservationTypes.Guardrail);
        ValueTask<GuardrailVerdict> check;
        try
        {
            check = guardrail.CheckAsync(new GuardrailContext(call, mode, request, response), cancellationToken);
        }
        catch (Exception exception)
        {
            return new ValueTask<GuardrailBlockedException?>(Failed(call, span, parent, guardrail, mode, exception));
        }

        return check.IsCompletedSuccessfully
            ? new ValueTask<GuardrailBlockedException?>(Answered(call, span, parent, guardrail, mode, check.Result))
            : AwaitVerdictAsync(call, check, span, parent, guardrail, mode);
    }

    private static async ValueTask<GuardrailBlockedException?> AwaitVerdictAsync(
        LlmCall call,
        ValueTask<GuardrailVerdict> check,
        Activity? span,
        Activity? parent,
        ILlmGuardrail guardrail,
        GuardrailMode mode)
    {
        GuardrailVerdict verdict;
        try
        {
            verdict = await check.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            return Failed(call, span, parent, guardrail, mode, exception);
        }

        return Answered(call, span, parent, guardrail, mode, verdict);
    }
}

/// <summary>
/// The <c>gen_ai.evaluation.score.label</c> a guardrail's run records (convention mode
/// <c>gen_ai_latest_experimental</c>).
/// </summary>
internal static class EvaluationLabels
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Error = "error";
}
