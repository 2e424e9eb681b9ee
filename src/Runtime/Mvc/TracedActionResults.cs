using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;

namespace TracedLlm.Pipeline;

/// <summary>The results a traced MVC action's pipeline gives MVC to execute.</summary>
/// <remarks>
/// What an action's <c>LlmResult&lt;TResponse, TChunk&gt;</c> holds (its response for MVC's formatters, its chunks as
/// server-sent events, its <c>IResult</c>), and the pipeline's own answer to a failure. Executed by MVC like any
/// result, so the app's result filters run around them. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TracedActionResults
{
    /// <summary>What MVC executes for an action's <see cref="LlmResult{TResponse, TChunk}"/>.</summary>
    public static IActionResult Unwrap<TResponse, TChunk>(LlmResult<TResponse, TChunk> result)
    {
        if (result.IsStream)
        {
            return new StreamResult<TChunk>(result.Chunks);
        }

        if (result.HttpResult is { } httpResult)
        {
            return new HttpResultAction(httpResult);
        }

        return result.Response is IResult responseResult
            ? new HttpResultAction(responseResult)
            : new ObjectResult(result.Response) { DeclaredType = typeof(TResponse) };
    }

    /// <summary>
    /// An action's chunks, written as server-sent events in the route's wire format, then the post-call guardrails and
    /// the held-back terminal event.
    /// </summary>
    internal sealed class StreamResult<TChunk>(IAsyncEnumerable<TChunk> chunks) : IStreamResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var run =
                context.HttpContext.Features.Get<TracedActionRun>()
                ?? throw new InvalidOperationException(
                    "An LlmResult stream is written only by a [TracedLlmRoute] action's pipeline.");
            var call = run.Call;
            var typeInfo =
                (JsonTypeInfo<TChunk>)TracedActionFilter.JsonOptions(context.HttpContext).GetTypeInfo(typeof(TChunk));
            await StreamStage.WriteAsync(call, chunks, typeInfo).ConfigureAwait(false);
            await LlmStage.CompleteDuringCallGuardrailsAsync(call).ConfigureAwait(false);
            await LlmStage
                .RunGuardrailsAsync(call, GuardrailMode.PostCall, call.Request, StreamStage.Chunks(call))
                .ConfigureAwait(false);
            await StreamStage.CompleteAsync(call).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A stream: its guardrails and terminal event follow its chunks, as it is written, not the action.
    /// </summary>
    internal interface IStreamResult : IActionResult
    {
    }

    /// <summary>An <see cref="IResult"/> for MVC to execute, its status readable as an action result's.</summary>
    internal sealed class HttpResultAction(IResult result) : IActionResult, IStatusCodeActionResult
    {
        public int? StatusCode => (result as IStatusCodeHttpResult)?.StatusCode;

        public IResult Result => result;

        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }

    /// <summary>
    /// The pipeline's answer to a failure found in MVC's filters (a refused body, authentication, a
    /// guardrail's block): the failure path records it and writes the error in the route's format.
    /// Executed by MVC, after the app's result filters, so nothing is written behind their back.
    /// </summary>
    internal sealed class FailureResult(TracedActionRun run, Exception exception, bool endsRequest) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            try
            {
                await run.FailAsync(exception).ConfigureAwait(false);
            }
            finally
            {
                if (endsRequest)
                {
                    run.End();
                }
            }
        }
    }
}
