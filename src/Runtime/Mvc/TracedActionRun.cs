using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TracedLlm.Pipeline;

/// <summary>
/// One traced MVC request on its way through MVC's filters: its call, its open spans, and how far
/// it got. Set as a request feature by the resource phase (<see cref="TracedActionFilter"/>), read by
/// the action phase, the results and <see cref="LlmCallModelBinder"/>. On an <c>[ApiController]</c>
/// action it writes the pipeline's refusal of a request's input as MVC answers input it cannot bind.
/// </summary>
internal sealed class TracedActionRun(LlmCall call, ActionContext action) : IRequestRefusalWriter
{
    private int _ended;

    public LlmCall Call { get; } = call;

    public Activity? Server { get; set; }

    public Activity? Auth { get; set; }

    public Activity? PreCall { get; set; }

    public Activity? Llm { get; set; }

    /// <summary>True once MVC reached the action (binding, validation and the app's action filters passed).</summary>
    public bool ActionStarted { get; set; }

    /// <summary>
    /// The action's exception, as MVC's exception filters see it next (one that handles it answers the request).
    /// </summary>
    public Exception? ActionException { get; set; }

    /// <summary>
    /// Why the pipeline could not read the body (cut off, not JSON), left for MVC's binder to answer as
    /// it answers such a body: the request's record names it. Null when the body was read.
    /// </summary>
    public InvalidLlmRequestException? UnreadBody { get; set; }

    /// <summary>
    /// The refusal as the action's invalid model state answer
    /// (<see cref="ApiBehaviorOptions.InvalidModelStateResponseFactory"/>, the message under the refused property's
    /// JSON path), on an <c>[ApiController]</c> action whose app lets MVC answer invalid models.
    /// </summary>
    /// <remarks>
    /// Null elsewhere.
    /// </remarks>
    public Task? TryWrite(string jsonPath, string message)
    {
        var services = action.HttpContext.RequestServices;
        var apiBehavior = services.GetService<IOptions<ApiBehaviorOptions>>()?.Value;
        if (apiBehavior is null || apiBehavior.SuppressModelStateInvalidFilter
            || !action.ActionDescriptor.EndpointMetadata.OfType<IApiBehaviorMetadata>().Any())
        {
            return null;
        }

        action.ModelState.AddModelError(jsonPath, message);
        return apiBehavior.InvalidModelStateResponseFactory(action).ExecuteResultAsync(action);
    }

    /// <summary>Runs the failure path on the open spans; never throws.</summary>
    public Task FailAsync(Exception exception, int? answeredStatus = null) =>
        FailurePath.HandleAsync(Call, exception, Server, Auth, PreCall, Llm, answeredStatus);

    /// <summary>
    /// Ends the spans, children first and the server span last, once: the request's end on every path.
    /// </summary>
    public void End()
    {
        if (System.Threading.Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        Llm = LlmStage.EndSpan(Llm, Server);
        PreCall = PreCallStage.EndSpan(PreCall, Server);
        Auth = AuthStage.EndSpan(Auth, Server);
        RequestStage.EndSpan(Server, Call);
    }

    /// <summary>
    /// Records an exception the app's own handling answered, with the status it answered, once the
    /// response is complete (registered with <c>HttpResponse.OnCompleted</c>), then ends the spans.
    /// </summary>
    public async Task CompleteAppAnswerAsync(Exception exception)
    {
        try
        {
            await FailAsync(exception, Call.HttpContext.Response.StatusCode).ConfigureAwait(false);
        }
        finally
        {
            End();
        }
    }
}
