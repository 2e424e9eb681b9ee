using System;
using System.Diagnostics;
using System.Threading.Tasks;

namespace TracedLlm.Pipeline;

/// <summary>
/// One traced MVC request on its way through MVC's filters: its call, its open spans, and how far
/// it got. Set as a request feature by the resource phase (<see cref="TracedActionFilter"/>), read by
/// the action phase, the results and <see cref="LlmCallModelBinder"/>.
/// </summary>
internal sealed class TracedActionRun(LlmCall call)
{
    private int _ended;

    public LlmCall Call { get; } = call;

    public Activity? Server { get; set; }

    public Activity? Auth { get; set; }

    public Activity? PreCall { get; set; }

    public Activity? Llm { get; set; }

    /// <summary>True once MVC reached the action (binding, validation and the app's action filters passed).</summary>
    public bool ActionStarted { get; set; }

    /// <summary>The action's exception, as MVC's exception filters see it next (one that handles it answers the request).</summary>
    public Exception? ActionException { get; set; }

    /// <summary>Runs the failure path on the open spans; never throws.</summary>
    public Task FailAsync(Exception exception, int? answeredStatus = null) =>
        FailurePath.HandleAsync(Call, exception, Server, Auth, PreCall, Llm, answeredStatus);

    /// <summary>Ends the spans, children first and the server span last, once: the request's end on every path.</summary>
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
