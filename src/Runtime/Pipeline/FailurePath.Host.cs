using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TracedLlm.Pipeline;

// FailurePath: who answers a failure the app's own framework answered before adoption (LlmErrorResponses.Host), and
// a body the pipeline could not read that the handler, given it as it came, failed on.
public static partial class FailurePath
{
    /// <summary>
    /// True when the failure path answers an exception whatever the route's errors: TracedLlm's own (a
    /// <see cref="GatewayException"/>: a guardrail's block, an upstream's failure, a timeout of an attempt), one after
    /// the response started (only the pipeline can end a stream honestly), or one the request's own state explains
    /// (its client left, its deadline passed). Any other is the app's.
    /// </summary>
    internal static bool PipelineAnswers(HttpContext httpContext, Exception exception) =>
        exception is GatewayException
        || httpContext.Response.HasStarted
        || httpContext.RequestAborted.IsCancellationRequested
        || exception is ConnectionAbortedException
        || httpContext.Features.Get<IHttpRequestTimeoutFeature>()
            is { RequestTimeoutToken.IsCancellationRequested: true };

    /// <summary>
    /// True when a static handler's route leaves the failure to ASP.NET Core (<see cref="LlmErrorResponses.Host"/>):
    /// minimal APIs' answer to a body the handler's type cannot bind, or an exception of the app's own that left the
    /// handler (or its result, its stream) before the response started.
    /// </summary>
    private static bool HostAnswers(LlmCall call, Exception exception) =>
        ErrorResponses.Of(call.Route, call.Gateway.Options) == LlmErrorResponses.Host
        && (exception is UnboundBodyException || call.HandlerRunning)
        && !PipelineAnswers(call.HttpContext, exception);

    /// <summary>
    /// Leaves the failure to ASP.NET Core. Minimal APIs' answer to a body they cannot bind is its status and no
    /// body, recorded at once: the exception is returned for the rest of the failure path. Under
    /// <c>RouteHandlerOptions.ThrowOnBadRequest</c> it is their <see cref="BadHttpRequestException"/> instead,
    /// thrown on as the app's own exceptions are: the open span marked now (the generated code ends it), the
    /// failure recorded and the server span ended with the status the host answered, once the response is complete.
    /// </summary>
    private static Exception LeaveToHost(LlmCall call, Exception exception, Activity? server, Activity? innermost)
    {
        var httpContext = call.HttpContext;
        if (exception is UnboundBodyException unbound)
        {
            if (!ThrowsOnBadRequest(httpContext))
            {
                httpContext.Response.StatusCode = unbound.StatusCode;
                return unbound;
            }

            exception = unbound.ForHost();
        }

        var leaving = AnsweredByApp(exception, StatusCodes.Status500InternalServerError) with
        {
            Message = $"{exception.GetType().Name} was thrown; left to the application's own exception handling.",
        };
        MarkOpenSpan(call, innermost, exception, leaving);
        call.HostAnswer = new HostAnswer(exception, server);
        httpContext.Response.OnCompleted(static state => CompleteHostAnswerAsync((LlmCall)state), call);
        ExceptionDispatchInfo.Throw(exception);
        return exception;
    }

    /// <summary>
    /// Records an exception the host answered, once its response is complete: the failure with the status it
    /// answered (a status it never set, as a test server that hands the exception to its client, is the server's 500),
    /// then the server span's end, which waited for it.
    /// </summary>
    private static async Task CompleteHostAnswerAsync(LlmCall call)
    {
        if (call.HostAnswer is not { } left || !left.TryComplete())
        {
            return;
        }

        var response = call.HttpContext.Response;
        var status = response.HasStarted || response.StatusCode >= StatusCodes.Status400BadRequest
            ? response.StatusCode
            : StatusCodes.Status500InternalServerError;
        try
        {
            await HandleAsync(call, left.Exception, left.Server, auth: null, preCall: null, llm: null, status)
                .ConfigureAwait(false);
        }
        finally
        {
            RequestStage.EndSpan(left.Server, call);
        }
    }

    private static bool ThrowsOnBadRequest(HttpContext httpContext) =>
        httpContext.RequestServices.GetService<IOptions<RouteHandlerOptions>>()?.Value.ThrowOnBadRequest ?? false;

    /// <summary>
    /// A handler's failure on a body the pipeline could not read and handed to it as it came (a parser's
    /// <see cref="JsonException"/>, or one wrapping it): the client's mistake, answered as the pipeline answers such a
    /// body, never a 500. Null for any other failure.
    /// </summary>
    private static Failure? UnreadBodyFailure(LlmCall call, Exception exception)
    {
        if (call.UnreadBody is not { } unread)
        {
            return null;
        }

        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is JsonException)
            {
                return new Failure(unread.StatusCode, unread.Kind, typeof(InvalidLlmRequestException).FullName!,
                    unread.Message, unread.Code);
            }
        }

        return null;
    }

    /// <summary>An exception left to the host: the server span that waits, and whether the record began.</summary>
    internal sealed class HostAnswer(Exception exception, Activity? server)
    {
        private int _completed;

        public Exception Exception => exception;

        public Activity? Server => server;

        /// <summary>False until the host has answered and the record begins; the server span waits till then.</summary>
        public bool Completed => Volatile.Read(ref _completed) != 0;

        /// <summary>True the first time: the record is made once.</summary>
        public bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;
    }
}
