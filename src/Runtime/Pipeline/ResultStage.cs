using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Pipeline;

/// <summary>
/// Writes a regular handler's result: a typed result as JSON (status 200, the bytes content capture
/// already serialized when there are any), or an <see cref="IResult"/> as it executes itself. A
/// typed result is written after the LLM span has ended; an <see cref="IResult"/> runs under it (a
/// relay's result is the LLM call's answer on its way), and when it answers with a status of 400 or
/// more (its own, or the one it reported with <see cref="ReportStatus"/>) the request is a failure:
/// this stage hands it to <see cref="FailurePath"/>, which records it and calls the failure loggers
/// but leaves the response as the result wrote it. A failure while writing goes to the failure path
/// like any other. For generated code, and for packages whose results write the response themselves.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ResultStage
{
    /// <summary>
    /// Writes a handler's typed result as JSON (status 200). A client that left, or a request
    /// timeout that passed, before this point fails the request; once started, the write is not
    /// cancelled (see <see cref="ServerSentEvents"/>: Kestrel would cut the connection mid-body).
    /// </summary>
    public static Task WriteAsync<T>(LlmCall call, T result, JsonTypeInfo<T> typeInfo)
    {
        call.HttpContext.RequestAborted.ThrowIfCancellationRequested();
        var response = call.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (call.SerializedResult is { } serialized)
        {
            response.ContentType = "application/json";
            response.ContentLength = serialized.Length;
            return response.Body.WriteAsync(serialized, CancellationToken.None).AsTask();
        }

        return response.WriteAsJsonAsync(result, typeInfo, contentType: "application/json", CancellationToken.None);
    }

    /// <summary>
    /// Executes a handler's <see cref="IResult"/> under the LLM span; a failure then goes to the failure path once.
    /// </summary>
    /// <remarks>
    /// An error status (400 or more), or a failure nothing threw (<see cref="UnthrownFailure"/>: YARP's
    /// forwarder's error, the last upstream attempt's), without another word to the client.
    /// </remarks>
    public static Task WriteAsync(LlmCall call, IResult result)
    {
        // The handler's result is the handler's code: what it throws is the app's (LlmErrorResponses.Host).
        call.HandlerRunning = true;
        var executing = result.ExecuteAsync(call.HttpContext);
        return executing.IsCompletedSuccessfully && AnsweredStatus(call) < StatusCodes.Status400BadRequest
            && call.FailedAttempt is null && UnthrownFailure.Reported(call.HttpContext) is null
            ? Task.CompletedTask
            : CheckAsync(call, result, executing);
    }

    /// <summary>The hook for a result that writes the response itself on an upstream's behalf (the relay's).</summary>
    /// <remarks>
    /// Reports the status it answered the client with, and what a failure records on the spans: its <c>error.type</c>
    /// (default: the status, <c>"429"</c>) and the span status description (default: "The route's handler answered 429
    /// Too Many Requests."; it is redacted and bounded like any text the failure path records). Call it while the
    /// result executes; the last report wins. A status of 400 or more makes the request a failure
    /// (<see cref="ErrorResultException"/>); the client keeps the status, headers and body the result wrote.
    /// </remarks>
    public static void ReportStatus(LlmCall call, int statusCode, string? errorType = null, string? description = null)
    {
        System.ArgumentNullException.ThrowIfNull(call);
        call.ReportedAnswer = new ReportedAnswer(statusCode, errorType, description);
    }

    /// <summary>
    /// The hook for a result that starts the response within an upstream attempt (the relay's, as the upstream's answer
    /// is passed on).
    /// </summary>
    /// <remarks>
    /// Writes the call's <c>x-litellm-attempted-*</c> headers with the counts so far, when the call writes them, as the
    /// attempt policy writes them when the call ends before the response has started. Call it before the response
    /// starts.
    /// </remarks>
    internal static void WriteAttemptHeaders(LlmAttempt attempt)
    {
        System.ArgumentNullException.ThrowIfNull(attempt);
        attempt.Sequence?.WriteResponseHeaders();
    }

    private static async Task CheckAsync(LlmCall call, IResult result, Task executing)
    {
        await executing.ConfigureAwait(false);
        var status = AnsweredStatus(call);

        if (UnthrownFailure.Answered(call, status) is { } unthrown)
        {
            await FailurePath.HandleUnthrownAsync(call, unthrown, status, call.ServerSpan, call.Span)
                .ConfigureAwait(false);
        }
        else if (status >= StatusCodes.Status400BadRequest)
        {
            var reported = call.ReportedAnswer;

            // The handler's answer to a body the pipeline could not read, handed to it as it came: the client's.
            var unread = reported is null && status < StatusCodes.Status500InternalServerError ? call.UnreadBody : null;
            var error = unread is null
                ? new ErrorResultException(status, reported?.ErrorType, reported?.Description, result)
                : new ErrorResultException(status, typeof(InvalidLlmRequestException).FullName,
                    $"{unread.Message} {ErrorResultException.DefaultDescription(status)}", result);
            await FailurePath.HandleAsync(call, error, call.ServerSpan, auth: null, preCall: null, call.Span)
                .ConfigureAwait(false);
        }
    }

    private static int AnsweredStatus(LlmCall call) =>
        call.ReportedAnswer?.StatusCode ?? call.HttpContext.Response.StatusCode;

    /// <summary>What a result reported of its answer (<see cref="ReportStatus"/>).</summary>
    internal sealed record ReportedAnswer(int StatusCode, string? ErrorType, string? Description);
}
