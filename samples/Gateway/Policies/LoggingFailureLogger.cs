using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Samples.Gateway.Policies;

/// <summary>Logs every failed request once: route, status and error type (never the exception message, which may carry anything).</summary>
public sealed partial class LoggingFailureLogger : ILlmFailureLogger
{
    private readonly ILogger<LoggingFailureLogger> _logger;

    /// <summary>Creates the logger.</summary>
    public LoggingFailureLogger(ILogger<LoggingFailureLogger> logger)
    {
        _logger = logger;
    }

    /// <inheritdoc />
    public ValueTask LogFailureAsync(FailureContext failure)
    {
        LogFailure(_logger, failure.Call.Route.HttpMethod, failure.Call.Route.Pattern, failure.StatusCode, failure.ErrorType);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Traced request failed: {Method} {Route} -> {StatusCode} ({ErrorType})")]
    private static partial void LogFailure(ILogger logger, string method, string route, int statusCode, string errorType);
}
