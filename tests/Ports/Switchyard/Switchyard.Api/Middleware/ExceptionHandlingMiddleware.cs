using Microsoft.AspNetCore.Mvc;
using Switchyard.Domain;

namespace Switchyard.Api.Middleware;

/// <summary>Answers every exception that reaches it as RFC 7807 problem details, by the app's own mapping.</summary>
public sealed partial class ExceptionHandlingMiddleware(RequestDelegate next, IProblemDetailsService problems, ILogger<ExceptionHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, title) = exception switch
            {
                UnknownModelException => (StatusCodes.Status404NotFound, "Unknown model"),
                AllProvidersFailedException => (StatusCodes.Status502BadGateway, "No provider could answer"),
                _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred"),
            };
            LogFailure(logger, exception, status);
            context.Response.StatusCode = status;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = status,
                    Title = title,
                    Detail = exception is SwitchyardException ? exception.Message : null,
                    Type = $"https://switchyard.example/errors/{status}",
                },
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The request failed and was answered {Status}.")]
    private static partial void LogFailure(ILogger logger, Exception exception, int status);
}
