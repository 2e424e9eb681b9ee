using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;

namespace TracedLlm.Pipeline;

/// <summary>The action phase: the LLM span around the action, with the guardrails and the output.</summary>
internal sealed partial class TracedActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        if (context.HttpContext.Features.Get<TracedActionRun>() is not { } run)
        {
            await next().ConfigureAwait(false);
            return;
        }

        // MVC bound and validated the request and ran the app's action filters: the pre-call stage is done.
        var call = run.Call;
        run.PreCall = PreCallStage.EndSpan(run.PreCall, run.Server);
        run.Llm = LlmStage.StartSpan(call, run.Server);
        run.ActionStarted = true;
        var request =
            _facts?.BodyParameter is { } name && context.ActionArguments.TryGetValue(name, out var bound)
                ? bound
                : null;
        call.Request = request;
        try
        {
            await LlmStage.RunGuardrailsAsync(call, GuardrailMode.PreCall, request, null).ConfigureAwait(false);
            LlmStage.StartDuringCallGuardrails(call, request);
        }
        catch (Exception exception)
        {
            context.Result = new TracedActionResults.FailureResult(run, exception, endsRequest: false);
            return;
        }

        var executed = await next().ConfigureAwait(false);
        if (executed.Exception is { } thrown && !executed.ExceptionHandled)
        {
            if (call.DuringCallGuardrails is not null
                && call.CancellationToken.IsCancellationRequested
                && !context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                // The action was stopped because a during-call guardrail blocked or failed: the pipeline's
                // failure (the guardrail's, not the action's cancellation), answered in the route's format.
                executed.ExceptionHandled = true;
                executed.Result = new TracedActionResults.FailureResult(run, thrown, endsRequest: false);
                return;
            }

            // MVC's exception filters see it next, then the app's middleware: the resource phase records it once.
            run.ActionException = thrown;
            return;
        }

        if (action.Unwrap is { } unwrap && executed.Result is ObjectResult { Value: { } either })
        {
            executed.Result = unwrap(either);
        }

        if (executed.Result is TracedActionResults.IStreamResult)
        {
            // The stream's guardrails and terminal event follow its chunks, as it is written.
            return;
        }

        try
        {
            var errorResult =
                executed.Result is IStatusCodeActionResult { StatusCode: >= StatusCodes.Status400BadRequest };
            await LlmStage.CompleteDuringCallGuardrailsAsync(call, errorResult).ConfigureAwait(false);
            if (!errorResult)
            {
                // An object MVC writes is the pipeline's answer, as a typed one is; a result that writes
                // itself is the app's, checked once written (the resource phase).
                if (executed.Result is ObjectResult)
                {
                    LlmStage.ThrowIfAttemptFailed(call);
                }

                var output = (executed.Result as ObjectResult)?.Value;
                await LlmStage
                    .RunGuardrailsAsync(call, GuardrailMode.PostCall, request, output ?? executed.Result)
                    .ConfigureAwait(false);
                if (output is not null && LlmStage.CapturesOutput(call))
                {
                    LlmStage.RecordOutput(call, output, JsonOptions(context.HttpContext).GetTypeInfo(output.GetType()));
                }
            }
        }
        catch (Exception exception)
        {
            executed.Result = new TracedActionResults.FailureResult(run, exception, endsRequest: false);
        }
    }
}
