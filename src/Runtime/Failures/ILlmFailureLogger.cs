using System;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// Receives every failed traced request exactly once, whatever the exception type. Register
/// implementations in DI; an exception thrown by a logger is recorded on the failure span and
/// never changes the response.
/// </summary>
public interface ILlmFailureLogger
{
    /// <summary>Logs one failure.</summary>
    ValueTask LogFailureAsync(FailureContext failure);
}

/// <summary>One failed request, as the failure path saw it.</summary>
/// <param name="Call">The request's context.</param>
/// <param name="Exception">The exception that failed the request.</param>
/// <param name="StatusCode">The status written to the client (499 when the client went away).</param>
/// <param name="ErrorType">The <c>error.type</c> recorded on the spans.</param>
public sealed record FailureContext(LlmCall Call, Exception Exception, int StatusCode, string ErrorType);
