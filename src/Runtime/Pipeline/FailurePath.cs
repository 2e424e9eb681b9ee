using System;
using System.ComponentModel;
using System.Globalization;
using System.Diagnostics;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// The single failure path of every generated route: every exception, whatever its type, comes
/// here exactly once. It stops the guardrails still running beside the handler, classifies the
/// failure, marks the open spans, records the <c>Failed Proxy Server Request</c> span, answers in
/// the route's wire format (a JSON error, or an error event in a stream that has started; nothing
/// when the client went away), then calls each failure logger once. For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class FailurePath
{
    /// <summary>The <c>error.type</c> and code of a client that went away (status 499, nothing written).</summary>
    internal const string ClientDisconnected = "client_disconnected";

    /// <summary>
    /// The <c>error.type</c> and code of the server's own request timeout (ASP.NET Core request timeouts).
    /// </summary>
    internal const string RequestTimeout = "request_timeout";

    /// <summary>The <c>error.type</c> and code of a request body that did not arrive in time (408).</summary>
    internal const string RequestBodyTimeout = "request_body_timeout";

    /// <summary>Handles a failed request; throws only what the route leaves to ASP.NET Core, once recorded.</summary>
    /// <remarks>
    /// Under <see cref="LlmErrorResponses.Host"/> an exception the handler let escape is thrown on to the host's own
    /// handling, and recorded with the status the host answered when the response is complete.
    /// </remarks>
    public static Task HandleAsync(
        LlmCall call, Exception exception, Activity? server, Activity? auth, Activity? preCall, Activity? llm) =>
        HandleAsync(call, exception, server, auth, preCall, llm, answeredStatus: null, hostMayAnswer: true);

    /// <summary>
    /// Handles a failed request; with <paramref name="answeredStatus"/>, an exception the app's own handling has
    /// answered with that status (an MVC exception filter, the app's exception middleware).
    /// </summary>
    /// <remarks>
    /// It is recorded once, with its exception event, and nothing is written. Never throws.
    /// </remarks>
    internal static async Task HandleAsync(
        LlmCall call, Exception exception, Activity? server, Activity? auth, Activity? preCall, Activity? llm,
        int? answeredStatus, Failure? decided = null, bool hostMayAnswer = false)
    {
        // Guardrails running beside the handler are stopped and awaited: they end their spans before
        // their parent does, and a guardrail that failed (or blocked) is the failure when the handler
        // was only cancelled because of it. The task never faults. Only a handler whose token was
        // cancelled before this path stopped the guardrails can have been cancelled because of one:
        // a cancellation of the handler's own stays its failure (it was once replaced by the
        // guardrail's stop, which this path itself caused).
        if (call.DuringCallGuardrails is { } pending)
        {
            var cancelledBefore = call.CancellationToken.IsCancellationRequested;
            await call.StopDuringCallGuardrailsAsync().ConfigureAwait(false);
            if (await pending.ConfigureAwait(false) is { } guardrailFailure
                && cancelledBefore
                && exception is OperationCanceledException)
            {
                exception = guardrailFailure;
                hostMayAnswer = false;
            }
        }

        if (hostMayAnswer && HostAnswers(call, exception))
        {
            // Minimal APIs' binding answer, or the host's own handling: the exception goes on once recorded.
            exception = LeaveToHost(call, exception, server, llm ?? preCall ?? auth);
        }

        if (exception is GuardrailBlockedException { SpanRecorded: false } unspanned)
        {
            GuardrailRunner.RecordUnspannedBlock(call, unspanned, llm ?? server);
        }

        // The message goes to the client and into spans: redacted and bounded like any client text (it may echo some).
        var failure = decided
            ?? (answeredStatus is { } status ? AnsweredByApp(exception, status) : Classify(call, exception));
        failure = failure with
        {
            Message = TelemetryText.Bound(
                failure.Message, call.Gateway.Options.Limits.MaxAttributeValueLength, call.Gateway.Options.Redaction)
        };
        call.Failure = failure;
        // An error result was answered, not thrown: no exception event for it (an exception the app answered was
        // thrown; one left to the host has its event on the span it left).
        var thrown = (failure.Answered && answeredStatus is null) || call.HostAnswer is not null ? null : exception;
        MarkOpenSpan(call, llm ?? preCall ?? auth, thrown, failure);
        MarkOpenSpan(call, server, innermost: llm is null && preCall is null && auth is null ? thrown : null, failure);
        if (server is { IsAllDataRequested: true })
        {
            server.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
        }

        var failed = Spans.StartChild(call, SpanNames.Failure, ActivityKind.Internal, server);
        if (failed is not null)
        {
            if (failed.IsAllDataRequested)
            {
                failed.SetTag(AttributeNames.ErrorType, failure.ErrorType);
                failed.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
                if (!failure.Answered)
                {
                    TelemetryText.AddException(failed, exception, call);
                }
            }

            failed.SetStatus(ActivityStatusCode.Error, failure.Message);
        }

        // The client is answered first: it waits for no failure logger, however slow.
        await AnswerAsync(call, failure, server).ConfigureAwait(false);
        await LogAsync(call, exception, failure, failed).ConfigureAwait(false);
        Spans.End(failed, server);
    }

    /// <summary>Writes the error, as the response's state allows.</summary>
    /// <remarks>
    /// A JSON body when nothing was sent yet, an error event (before the stream's terminal event, which the pipeline
    /// holds back) when a stream has started, nothing when the client is gone or the handler's error result has
    /// answered it. A response something else started cannot be ended honestly: its connection is cut, so the client
    /// never takes a truncated body for a whole one.
    /// </remarks>
    private static async ValueTask AnswerAsync(LlmCall call, Failure failure, Activity? server)
    {
        if (failure.Answered)
        {
            // The handler's error result has answered the client: nothing is written over it.
            return;
        }

        var httpContext = call.HttpContext;
        var response = httpContext.Response;
        if (failure.Code == ClientDisconnected)
        {
            // Nothing is written. Kestrel records 499 itself only once it has cancelled the request
            // token, which it does from the thread pool; set here, a response that is not sent is
            // never a 200 in the server's own logs and metrics.
            if (!response.HasStarted)
            {
                response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            }

            return;
        }

        try
        {
            if (!response.HasStarted)
            {
                await ErrorResponses.WriteAsync(call, failure).ConfigureAwait(false);
            }
            else if (call.RelayedBodyTakesEvents ?? call.StreamedChunks > 0)
            {
                await ServerSentEvents.WriteErrorAsync(response, call.Route.ErrorFormat, failure).ConfigureAwait(false);
            }
            else
            {
                httpContext.Abort();
            }
        }
        catch (Exception writeFailure)
        {
            // The client left while the error was being written: nothing more to tell it.
            if (server is not null)
            {
                TelemetryText.AddException(server, writeFailure, call);
            }
        }
    }

    /// <summary>
    /// Calls every failure logger once, in order, within one deadline for all of them; a logger's failure is an event
    /// on the failure span.
    /// </summary>
    private static async ValueTask LogAsync(LlmCall call, Exception exception, Failure failure, Activity? failed)
    {
        var loggers = call.Gateway.FailureLoggers;
        if (loggers.Length == 0)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(call.Gateway.Options.FailureLoggerTimeout);
        var context = new FailureContext(call, exception, failure.StatusCode, failure.ErrorType)
        {
            ErrorCode = failure.Code,
            CancellationToken = deadline.Token
        };
        foreach (var logger in loggers)
        {
            try
            {
                var logging = logger.LogFailureAsync(context);
                if (!logging.IsCompletedSuccessfully)
                {
                    // A logger that ignores its token is left behind at the deadline, not waited for.
                    await logging.AsTask().WaitAsync(deadline.Token).ConfigureAwait(false);
                }
            }
            catch (Exception loggerFailure)
            {
                // A broken or slow logger must not change the response or stop the other loggers.
                failed?.AddEvent(new ActivityEvent(
                    AttributeNames.FailureLoggerErrorEvent,
                    tags: new ActivityTagsCollection
                    {
                        [AttributeNames.ErrorType] = loggerFailure.GetType().FullName,
                    }));
            }
        }
    }

    private static void MarkOpenSpan(LlmCall call, Activity? span, Exception? innermost, in Failure failure)
    {
        if (span is null)
        {
            return;
        }

        span.SetStatus(ActivityStatusCode.Error, failure.Message);
        if (span.IsAllDataRequested)
        {
            span.SetTag(AttributeNames.ErrorType, failure.ErrorType);
            if (innermost is not null)
            {
                TelemetryText.AddException(span, innermost, call);
            }
        }
    }

    /// <summary>
    /// The one place a failure gets its status, code and <c>error.type</c>. An answer the client
    /// already has decides first: the handler's error result, once its response has started, is the
    /// status the client was answered, whenever the connection closes after it (a client that reads
    /// the whole answer and hangs up at once cancels the request token as this path starts).
    /// Then the request's own state, whatever was thrown while it was being cancelled: the server's
    /// request timeout (its token, not <see cref="HttpContext.RequestAborted"/>, which the timeout also
    /// cancels), then a client that went away (the request token, or a body its client cut short).
    /// Then the exception, as what it meant when it left an HttpClient whose sends are attempts
    /// (<see cref="LlmCall.UpstreamMeaningOf"/>): a <see cref="GatewayException"/> says its own status
    /// (an <see cref="UpstreamTimeoutException"/> is the only upstream timeout), an
    /// <see cref="HttpRequestException"/> with a status is that upstream status; anything else, a
    /// component's own cancellation or timeout included, is an internal error.
    /// </summary>
    internal static Failure Classify(LlmCall call, Exception exception)
    {
        var httpContext = call.HttpContext;
        if (exception is ErrorResultException answered && httpContext.Response.HasStarted)
        {
            return Answered(answered);
        }

        if (httpContext.Features.Get<IHttpRequestTimeoutFeature>()
            is { RequestTimeoutToken.IsCancellationRequested: true })
        {
            // A body still being read when the deadline passed: the client was the slow side (408).
            return call.Envelope.Error is OperationCanceledException
                ? new Failure(408, GatewayErrorKind.InvalidRequest, RequestBodyTimeout,
                    "The request body did not arrive in time.", RequestBodyTimeout)
                : new Failure(504, GatewayErrorKind.Timeout, RequestTimeout,
                    "The request took longer than this gateway allows.", RequestTimeout);
        }

        // Kestrel cancels RequestAborted from the thread pool after it closed the connection: a body
        // cut short by the client leaving says so first (RequestStage.ReadBodyAsync).
        if (httpContext.RequestAborted.IsCancellationRequested || call.Envelope.Error is ConnectionAbortedException)
        {
            return new Failure(499, GatewayErrorKind.InvalidRequest, ClientDisconnected,
                "The client closed the request.", ClientDisconnected);
        }

        if (UnreadBodyFailure(call, exception) is { } unread)
        {
            return unread;
        }

        // An exception that left an HttpClient whose sends are attempts (or one that wraps it) is what it
        // meant there: a timeout, an unreachable upstream, an open circuit. An error status the handler's
        // code made an exception of (EnsureSuccessStatusCode) is the upstream's status, passed on as any.
        var meaning = call.UpstreamMeaningOf(exception) switch
        {
            HttpRequestException { StatusCode: { } status } http => new UpstreamException(
                (int)status,
                string.Create(CultureInfo.InvariantCulture, $"The upstream provider answered {(int)status}."),
                http),
            var other => other,
        };
        var errorType = meaning.GetType().FullName ?? meaning.GetType().Name;
        return meaning switch
        {
            // The handler's own error result: the client has its answer already.
            ErrorResultException result => Answered(result),

            // Minimal APIs' answer to a body the handler's type cannot bind: its status, set already, and no body.
            UnboundBodyException unbound => new Failure(unbound.StatusCode, GatewayErrorKind.InvalidRequest,
                typeof(InvalidLlmRequestException).FullName!, unbound.Description, Code: null, Answered: true),

            GatewayException known => new Failure(known.StatusCode, known.Kind, errorType, known.Message, known.Code,
                JsonPath: (known as InvalidLlmRequestException)?.JsonPath),

            // Kept until upstream code reports unreachable providers as UpstreamException itself.
            HttpRequestException => new Failure(502, GatewayErrorKind.Api, errorType,
                "The upstream provider could not be reached.", "upstream_unreachable"),

            // Its message may carry anything (paths, keys): the client and the span status get a fixed text.
            _ => new Failure(500, GatewayErrorKind.Api, errorType,
                "The gateway failed to handle the request.", "internal_error"),
        };
    }

    private static Failure Answered(ErrorResultException result) =>
        new(result.StatusCode, result.Kind, result.ErrorType, result.Message, Code: null, Answered: true);

    /// <summary>An exception of the app's own that the app's handling answered.</summary>
    /// <remarks>
    /// The status it answered, the exception's type, and a description that names both but never the exception's
    /// message (it may carry anything).
    /// </remarks>
    private static Failure AnsweredByApp(Exception exception, int status)
    {
        var type = exception.GetType();
        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        var answered = reason.Length > 0
            ? $"{status} {reason}"
            : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Failure(status, GatewayException.KindOf(status), type.FullName ?? type.Name,
            $"{type.Name} was thrown; the application answered {answered}.", Code: null, Answered: true);
    }

    /// <summary>
    /// A failure as the client is answered and the spans record it; <paramref name="Answered"/> when an error result
    /// already wrote the response.
    /// </summary>
    /// <remarks><paramref name="JsonPath"/>: where in the body a refused request is wrong, or null.</remarks>
    internal readonly record struct Failure(
        int StatusCode, GatewayErrorKind Kind, string ErrorType, string Message, string? Code, bool Answered = false,
        string? JsonPath = null);
}
