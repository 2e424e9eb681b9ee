using System;

namespace TracedLlm;

/// <summary>
/// A failure the gateway knows how to answer: it carries the HTTP status and the error type
/// written in the route's wire format. Its <see cref="Exception.Message"/> is sent to the client,
/// so it must never contain a secret. Any other exception type reaches the same failure path and
/// is answered as an internal error without its message.
/// </summary>
public abstract class GatewayException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected GatewayException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status code of the response.</summary>
    public abstract int StatusCode { get; }

    /// <summary>The error category, mapped to each wire format's error type.</summary>
    public abstract GatewayErrorKind Kind { get; }

    /// <summary>A short machine-readable code (OpenAI <c>code</c>), or null.</summary>
    public virtual string? Code => null;

    /// <summary>The error category of an error status, as both wire formats name it.</summary>
    internal static GatewayErrorKind KindOf(int statusCode) => statusCode switch
    {
        401 => GatewayErrorKind.Authentication,
        403 => GatewayErrorKind.Permission,
        429 => GatewayErrorKind.RateLimit,
        503 or 529 => GatewayErrorKind.Overloaded,
        504 => GatewayErrorKind.Timeout,
        >= 500 => GatewayErrorKind.Api,
        _ => GatewayErrorKind.InvalidRequest,
    };
}

/// <summary>The category of a gateway error, independent of the wire format.</summary>
public enum GatewayErrorKind
{
    /// <summary>The client's request is invalid (400, 404, 413).</summary>
    InvalidRequest,
    /// <summary>The client is not authenticated (401).</summary>
    Authentication,
    /// <summary>The client may not do this (403).</summary>
    Permission,
    /// <summary>Too many requests (429).</summary>
    RateLimit,
    /// <summary>The gateway or its upstream failed (5xx).</summary>
    Api,
    /// <summary>The upstream is overloaded (503, Anthropic 529).</summary>
    Overloaded,
    /// <summary>The upstream timed out (504).</summary>
    Timeout,
}

/// <summary>
/// The client's request is invalid: bad JSON, wrong types, missing fields, unknown model. Answered with 400.
/// </summary>
public class InvalidLlmRequestException : GatewayException
{
    /// <summary>Creates the exception with a message that names the problem.</summary>
    public InvalidLlmRequestException(
        string message,
        Exception? innerException = null,
        int statusCode = 400,
        string? code = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
    }

    /// <inheritdoc />
    public override int StatusCode { get; }

    /// <inheritdoc />
    public override string? Code { get; }

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.InvalidRequest;

    /// <summary>
    /// Where in the body the refusal is, as a JSON path (<c>$.messages[0].role</c>), or null: an MVC
    /// action's validation response keys its error by it (docs/mvc.md).
    /// </summary>
    internal string? JsonPath { get; init; }

    /// <summary>
    /// True when the body is not a JSON object the pipeline can read (cut off, not JSON, not UTF-8).
    /// </summary>
    /// <remarks>
    /// The app's own binder has an answer for such a body, and an MVC action leaves the answer to it.
    /// </remarks>
    internal bool NotReadable { get; init; }

    /// <summary>
    /// The body the pipeline could not read, as it came (decoded), for the reader that had it before adoption.
    /// </summary>
    /// <remarks>
    /// A handler that reads the body itself gets these bytes (docs/handlers.md, "A body the pipeline cannot read").
    /// </remarks>
    internal ReadOnlyMemory<byte> UnreadBody { get; init; }
}

/// <summary>Authentication failed (401) or was refused (403).</summary>
public class LlmAuthenticationException : GatewayException
{
    /// <summary>Creates the exception.</summary>
    public LlmAuthenticationException(string message, bool forbidden = false)
        : base(message)
    {
        Forbidden = forbidden;
    }

    /// <summary>True for 403 (known caller, not allowed), false for 401.</summary>
    public bool Forbidden { get; }

    /// <inheritdoc />
    public override int StatusCode => Forbidden ? 403 : 401;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => Forbidden ? GatewayErrorKind.Permission : GatewayErrorKind.Authentication;
}

/// <summary>
/// A guardrail blocked the request (400). Throw it from a guardrail, or return
/// <see cref="GuardrailVerdict.Block(string)"/>: either way the guardrail span records
/// <c>guardrail_intervened</c> and the request goes through the failure path.
/// </summary>
public class GuardrailBlockedException : GatewayException
{
    /// <summary>Creates the exception.</summary>
    public GuardrailBlockedException(string guardrailName, string message)
        : base(message)
    {
        GuardrailName = guardrailName;
    }

    /// <summary>The guardrail that blocked.</summary>
    public string GuardrailName { get; }

    /// <summary>
    /// True once a guardrail span has recorded this block, so the failure path does not record it twice.
    /// </summary>
    public bool SpanRecorded { get; internal set; }

    /// <inheritdoc />
    public override int StatusCode => 400;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.InvalidRequest;

    /// <inheritdoc />
    public override string? Code => "guardrail_blocked";
}

/// <summary>
/// The upstream provider answered with an error status. 429 and 4xx client errors are passed on;
/// 5xx is passed on; 401/403 (the gateway's own upstream credentials) become 502.
/// </summary>
public class UpstreamException : GatewayException
{
    /// <summary>Creates the exception from the upstream's status code.</summary>
    public UpstreamException(int upstreamStatusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        UpstreamStatusCode = upstreamStatusCode;
    }

    /// <summary>The status code the upstream answered with (0 when it did not answer).</summary>
    public int UpstreamStatusCode { get; }

    /// <summary>
    /// How long the upstream asked to wait before trying again (its <c>Retry-After</c> or
    /// <c>retry-after-ms</c> header), or null. <see cref="LlmRetryPolicy"/> waits that long before a
    /// retry when it is within <see cref="LlmRetryPolicy.MaxRetryAfter"/>.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <inheritdoc />
    public override int StatusCode => UpstreamStatusCode switch
    {
        401 or 403 => 502,
        >= 400 and <= 599 => UpstreamStatusCode,
        _ => 502,
    };

    /// <inheritdoc />
    public override GatewayErrorKind Kind => KindOf(StatusCode);

}
