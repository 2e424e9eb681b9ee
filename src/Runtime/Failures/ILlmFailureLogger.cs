using System;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// Receives every failed traced request exactly once, whatever the exception type, after the
/// client was answered. Register implementations in DI; an exception thrown by a logger, or a
/// logger still running after <see cref="TracedLlmOptions.FailureLoggerTimeout"/>, is recorded on
/// the failure span and never changes the response.
/// </summary>
public interface ILlmFailureLogger
{
    /// <summary>Logs one failure.</summary>
    ValueTask LogFailureAsync(FailureContext failure);
}

/// <summary>One failed request, as the failure path saw it.</summary>
/// <param name="Call">The request's context.</param>
/// <param name="Exception">The exception that failed the request (an <see cref="ErrorResultException"/>, never thrown,
/// for the handler's own error result).</param>
/// <param name="StatusCode">
/// The status of the failure: the response's status, or the status of the error event that ended a
/// stream that had already started (its status line said 200), or 499 when the client went away.
/// </param>
/// <param name="ErrorType">
/// The <c>error.type</c> recorded on the spans: the exception's type name, or
/// <c>client_disconnected</c>, <c>request_timeout</c> (the server's request timeout) or
/// <c>request_body_timeout</c>; for the handler's own error result (<see cref="ErrorResultException"/>)
/// its status (<c>"503"</c>) or what the result reported.
/// </param>
public sealed record FailureContext(LlmCall Call, Exception Exception, int StatusCode, string ErrorType)
{
    /// <summary>
    /// The machine-readable code written to the client (OpenAI <c>code</c>), also for a client that
    /// went away: <c>client_disconnected</c>, <c>request_timeout</c>, <c>upstream_timeout</c>,
    /// <c>internal_error</c>, <c>guardrail_blocked</c>, ...; null when the failure has none.
    /// </summary>
    public string? ErrorCode { get; init; }

    /// <summary>
    /// Cancelled when <see cref="TracedLlmOptions.FailureLoggerTimeout"/> has passed. Not the
    /// request's token: a failure is logged also when the client went away.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }
}
