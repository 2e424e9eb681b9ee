using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>
/// Writes the errors a traced route's pipeline answers itself in the app's own format, on routes
/// that choose <see cref="LlmErrorResponses.Writer"/>. Register one in DI. The failure is recorded
/// and the failure loggers called whatever the writer does; a writer that throws is recorded on the
/// server span and the response is cut, never half-written.
/// </summary>
public interface ILlmErrorWriter
{
    /// <summary>
    /// Writes the response's status, headers and body; called only while the response has not started.
    /// </summary>
    ValueTask WriteAsync(LlmErrorContext context);
}
