using Microsoft.AspNetCore.Http;

namespace TracedLlm;

/// <summary>
/// An error the pipeline answers, as an <see cref="ILlmErrorWriter"/> writes it. Every text here is
/// safe to send: the message is the one the wire formats send (redacted and bounded, never an
/// exception's own message for an internal error).
/// </summary>
public sealed class LlmErrorContext
{
    internal LlmErrorContext(
        HttpContext httpContext,
        TracedRouteInfo route,
        int statusCode,
        GatewayErrorKind kind,
        string? code,
        string message)
    {
        HttpContext = httpContext;
        Route = route;
        StatusCode = statusCode;
        Kind = kind;
        Code = code;
        Message = message;
    }

    /// <summary>The request; write its response.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The traced route that failed.</summary>
    public TracedRouteInfo Route { get; }

    /// <summary>The status to answer with (400, 401, 403, 408, 413, 415, 429, 500, 502, 503, 504...).</summary>
    public int StatusCode { get; }

    /// <summary>The kind of failure, as the wire formats' error types name it.</summary>
    public GatewayErrorKind Kind { get; }

    /// <summary>
    /// The error's code (<c>guardrail_blocked</c>, <c>upstream_timeout</c>, <c>internal_error</c>...), or null.
    /// </summary>
    public string? Code { get; }

    /// <summary>What went wrong, for the client: the message the wire formats send.</summary>
    public string Message { get; }
}
