using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.WebUtilities;

namespace TracedLlm.Pipeline;

// FailurePath: a failure nothing threw, on a response the app answered itself (by hand, or through the
// forwarder's own status), recorded once with its cause and the status the client got.
public static partial class FailurePath
{
    private const string ClientLeft = "The client closed the request.";

    /// <summary>
    /// Records <paramref name="unthrown"/> once, on a response the app has answered with <paramref
    /// name="answeredStatus"/>.
    /// </summary>
    /// <remarks>
    /// The failure span, the open spans marked with the cause's type as <c>error.type</c> and its
    /// <c>exception</c> event, the failure loggers; nothing is written. A component that saw its client
    /// leave makes it the client's departure (499), as a thrown one is.
    /// </remarks>
    internal static Task HandleUnthrownAsync(
        LlmCall call, UnthrownFailure unthrown, int answeredStatus, Activity? server, Activity? llm)
    {
        var failure = unthrown.ClientLeft
            ? new Failure(499, GatewayErrorKind.InvalidRequest, ClientDisconnected, ClientLeft, ClientDisconnected)
            : Unthrown(unthrown, answeredStatus);
        return HandleAsync(call, unthrown.Cause, server, auth: null, preCall: null, llm, answeredStatus, failure);
    }

    /// <summary>
    /// The failure as the app answered it: its status, the cause's type, and a description that names both.
    /// </summary>
    private static Failure Unthrown(UnthrownFailure unthrown, int status)
    {
        var type = unthrown.Cause.GetType();
        var reason = ReasonPhrases.GetReasonPhrase(status);
        var answered = reason.Length > 0 ? $"{status} {reason}" : status.ToString(CultureInfo.InvariantCulture);
        var description = unthrown.Description.TrimEnd('.');
        return new Failure(status, GatewayException.KindOf(status), type.FullName ?? type.Name,
            $"{description}; the application answered {answered}.", Code: null, Answered: true);
    }
}
