using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace TracedLlm.Pipeline;

/// <summary>Writes the errors the pipeline answers itself, with no reflection.</summary>
/// <remarks>
/// In the route's wire format (OpenAI's or Anthropic's error JSON), as RFC 7807 problem details, or through the app's
/// own <see cref="ILlmErrorWriter"/>, as the route and the options choose (<see cref="LlmErrorResponses"/>).
/// </remarks>
internal static class ErrorResponses
{
    /// <summary>
    /// The responses the route gives: its own choice, else the options'; never <see cref="LlmErrorResponses.Default"/>.
    /// </summary>
    public static LlmErrorResponses Of(TracedRouteInfo route, TracedLlmOptions options) =>
        route.ErrorResponses != LlmErrorResponses.Default ? route.ErrorResponses
        : options.ErrorResponses != LlmErrorResponses.Default ? options.ErrorResponses
        : LlmErrorResponses.WireFormat;

    /// <summary>
    /// Answers <paramref name="failure"/> in the route's error responses; the response has not started.
    /// </summary>
    public static Task WriteAsync(LlmCall call, FailurePath.Failure failure)
    {
        var httpContext = call.HttpContext;
        var response = httpContext.Response;
        if (httpContext.Features.Get<IHttpResponseFeature>() is { ReasonPhrase: not null } feature)
        {
            // The gateway's own status line: a reason an upstream's answer set (a relayed answer then blocked
            // or failed before it was sent) belongs to that answer, as its headers do.
            feature.ReasonPhrase = null;
        }

        if (failure.StatusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }
        else if (failure.Code == RequestContentCoding.UnsupportedCode)
        {
            // RFC 9110, 15.5.16: a coding refused is answered with the codings that are accepted.
            response.Headers.AcceptEncoding = RequestContentCoding.Accepted;
        }

        var responses = Of(call.Route, call.Gateway.Options);
        if (failure is { StatusCode: StatusCodes.Status400BadRequest, JsonPath: { } path }
            && failure.Kind == GatewayErrorKind.InvalidRequest
            && AppAnswersInput(call.Route, call.Gateway.Options)
            && httpContext.Features.Get<IRequestRefusalWriter>() is { } refusals
            && refusals.TryWrite(path, failure.Message) is { } refused)
        {
            // Input refused as the app's framework refuses input it cannot bind (MVC's invalid model state answer).
            return refused;
        }

        return responses switch
        {
            // ASP.NET Core's own errors are problem details: on a route that keeps its answers, the pipeline's too.
            LlmErrorResponses.ProblemDetails or LlmErrorResponses.Host => WriteProblemAsync(httpContext, failure),
            LlmErrorResponses.Writer => call.Gateway.ErrorWriter(call.Route)
                .WriteAsync(new LlmErrorContext(
                    httpContext, call.Route, failure.StatusCode, failure.Kind, failure.Code, failure.Message))
                .AsTask(),
            _ => WriteWireAsync(httpContext, call.Route.ErrorFormat, failure),
        };
    }

    /// <summary>
    /// True when the pipeline's refusal of a request's input is the app's framework's to answer: no route
    /// or option chose another format than problem details (docs/mvc.md, "The error format").
    /// </summary>
    internal static bool AppAnswersInput(TracedRouteInfo route, TracedLlmOptions options) =>
        route.ErrorResponses is LlmErrorResponses.ProblemDetails or LlmErrorResponses.Host
        || (route.ErrorResponses == LlmErrorResponses.Default
            && options.ErrorResponses is LlmErrorResponses.Default or LlmErrorResponses.ProblemDetails
                or LlmErrorResponses.Host);

    private static async Task WriteWireAsync(HttpContext httpContext, WireFormat format, FailurePath.Failure failure)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteBody(buffer, format, failure);

        var response = httpContext.Response;
        response.StatusCode = failure.StatusCode;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;

        // Not RequestAborted: the server's request timeout cancels it too, and that client is still
        // waiting for its 504. A client that is really gone makes the write fail, which is caught.
        await response.Body.WriteAsync(buffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// RFC 7807 problem details, as ASP.NET Core writes them: through the app's <c>IProblemDetailsService</c>
    /// when it has one (its customizations apply), else as <c>ProblemHttpResult</c> writes them itself.
    /// The <c>traceId</c> is the one ASP.NET Core's default writer adds (the current activity's id, else
    /// the request's identifier), so an answer of the pipeline's reads like the app's own.
    /// </summary>
    private static Task WriteProblemAsync(HttpContext httpContext, FailurePath.Failure failure)
    {
        // A refusal that names its place is a validation problem, its error under the JSON path, as the
        // app's own validation answers (minimal APIs' HttpValidationProblemDetails).
        var problem = failure.JsonPath is { } path
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [path] = [failure.Message] })
            : new ProblemDetails();
        problem.Status = failure.StatusCode;
        var reason = ReasonPhrases.GetReasonPhrase(failure.StatusCode);
        problem.Title = reason.Length > 0 ? reason : ErrorType(failure);
        problem.Detail = failure.Message;
        if (failure.Code is not null)
        {
            problem.Extensions["code"] = failure.Code;
        }

        problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        return TypedResults.Problem(problem).ExecuteAsync(httpContext);
    }

    /// <summary>The error JSON of the wire format, for a response body or a stream's error event.</summary>
    public static void WriteBody(IBufferWriter<byte> buffer, WireFormat format, FailurePath.Failure failure)
    {
        using var writer = new Utf8JsonWriter(buffer);
        if (format == WireFormat.Anthropic)
        {
            WriteAnthropic(writer, failure);
        }
        else
        {
            WriteOpenAI(writer, failure);
        }
    }

    private static void WriteOpenAI(Utf8JsonWriter writer, in FailurePath.Failure failure)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", failure.Message);
        writer.WriteString("type", ErrorType(failure));
        writer.WriteNull("param");
        if (failure.Code is null)
        {
            writer.WriteNull("code");
        }
        else
        {
            writer.WriteString("code", failure.Code);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteAnthropic(Utf8JsonWriter writer, in FailurePath.Failure failure)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", failure.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => "request_too_large",
            StatusCodes.Status404NotFound => "not_found_error",
            _ => ErrorType(failure),
        });
        writer.WriteString("message", failure.Message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The error type both wire formats share for each kind of failure.</summary>
    private static string ErrorType(in FailurePath.Failure failure) => failure.Kind switch
    {
        GatewayErrorKind.InvalidRequest => "invalid_request_error",
        GatewayErrorKind.Authentication => "authentication_error",
        GatewayErrorKind.Permission => "permission_error",
        GatewayErrorKind.RateLimit => "rate_limit_error",
        GatewayErrorKind.Overloaded => "overloaded_error",
        GatewayErrorKind.Timeout => "timeout_error",
        _ => "api_error",
    };
}

/// <summary>
/// A request feature that writes the pipeline's refusal of a request's input as the app's framework answers input it
/// cannot bind.
/// </summary>
/// <remarks>
/// The refusal: a body it cannot read one way, a slot value of the wrong type; on routes that chose no other error
/// format, the framework's answer is an MVC <c>[ApiController]</c> action's invalid model state answer. Null from
/// <see cref="TryWrite"/> when the framework has no such answer.
/// </remarks>
internal interface IRequestRefusalWriter
{
    /// <summary>
    /// Writes the refusal, <paramref name="message"/> under <paramref name="jsonPath"/>; null leaves it to the route.
    /// </summary>
    Task? TryWrite(string jsonPath, string message);
}
