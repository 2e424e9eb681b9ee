using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Pipeline;

/// <summary>
/// The single failure path of every generated route: every exception, whatever its type, comes
/// here exactly once. It classifies the failure, marks the open spans, records the
/// <c>Failed Proxy Server Request</c> span, calls each failure logger once, and writes the error
/// in the route's wire format (nothing when the client went away). For generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FailurePath
{
    /// <summary>Handles a failed request. Never throws.</summary>
    public static async Task HandleAsync(LlmCall call, Exception exception, Activity? server, Activity? auth, Activity? preCall, Activity? llm)
    {
        var httpContext = call.HttpContext;
        var clientGone = httpContext.RequestAborted.IsCancellationRequested;

        // Guardrails running beside the handler finish (and end their spans) before their parent does.
        if (call.DuringCallGuardrails is { } pending)
        {
            var block = await pending.ConfigureAwait(false);
            if (block is not null && exception is OperationCanceledException)
            {
                // The handler was cancelled because a during-call guardrail blocked: the block is the failure.
                exception = block;
            }
        }

        if (exception is GuardrailBlockedException { SpanRecorded: false } unspanned)
        {
            GuardrailRunner.RecordUnspannedBlock(unspanned, llm ?? server);
        }

        // The message goes to the client and into spans: redacted and bounded like any client text (it may echo some).
        var failure = Classify(exception, clientGone);
        failure = failure with { Message = TelemetryText.Bound(failure.Message, call.Gateway.Options.Limits.MaxAttributeValueLength, call.Gateway.Options.Redaction) };
        call.Failure = failure;
        MarkOpenSpan(call, llm ?? preCall ?? auth, exception, failure);
        MarkOpenSpan(call, server, innermost: llm is null && preCall is null && auth is null ? exception : null, failure);
        if (server is { IsAllDataRequested: true })
        {
            server.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
        }

        var failed = TracedPipeline.StartChild(SpanNames.Failure, ActivityKind.Internal, server);
        if (failed is not null)
        {
            if (failed.IsAllDataRequested)
            {
                failed.SetTag(AttributeNames.ErrorType, failure.ErrorType);
                failed.SetTag(AttributeNames.HttpResponseStatusCode, failure.StatusCode);
                TelemetryText.AddException(failed, exception, call);
            }

            failed.SetStatus(ActivityStatusCode.Error, failure.Message);
        }

        await LogAsync(new FailureContext(call, exception, failure.StatusCode, failure.ErrorType), failed).ConfigureAwait(false);
        TracedPipeline.End(failed, server);

        if (!clientGone)
        {
            try
            {
                if (!httpContext.Response.HasStarted)
                {
                    await ErrorResponses.WriteAsync(httpContext, call.Route.ErrorFormat, failure).ConfigureAwait(false);
                }
                else if (call.StreamedChunks > 0)
                {
                    await ServerSentEvents.WriteErrorAsync(httpContext.Response, call.Route.ErrorFormat, failure, httpContext.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (Exception writeFailure) when (writeFailure is OperationCanceledException or System.IO.IOException)
            {
                // The client left while the error was being written: nothing more to tell it.
                if (server is not null)
                {
                    TelemetryText.AddException(server, writeFailure, call);
                }
            }
        }
    }

    private static async ValueTask LogAsync(FailureContext context, Activity? failed)
    {
        foreach (var logger in context.Call.Gateway.FailureLoggers)
        {
            try
            {
                await logger.LogFailureAsync(context).ConfigureAwait(false);
            }
            catch (Exception loggerFailure)
            {
                // A broken logger must not change the response or stop the other loggers.
                failed?.AddEvent(new ActivityEvent(AttributeNames.FailureLoggerErrorEvent, tags: new ActivityTagsCollection
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

    internal static Failure Classify(Exception exception, bool clientGone)
    {
        if (clientGone)
        {
            return new Failure(499, GatewayErrorKind.InvalidRequest, "client_disconnected", "The client closed the request.", null);
        }

        var errorType = exception.GetType().FullName ?? exception.GetType().Name;
        return exception switch
        {
            GatewayException known => new Failure(known.StatusCode, known.Kind, errorType, known.Message, known.Code),
            HttpRequestException => new Failure(502, GatewayErrorKind.Api, errorType, "The upstream provider could not be reached.", "upstream_unreachable"),
            TimeoutException or OperationCanceledException => new Failure(504, GatewayErrorKind.Timeout, errorType, "The upstream provider did not answer in time.", "upstream_timeout"),

            // Its message may carry anything (paths, keys): the client and the span status get a fixed text.
            _ => new Failure(500, GatewayErrorKind.Api, errorType, "The gateway failed to handle the request.", "internal_error"),
        };
    }

    internal readonly record struct Failure(int StatusCode, GatewayErrorKind Kind, string ErrorType, string Message, string? Code);
}
