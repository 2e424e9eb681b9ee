using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace TracedLlm.Pipeline;

/// <summary>
/// Binds an action's <see cref="LlmCall"/> parameter to the request's call, which the traced
/// action's pipeline created before MVC bound anything. An action that is not traced has no call.
/// </summary>
internal sealed class LlmCallModelBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        var run = bindingContext.HttpContext.Features.Get<TracedActionRun>()
            ?? throw new InvalidOperationException(
                $"Action '{bindingContext.ActionContext.ActionDescriptor.DisplayName}' takes an LlmCall, but only "
                + "an action marked [TracedLlmRoute] has one: mark it, or take the call from a traced action.");
        bindingContext.Result = ModelBindingResult.Success(run.Call);
        return Task.CompletedTask;
    }
}
