using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// Runs guardrails, each inside its own <c>guardrail</c> span under the LLM span. The span is
/// recorded where the guardrail runs, on every outcome, so a block is never left without one
/// (the failure LiteLLM had when its failure logger skipped the guardrail's exception type).
/// </summary>
internal static class GuardrailRunner
{
    public static async ValueTask RunInOrderAsync(LlmCall call, ILlmGuardrail[] guardrails, GuardrailMode mode, object? request, object? response)
    {
        foreach (var guardrail in guardrails)
        {
            var block = await RunOneAsync(call, guardrail, mode, request, response, call.CancellationToken).ConfigureAwait(false);
            if (block is not null)
            {
                throw block;
            }
        }
    }

    public static async Task<GuardrailBlockedException?> RunConcurrentlyAsync(LlmCall call, ILlmGuardrail[] guardrails, object? request, CancellationTokenSource handlerCancellation)
    {
        var runs = new Task<GuardrailBlockedException?>[guardrails.Length];
        for (var i = 0; i < guardrails.Length; i++)
        {
            runs[i] = RunGuardedAsync(call, guardrails[i], request, handlerCancellation);
        }

        GuardrailBlockedException? first = null;
        foreach (var run in runs)
        {
            first ??= await run.ConfigureAwait(false);
        }

        return first;
    }

    private static async Task<GuardrailBlockedException?> RunGuardedAsync(LlmCall call, ILlmGuardrail guardrail, object? request, CancellationTokenSource handlerCancellation)
    {
        try
        {
            var block = await RunOneAsync(call, guardrail, GuardrailMode.DuringCall, request, null, handlerCancellation.Token).ConfigureAwait(false);
            if (block is not null)
            {
                await handlerCancellation.CancelAsync().ConfigureAwait(false);
            }

            return block;
        }
        catch (OperationCanceledException) when (handlerCancellation.IsCancellationRequested)
        {
            // Another guardrail blocked or the client left: that outcome is reported by the pipeline.
            return null;
        }
    }

    /// <summary>Runs one guardrail; returns the block, if any, with its span already recorded.</summary>
    private static async ValueTask<GuardrailBlockedException?> RunOneAsync(LlmCall call, ILlmGuardrail guardrail, GuardrailMode mode, object? request, object? response, CancellationToken cancellationToken)
    {
        var parent = call.Span;
        var span = TracedPipeline.StartChild(SpanNames.Guardrail, ActivityKind.Internal, parent);
        var status = GuardrailStatuses.FailedToRespond;
        string? reason = null;
        try
        {
            GuardrailBlockedException? block = null;
            try
            {
                var verdict = await guardrail.CheckAsync(new GuardrailContext(call, mode, request, response), cancellationToken).ConfigureAwait(false);
                if (verdict.Blocked)
                {
                    block = new GuardrailBlockedException(guardrail.Name, verdict.Reason ?? $"Blocked by guardrail '{guardrail.Name}'.");
                }
            }
            catch (GuardrailBlockedException thrown)
            {
                block = thrown;
            }

            status = block is null ? GuardrailStatuses.Success : GuardrailStatuses.Intervened;
            if (block is not null)
            {
                reason = block.Message;
                block.SpanRecorded = span is not null;
            }

            return block;
        }
        catch (Exception exception)
        {
            // Recorded on the guardrail span, then rethrown to the pipeline's single failure path.
            span?.AddException(exception);
            throw;
        }
        finally
        {
            if (span is not null)
            {
                if (span.IsAllDataRequested)
                {
                    SpanAttributes.AddGuardrailAttributes(span, guardrail.Name, mode, status, reason);
                }

                if (status != GuardrailStatuses.Success)
                {
                    span.SetStatus(ActivityStatusCode.Error, reason ?? status);
                }

                TracedPipeline.End(span, parent);
            }
        }
    }

    /// <summary>Records the guardrail span of a block thrown outside a registered guardrail (by a handler, say).</summary>
    internal static void RecordUnspannedBlock(GuardrailBlockedException block, Activity? parent)
    {
        var span = TracedPipeline.StartChild(SpanNames.Guardrail, ActivityKind.Internal, parent);
        if (span is null)
        {
            return;
        }

        if (span.IsAllDataRequested)
        {
            SpanAttributes.AddGuardrailAttributes(span, block.GuardrailName, GuardrailMode.None, GuardrailStatuses.Intervened, block.Message);
        }

        span.SetStatus(ActivityStatusCode.Error, block.Message);
        block.SpanRecorded = true;
        TracedPipeline.End(span, parent);
    }

    internal static string ModeName(GuardrailMode mode) => mode switch
    {
        GuardrailMode.PreCall => "pre_call",
        GuardrailMode.DuringCall => "during_call",
        GuardrailMode.PostCall => "post_call",
        _ => "unknown",
    };
}
