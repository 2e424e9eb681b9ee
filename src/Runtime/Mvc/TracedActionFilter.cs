using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TracedLlm.Pipeline;

/// <summary>
/// The pipeline of one traced MVC action, run inside MVC's own invocation as the innermost resource
/// and action filter (docs/mvc.md). The resource phase, before model binding: read the body once,
/// authenticate, start the server, <c>auth</c> and <c>proxy_pre_call</c> spans, and hand MVC's
/// binder the bytes every other reader reads (the slot cut out). MVC then binds, validates and runs
/// the app's filters inside <c>proxy_pre_call</c>. The action phase, once MVC reaches the action:
/// the LLM span, the pre- and during-call guardrails, the action, the post-call guardrails and the
/// output. After MVC executed the result: an error status is a failure (a validation 400 on
/// <c>proxy_pre_call</c>), recorded once; an exception of TracedLlm's own is answered by the
/// failure path; any other goes on to the app's exception handling and is recorded with the
/// status it answers, when the response is complete.
/// </summary>
internal sealed partial class TracedActionFilter(TracedAction action, TracedLlmGateway gateway)
    : IAsyncResourceFilter,
        IAsyncActionFilter,
        IOrderedFilter
{
    // The routes by the endpoint pattern MVC routed a request through (one per attribute route or conventional route).
    private readonly ConcurrentDictionary<string, TracedRouteInfo> _routes = new(StringComparer.Ordinal);
    private ActionFacts? _facts;

    /// <summary>Innermost: MVC's filters (validation's, the app's) run outside it, in the spans it starts.</summary>
    public int Order => int.MaxValue;

    public TracedAction Action => action;

    /// <summary>The JSON options MVC reads and writes bodies with.</summary>
    internal static JsonSerializerOptions JsonOptions(HttpContext httpContext) =>
        httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.JsonSerializerOptions;

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var httpContext = context.HttpContext;
        var startTimestamp = Stopwatch.GetTimestamp();
        var ambient = Activity.Current;
        var facts = Facts(context.ActionDescriptor, httpContext);
        RequestEnvelope envelope;
        InvalidLlmRequestException? unread = null;
        try
        {
            var body = await RequestStage.ReadBodyAsync(httpContext, gateway, checkText: false).ConfigureAwait(false);
            envelope = body.IsEmpty ? RequestEnvelope.Empty : ReadEnvelope(body, facts, out unread);
        }
        catch (InvalidLlmRequestException mediaType) when (mediaType.Code == RequestMediaType.UnsupportedCode)
        {
            // Not sent as JSON: left unread, for MVC's input formatters to answer as they did (a 415 of theirs).
            envelope = RequestEnvelope.Empty;
            unread = mediaType;
        }
        catch (Exception exception)
        {
            // Kept and raised inside proxy_pre_call: a bad body still gets its spans and its error response.
            envelope = RequestEnvelope.FromReadFailure(exception);
        }

        var call = RequestStage.CreateCall(httpContext, RouteOf(httpContext, facts), envelope, gateway, startTimestamp);
        var run = new TracedActionRun(call, context) { UnreadBody = unread };
        httpContext.Features.Set(run);
        httpContext.Features.Set<IRequestRefusalWriter>(run);
        try
        {
            // Authentication first, before any span: nothing the client sent reaches a trace until it has passed.
            await AuthStage.AuthenticateAsync(call).ConfigureAwait(false);
            run.Server = RequestStage.StartSpan(call, ambient);
            run.Auth = AuthStage.StartSpan(call, run.Server);
            AuthStage.ThrowIfUnauthenticated(call);
            run.Auth = AuthStage.EndSpan(run.Auth, run.Server);
            run.PreCall = PreCallStage.StartSpan(call, run.Server);
            PreCallStage.ValidateBody(call);
            if (action.RefusesStream)
            {
                PreCallStage.RejectStreaming(call);
            }

            // MVC's binder reads what the guardrails, the trace and the upstream read: the body read
            // once, decoded, the route's slot cut out (or as it came, when the pipeline could not read it).
            if (unread?.Code != RequestMediaType.UnsupportedCode)
            {
                call.PrepareRequestForForwarding();
            }
        }
        catch (Exception exception)
        {
            // Answered by the failure path as a result MVC executes: the action never runs.
            context.Result = new TracedActionResults.FailureResult(run, exception, endsRequest: true);
            return;
        }

        var deferred = false;
        try
        {
            var executed = await next().ConfigureAwait(false);
            deferred = await AfterAsync(context, executed, run).ConfigureAwait(false);
        }
        finally
        {
            if (!deferred)
            {
                run.End();
            }
        }
    }

    /// <summary>After MVC executed the result; true when the request's record waits for the app's own answer.</summary>
    private static async Task<bool> AfterAsync(
        ResourceExecutingContext context,
        ResourceExecutedContext executed,
        TracedActionRun run)
    {
        var call = run.Call;
        var httpContext = context.HttpContext;
        if (executed.Exception is { } exception && !executed.ExceptionHandled)
        {
            if (call.Failure is not null)
            {
                // The failure path answered already (a result filter failed on its answer): nothing more is written.
                executed.ExceptionHandled = true;
                return false;
            }

            if (FailurePath.PipelineAnswers(httpContext, exception))
            {
                await run.FailAsync(exception).ConfigureAwait(false);
                executed.ExceptionHandled = true;
                return false;
            }

            // The app's own exception: MVC rethrows it to the app's middleware, which answers; the
            // request is recorded once that answer is complete, with its status.
            httpContext.Response.OnCompleted(
                static state =>
                    ((TracedActionRun)state).CompleteAppAnswerAsync(((TracedActionRun)state).ActionException!),
                Remember(run, exception));
            return true;
        }

        // As for a static handler's result: what a result that writes for an upstream reported, else the response's
        // status.
        var reported = call.ReportedAnswer;
        var status = reported?.StatusCode ?? httpContext.Response.StatusCode;
        if (call.Failure is null && run.ActionStarted && UnthrownFailure.Answered(call, status) is { } unthrown)
        {
            // A failure nothing threw, on an answer the app wrote: recorded with its cause, the answer kept.
            await FailurePath.HandleUnthrownAsync(call, unthrown, status, run.Server, run.Llm).ConfigureAwait(false);
        }
        else if (call.Failure is null && status >= StatusCodes.Status400BadRequest)
        {
            if (run.ActionException is { } handled)
            {
                // An exception filter answered the action's exception.
                await run.FailAsync(handled, status).ConfigureAwait(false);
            }
            else
            {
                // An error result: the action's own, or, before the action, MVC's (a validation 400) or an app
                // filter's; for a body the pipeline could not read, MVC's answer to it, recorded as the refusal.
                var unread = reported is null ? run.UnreadBody : null;
                var description = reported?.Description
                    ?? (unread is not null ? Unread(unread, status, run.ActionStarted)
                    : run.ActionStarted ? null : Refused(context.ModelState, status));
                var errorType = reported?.ErrorType
                    ?? (unread is null ? null : typeof(InvalidLlmRequestException).FullName);
                var answered = new ErrorResultException(status, errorType, description, executed.Result);
                await run.FailAsync(answered).ConfigureAwait(false);
            }
        }

        return false;
    }

    private static TracedActionRun Remember(TracedActionRun run, Exception exception)
    {
        run.ActionException = exception;
        return run;
    }

    /// <summary>Reads the body's envelope.</summary>
    /// <remarks>
    /// A body that is not a JSON object the pipeline can read (cut off, not UTF-8) is left whole for MVC's binder,
    /// which answers it as it did before adoption (<paramref name="unread"/> says why).
    /// </remarks>
    private RequestEnvelope ReadEnvelope(
        ReadOnlyMemory<byte> body, ActionFacts facts, out InvalidLlmRequestException? unread)
    {
        unread = null;
        try
        {
            RequestStage.CheckText(body);
            return action.ReadEnvelope(body, gateway.Options, facts.Shape);
        }
        catch (InvalidLlmRequestException refusal) when (refusal.NotReadable)
        {
            unread = refusal;
            return new RequestEnvelope(body, body, LlmMetadata.Empty, default, error: null);
        }
    }

    /// <summary>
    /// How the answer to a body the pipeline could not read reads on the spans: why, and who answered.
    /// </summary>
    private static string Unread(InvalidLlmRequestException unread, int status, bool actionStarted)
    {
        var who = actionStarted ? "The action" : "MVC's model binding";
        return $"{unread.Message} {who} answered {Answered(status)}.";
    }

    /// <summary>
    /// How a request refused before the action reads on <c>proxy_pre_call</c>: MVC's model validation, naming the
    /// invalid fields, or a filter's answer.
    /// </summary>
    private static string Refused(ModelStateDictionary modelState, int status)
    {
        var answered = Answered(status);
        if (modelState.IsValid)
        {
            return $"A filter answered {answered} before the action ran.";
        }

        var fields = modelState
            .Where(entry => entry.Value?.ValidationState == ModelValidationState.Invalid)
            .Select(entry => entry.Key.Length == 0 ? "(body)" : entry.Key)
            .ToList();
        var named =
            string.Join(", ", fields.Take(5)) + (fields.Count > 5 ? $" and {fields.Count - 5} more" : string.Empty);
        return $"MVC's model validation answered {answered}: {fields.Count} invalid field(s) ({named}).";
    }

    /// <summary>A status as a message names it: <c>400 Bad Request</c>.</summary>
    private static string Answered(int status)
    {
        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return reason.Length > 0
            ? $"{status} {reason}"
            : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The route of the endpoint MVC routed the request through: the generator's, with the endpoint's own pattern and
    /// MVC's body type.
    /// </summary>
    private TracedRouteInfo RouteOf(HttpContext httpContext, ActionFacts facts)
    {
        var pattern = (httpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        if (pattern is null)
        {
            return facts.Route;
        }

        return _routes.TryGetValue(pattern, out var route)
            ? route
            : _routes.GetOrAdd(
                pattern,
                static (raw, generated) => generated with { Pattern = "/" + raw.TrimStart('~').TrimStart('/') },
                facts.Route);
    }

    /// <summary>What the action's descriptor and MVC's JSON options say of its body, once per action.</summary>
    private ActionFacts Facts(ActionDescriptor descriptor, HttpContext httpContext)
    {
        if (_facts is { } facts)
        {
            return facts;
        }

        var body = descriptor.Parameters.FirstOrDefault(p => p.BindingInfo?.BindingSource == BindingSource.Body);
        var options = JsonOptions(httpContext);
        var shape = body is null || !options.PropertyNameCaseInsensitive
            ? RequestShape.Untyped
            : RequestShape.For(options.GetTypeInfo(body.ParameterType));
        return _facts = new ActionFacts(body?.Name, shape, action.Route with { RequestType = body?.ParameterType });
    }

    /// <summary>
    /// The action's body parameter as MVC binds it (its name, null for none), its shape, and the route with its body
    /// type.
    /// </summary>
    private sealed record ActionFacts(string? BodyParameter, RequestShape Shape, TracedRouteInfo Route);
}
