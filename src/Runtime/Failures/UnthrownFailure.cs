using System;
using System.Globalization;
using System.Threading;
using Microsoft.AspNetCore.Http;

namespace TracedLlm;

/// <summary>
/// A failure that nothing threw: a failed upstream attempt, or a failure a component left on the request.
/// </summary>
/// <remarks>
/// YARP's forwarder reports its failures through <c>IForwarderErrorFeature</c> and returns a
/// <c>ForwarderError</c>; the handler may answer 502 by hand or let the forwarder's own status stand.
/// The runtime does not depend on YARP: TracedLlm.ReverseProxy registers the reader of that feature
/// (<see cref="Register"/>), and the pipeline asks the readers once a request would end as a success
/// or with an error status of the app's own. Docs: reliability.md, "Failures that never throw".
/// </remarks>
/// <param name="Cause">What failed: its type is the failure's <c>error.type</c>, its exception event the
/// cause's.</param>
/// <param name="Description">
/// The span status description, in the runtime's own words (never the exception's message, which
/// may carry anything); the status the app answered is added to it.
/// </param>
/// <param name="ClientLeft">The component saw the client go away: the request is recorded as a 499.</param>
internal sealed record UnthrownFailure(Exception Cause, string Description, bool ClientLeft = false)
{
    // Copied on write: a reader is registered at start-up, read on every request that may have failed.
    private static Func<HttpContext, UnthrownFailure?>[] s_readers = [];

    /// <summary>
    /// Adds a reader of a failure a component leaves on the request; once per reader (process-wide: readers keep no
    /// state).
    /// </summary>
    public static void Register(Func<HttpContext, UnthrownFailure?> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        lock (typeof(UnthrownFailure))
        {
            if (Array.IndexOf(s_readers, reader) < 0)
            {
                s_readers = [.. s_readers, reader];
            }
        }
    }

    /// <summary>True once a reader is registered (the start-up check of an app with YARP's forwarder).</summary>
    public static bool HasReaders => Volatile.Read(ref s_readers).Length > 0;

    /// <summary>
    /// The failure of a request whose app wrote its answer itself, with <paramref name="answeredStatus"/>.
    /// </summary>
    /// <remarks>
    /// A component's report (the forwarder's error) whatever the status; the latest attempt's failure only
    /// under a success status (an error status says the failure itself, as an error result).
    /// </remarks>
    public static UnthrownFailure? Answered(LlmCall call, int answeredStatus) =>
        Reported(call.HttpContext) ?? (answeredStatus < StatusCodes.Status400BadRequest ? OfAttempt(call) : null);

    /// <summary>
    /// The first failure a registered reader finds on the request; null when none does (or none is registered).
    /// </summary>
    public static UnthrownFailure? Reported(HttpContext httpContext)
    {
        foreach (var reader in Volatile.Read(ref s_readers))
        {
            if (reader(httpContext) is { } failure)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>
    /// The latest upstream attempt's failure when no attempt succeeded after it, described as the attempt failed.
    /// </summary>
    public static UnthrownFailure? OfAttempt(LlmCall call) =>
        call.FailedAttempt is { } failure ? new UnthrownFailure(failure, DescribeAttempt(failure)) : null;

    /// <summary>
    /// How a failed attempt reads on the request's spans: a <see cref="GatewayException"/>'s own message
    /// (the runtime's fixed words: "The upstream provider answered 500."), else only the failure's type.
    /// </summary>
    private static string DescribeAttempt(Exception failure) => failure is GatewayException known
        ? known.Message
        : string.Create(CultureInfo.InvariantCulture, $"The upstream attempt failed with {failure.GetType().Name}.");
}
