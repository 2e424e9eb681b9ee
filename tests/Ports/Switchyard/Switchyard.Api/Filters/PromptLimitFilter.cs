using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Switchyard.Api.Contracts;

namespace Switchyard.Api.Filters;

/// <summary>Refuses a prompt longer than the gateway accepts, as a validation problem (422), before the action runs.</summary>
public sealed class PromptLimitFilter(ProblemDetailsFactory problems, IConfiguration configuration) : IAsyncActionFilter
{
    public Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var limit = configuration.GetValue("Limits:MaxPromptCharacters", 32_000);
        if (context.ActionArguments.Values.OfType<ChatCompletionRequestDto>().FirstOrDefault() is { Messages: { } messages }
            && messages.Sum(m => m.Content?.Length ?? 0) > limit)
        {
            context.ModelState.AddModelError(nameof(ChatCompletionRequestDto.Messages), $"The prompt is longer than {limit} characters.");
            var problem = problems.CreateValidationProblemDetails(context.HttpContext, context.ModelState, StatusCodes.Status422UnprocessableEntity);
            context.Result = new UnprocessableEntityObjectResult(problem);
            return Task.CompletedTask;
        }

        return next();
    }
}
