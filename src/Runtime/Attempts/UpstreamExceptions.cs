using System;

namespace TracedLlm;

/// <summary>
/// The upstream did not answer in time: an attempt's timeout (<see cref="LlmRetryPolicy.AttemptTimeout"/>,
/// or the upstream client's own) or the request's deadline (<see cref="LlmRetryPolicy.TotalTimeout"/>)
/// ran out. Retryable. Answered 504 <c>upstream_timeout</c>. The failure path takes no other timeout
/// or cancellation for an upstream one: a component's own <see cref="TimeoutException"/> or
/// <see cref="OperationCanceledException"/> is an internal error, the server's request timeout is
/// <c>request_timeout</c>, a client that left is 499.
/// </summary>
public class UpstreamTimeoutException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What ran out; sent to the client. Default: "The upstream provider did not answer in
    /// time."</param>
    /// <param name="deadline">True when the request's total deadline ran out, false for one attempt's timeout.</param>
    /// <param name="innerException">The cancellation or timeout that was observed.</param>
    public UpstreamTimeoutException(string? message = null, bool deadline = false, Exception? innerException = null)
        : base(0, message ?? "The upstream provider did not answer in time.", innerException)
    {
        Deadline = deadline;
    }

    /// <summary>True when the request's total deadline ran out, false for one attempt's timeout.</summary>
    public bool Deadline { get; }

    /// <inheritdoc />
    public override int StatusCode => 504;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Timeout;

    /// <inheritdoc />
    public override string? Code => "upstream_timeout";
}

/// <summary>
/// The upstream could not be reached (connection refused or reset, name not resolved, TLS failed). Retryable. Answered
/// 502 <c>upstream_unreachable</c>.
/// </summary>
public class UpstreamUnreachableException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamUnreachableException(string message, Exception? innerException = null)
        : base(0, message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 502;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Api;

    /// <inheritdoc />
    public override string? Code => "upstream_unreachable";
}

/// <summary>
/// The upstream's response body was larger than <see cref="LlmRetryPolicy.MaxResponseBytes"/>; the
/// rest of it was not read. Not retried; a fallback is tried. Answered 502 <c>upstream_response_too_large</c>.
/// </summary>
public class UpstreamResponseTooLargeException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamResponseTooLargeException(long limitBytes)
        : base(200, $"The upstream provider's response was larger than the gateway's limit of {limitBytes} bytes.")
    {
        LimitBytes = limitBytes;
    }

    /// <summary>The limit that was exceeded.</summary>
    public long LimitBytes { get; }

    /// <inheritdoc />
    public override int StatusCode => 502;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Api;

    /// <inheritdoc />
    public override string? Code => "upstream_response_too_large";
}

/// <summary>The upstream answered with something that is not what was asked for.</summary>
/// <remarks>
/// A body that is not a completion, a streaming answer that is not an event stream, an event that cannot be read
/// (<c>upstream_bad_response</c>); or a response cut off before its end — the connection broke, or a stream ended
/// without its terminal event (<c>upstream_response_truncated</c>, <see cref="Truncated"/>). Answered 502 before a
/// stream's first chunk, as an error event in the stream after it. A truncated response is retried (before a stream's
/// first chunk); a bad one is not, but a fallback is tried.
/// </remarks>
public class UpstreamBadResponseException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong; sent to the client, so it must not quote the upstream's body.</param>
    /// <param name="truncated">True when the response was cut off before its end.</param>
    /// <param name="innerException">The parse or I/O failure, if any.</param>
    public UpstreamBadResponseException(string message, bool truncated = false, Exception? innerException = null)
        : base(200, message, innerException)
    {
        Truncated = truncated;
    }

    /// <summary>True when the response was cut off before its end.</summary>
    public bool Truncated { get; }

    /// <inheritdoc />
    public override int StatusCode => 502;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Api;

    /// <inheritdoc />
    public override string? Code => Truncated ? "upstream_response_truncated" : "upstream_bad_response";
}

/// <summary>
/// The target's circuit breaker is open (<see cref="LlmRetryPolicy.CircuitBreaker"/>): it failed too
/// often lately, so it was not called. A fallback is tried. Answered 503 <c>upstream_circuit_open</c>.
/// </summary>
public class UpstreamCircuitOpenException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamCircuitOpenException(LlmTarget target, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(
            0,
            "The upstream provider failed too often lately; the gateway is not calling it for now.",
            innerException)
    {
        Target = target;
        RetryAfter = retryAfter;
    }

    /// <summary>The target that was not called.</summary>
    public LlmTarget Target { get; }

    /// <inheritdoc />
    public override int StatusCode => 503;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Overloaded;

    /// <inheritdoc />
    public override string? Code => "upstream_circuit_open";
}

/// <summary>
/// The gateway had no target to call (its target chooser answered null before any attempt, every
/// backend marked unhealthy, say). Answered 503 <c>upstream_unavailable</c>.
/// </summary>
public class UpstreamUnavailableException : UpstreamException
{
    /// <summary>Creates the exception.</summary>
    public UpstreamUnavailableException(string? message = null, Exception? innerException = null)
        : base(0, message ?? "No upstream provider is available for this request right now.", innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 503;

    /// <inheritdoc />
    public override GatewayErrorKind Kind => GatewayErrorKind.Overloaded;

    /// <inheritdoc />
    public override string? Code => "upstream_unavailable";
}
