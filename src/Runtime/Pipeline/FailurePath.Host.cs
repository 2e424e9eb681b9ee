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
    /// <summary>True when the failure path answers an exception whatever the route's errors.</summary>
    /// <remarks>
    /// TracedLlm's own (a <see cref="GatewayException"/>: a guardrail's block, an upstream's failure, a timeout of an
    /// attempt), one after the response started (only the pipeline can end a stream honestly), or one the request's own
    /// state explains (its client left, its deadline passed). Any other is the app's.
    /// </remarks>
    internal static bool PipelineAnswers(HttpContext httpContext, Exception exception) =>
        exception is GatewayException
        || httpContext.Response.HasStarted
        || httpContext.RequestAborted.IsCancellationRequested
        || exception is ConnectionAbortedException
        || httpContext.Features.Get<IHttpRequestTimeoutFeature>()
            is { RequestTimeoutToken.IsCancellationRequested: true };

    /// <summary>
    /// True when a static handler's route leaves the failure to ASP.NET Core (<see cref="LlmErrorResponses.Host"/>).
    /// </summary>
    /// <remarks>
    /// Minimal APIs' answer to a body the handler's type cannot bind, or an exception of the app's own that left the
    /// handler (or its result, its stream) before the response started.
    /// </remarks>
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
        var left = new HostAnswer(exception, server);
        call.HostAnswer = left;

        // The host's answer is complete when its response is; a server that hands the exception on instead (the test
        // server gives it to its client) completes no response but aborts the request.
        httpContext.Response.OnCompleted(static state => HostAnsweredAsync((LlmCall)state), call);
        left.Aborted = httpContext.RequestAborted.Register(
            static state => _ = HostAnsweredAsync((LlmCall)state!), call);
        ExceptionDispatchInfo.Throw(exception);
        return exception;
    }

    /// <summary>The host has answered: the record is made now if the generated code ended the spans it owns.</summary>
    private static Task HostAnsweredAsync(LlmCall call) =>
        call.HostAnswer is { } left && left.Reach(HostAnswer.Answered)
            ? CompleteHostAnswerAsync(call)
            : Task.CompletedTask;

    /// <summary>
    /// The generated code has ended the spans it owns and leaves the server span to the record: made now if the host
    /// has answered already. False when the request's end waits for neither.
    /// </summary>
    internal static bool LeftToHost(LlmCall call)
    {
        if (call.HostAnswer is not { Recorded: false } left)
        {
            return false;
        }

        if (left.Reach(HostAnswer.SpansEnded))
        {
            _ = CompleteHostAnswerAsync(call);
        }

        return true;
    }

    /// <summary>Records an exception the host answered.</summary>
    /// <remarks>
    /// The failure with the status it answered (one it never set, as on a test server that hands the exception to its
    /// client, is the server's 500), then the server span's end.
    /// </remarks>
    private static async Task CompleteHostAnswerAsync(LlmCall call)
    {
        var left = call.HostAnswer!;
        left.Aborted.Dispose();
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
            left.Recorded = true;
            RequestStage.EndSpan(left.Server, call);
        }
    }

    private static bool ThrowsOnBadRequest(HttpContext httpContext) =>
        httpContext.RequestServices.GetService<IOptions<RouteHandlerOptions>>()?.Value.ThrowOnBadRequest ?? false;

    /// <summary>A handler's failure on a body the pipeline could not read and handed to it as it came.</summary>
    /// <remarks>
    /// The client's mistake, answered as the pipeline answers such a body, never a 500. Null for any other failure.
    /// What System.Text.Json throws on such a body: a parser's <see cref="JsonException"/>, or the
    /// <see cref="InvalidOperationException"/> of a node read as what it is not (<c>AsObject()</c> on an array), or
    /// an exception wrapping either. Where the runtime keeps no stack trace (Native AOT), the second is not told apart.
    /// </remarks>
    private static Failure? UnreadBodyFailure(LlmCall call, Exception exception)
    {
        if (call.UnreadBody is not { } unread)
        {
            return null;
        }

        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            if (cause is JsonException or InvalidOperationException { Source: "System.Text.Json" })
            {
                return new Failure(unread.StatusCode, unread.Kind, typeof(InvalidLlmRequestException).FullName!,
                    unread.Message, unread.Code);
            }
        }

        return null;
    }

    /// <summary>An exception left to the host: the server span that waits, and how far the end has come.</summary>
    internal sealed class HostAnswer(Exception exception, Activity? server)
    {
        /// <summary>The generated code has ended the spans it owns.</summary>
        public const int SpansEnded = 1;

        /// <summary>The host has answered (its response is complete, or the request was aborted).</summary>
        public const int Answered = 2;

        private int _reached;

        public Exception Exception => exception;

        public Activity? Server => server;

        /// <summary>The registration that completes the record when the request is aborted.</summary>
        public CancellationTokenRegistration Aborted { get; set; }

        /// <summary>True once the record is made: the server span then ends as every request's does.</summary>
        public bool Recorded { get; set; }

        /// <summary>Marks <paramref name="step"/> reached; true for the step that completes both, once.</summary>
        public bool Reach(int step)
        {
            var before = Interlocked.Or(ref _reached, step);
            return (before & step) == 0 && (before | step) == (SpansEnded | Answered);
        }
    }
}
