using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace TracedLlm;

/// <summary>
/// A traced handler answered with an error result of its own: an <see cref="IResult"/> whose status
/// is 400 or more (<c>Results.StatusCode(503)</c>, <c>Results.Problem(...)</c>,
/// <c>TypedResults.BadRequest(...)</c>, ...) or a relayed upstream error. The client got the result's
/// own status and body; this is how the failure path records it and how the failure loggers see it
/// (<see cref="FailureContext.Exception"/>). An MVC action's result of such a status, and MVC's own
/// answer to a request that failed its model validation, are recorded the same way. It is made, never thrown, so it has
/// no stack trace, and no <c>exception</c> event is recorded for it.
/// </summary>
public sealed class ErrorResultException : GatewayException
{
    internal ErrorResultException(int statusCode, string? errorType, string? description, IResult result)
        : base(description ?? DefaultDescription(statusCode))
    {
        StatusCode = statusCode;
        ErrorType = errorType ?? statusCode.ToString(CultureInfo.InvariantCulture);
        Result = result;
    }

    /// <summary>
    /// An MVC action's answer: its result (or MVC's own, for a validation error), which MVC executed.
    /// </summary>
    internal ErrorResultException(int statusCode, string? errorType, string? description, IActionResult? actionResult)
        : base(description ?? DefaultDescription(statusCode))
    {
        StatusCode = statusCode;
        ErrorType = errorType ?? statusCode.ToString(CultureInfo.InvariantCulture);
        ActionResult = actionResult;
    }

    /// <summary>The status the result answered with.</summary>
    public override int StatusCode { get; }

    /// <inheritdoc />
    public override GatewayErrorKind Kind => KindOf(StatusCode);

    /// <summary>
    /// The <c>error.type</c> the spans record: the status as a string (<c>"503"</c>, as OpenTelemetry's
    /// HTTP conventions record an error status), or what the result reported for itself
    /// (<see cref="Pipeline.ResultStage.ReportStatus"/>).
    /// </summary>
    public string ErrorType { get; }

    /// <summary>The handler's result; null for an MVC action's (<see cref="ActionResult"/>).</summary>
    public IResult? Result { get; }

    /// <summary>
    /// An MVC action's result, as MVC executed it (a validation error's is MVC's own); null for a static handler's.
    /// </summary>
    public IActionResult? ActionResult { get; }

    internal static string DefaultDescription(int statusCode) =>
        ReasonPhrases.GetReasonPhrase(statusCode) is { Length: > 0 } reason
            ? $"The route's handler answered {statusCode.ToString(CultureInfo.InvariantCulture)} {reason}."
            : $"The route's handler answered {statusCode.ToString(CultureInfo.InvariantCulture)}.";
}
