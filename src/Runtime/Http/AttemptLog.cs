using System;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm;

/// <summary>
/// What the attempts of HttpClients (and the ambient call they find) log: each condition once, category
/// <c>TracedLlm.Attempts</c>.
/// </summary>
internal static partial class AttemptLog
{
    /// <summary>The log category.</summary>
    public const string Category = "TracedLlm.Attempts";

    /// <summary>
    /// Says, through the request's services, that <see cref="LlmCall.Current"/> had been read while off.
    /// </summary>
    public static void CurrentWasOff(HttpContext httpContext)
    {
        if (httpContext.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger(Category) is { } logger)
        {
            CurrentReadWhileOff(logger);
        }
    }

    /// <summary>
    /// Says, once per client name and app (<paramref name="warned"/>), that a client whose sends are attempts sent
    /// outside a traced request.
    /// </summary>
    public static void SentOutside(ILogger logger, string client, ConcurrentDictionary<string, bool> warned)
    {
        if (logger.IsEnabled(LogLevel.Warning) && warned.TryAdd(client, true))
        {
            SentOutsideTracedRequest(logger, client);
        }
    }

    /// <summary>
    /// The client names an app has been told about (a singleton: once per client, not per handler rotation).
    /// </summary>
    internal sealed class Warned
    {
        public ConcurrentDictionary<string, bool> Outside { get; } = new(StringComparer.Ordinal);
    }

    [LoggerMessage(
        EventId = 1,
        Level = LogLevel.Warning,
        Message = "LlmCall.Current (or LlmAttempt.Current) was read while it was off, "
            + "so those reads found no traced request and what they were to record (an upstream attempt of an "
            + "HttpClient handler of your own, say) went unrecorded. It flows from now on. "
            + "Call LlmCall.EnableCurrent() at start-up so that no request misses it (AddTracedLlmAttempts() "
            + "and UseTracedLlm() do)."
    )]
    private static partial void CurrentReadWhileOff(ILogger logger);

    [LoggerMessage(
        EventId = 2,
        Level = LogLevel.Warning,
        Message = "HttpClient '{Client}' records its sends as upstream attempts, "
            + "but sent a request outside a traced request: it is not recorded. Sends from a [TracedLlmRoute] handler, "
            + "and from the code it awaits, are; work handed to another thread that does not flow the request's async "
            + "context (a background queue, a thread started by hand) is not."
    )]
    private static partial void SentOutsideTracedRequest(ILogger logger, string client);
}
