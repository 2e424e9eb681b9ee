// Copyright (c) Microsoft. All rights reserved.

#pragma warning disable IDE0005 // Using directive is unnecessary

using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Microsoft.SemanticKernel.Services;
using StepwisePlannerMigration.Models;
using StepwisePlannerMigration.Plugins;
using StepwisePlannerMigration.Services;
using TracedLlm;

#pragma warning restore IDE0005 // Using directive is unnecessary

namespace StepwisePlannerMigration.Controllers;

/// <summary>
/// This controller shows a new recommended approach how to use planning capability by using Auto Function Calling.
/// Its actions as traced routes on the paths MVC gave them, mapped by MapTracedLlmRoutes; each kernel call is the request's attempt.
/// </summary>
public static class AutoFunctionCallingController
{
    private static Kernel WithPlugins(Kernel kernel)
    {
        kernel.ImportPluginFromType<TimePlugin>();
        kernel.ImportPluginFromType<WeatherPlugin>();
        return kernel;
    }

    /// <summary>
    /// Action to generate a plan. Generated plan will be populated in <see cref="ChatHistory"/> object.
    /// </summary>
    [TracedLlmRoute("POST", "/auto-function-calling/generate-plan")]
    public static async Task<IResult> GeneratePlanAsync(PlanRequest request, LlmCall call, Kernel kernel, IChatCompletionService chatCompletionService)
    {
        ChatHistory chatHistory = [];
        chatHistory.AddUserMessage(request.Goal);

        OpenAIPromptExecutionSettings executionSettings = new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        using var attempt = call.StartAttempt(new LlmTarget("openai", chatCompletionService.GetModelId() ?? "unknown"));
        await chatCompletionService.GetChatMessageContentAsync(chatHistory, executionSettings, WithPlugins(kernel), call.CancellationToken);
        attempt.Succeed();

        return Results.Ok(chatHistory);
    }

    /// <summary>
    /// Action to execute a new plan. When generated plan is not needed,
    /// planning result can be obtained directly with <see cref="Kernel"/> object.
    /// </summary>
    [TracedLlmRoute("POST", "/auto-function-calling/execute-new-plan")]
    public static async Task<IResult> ExecuteNewPlanAsync(PlanRequest request, LlmCall call, Kernel kernel)
    {
        OpenAIPromptExecutionSettings executionSettings = new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        using var attempt = call.StartAttempt(new LlmTarget("openai", kernel.GetRequiredService<IChatCompletionService>().GetModelId() ?? "unknown"));
        FunctionResult result = await WithPlugins(kernel).InvokePromptAsync(request.Goal, new(executionSettings), cancellationToken: call.CancellationToken);
        attempt.Succeed();

        return Results.Ok(result.ToString());
    }

    /// <summary>
    /// Action to execute existing plan. Generated plans can be stored in permanent storage for reusability.
    /// In this demo application it is stored in file.
    /// </summary>
    [TracedLlmRoute("POST", "/auto-function-calling/execute-existing-plan")]
    public static async Task<IResult> ExecuteExistingPlanAsync(LlmCall call, Kernel kernel, IChatCompletionService chatCompletionService, IPlanProvider planProvider)
    {
        ChatHistory chatHistory = planProvider.GetPlan("auto-function-calling-plan.json");
        OpenAIPromptExecutionSettings executionSettings = new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        using var attempt = call.StartAttempt(new LlmTarget("openai", chatCompletionService.GetModelId() ?? "unknown"));
        ChatMessageContent result = await chatCompletionService.GetChatMessageContentAsync(chatHistory, executionSettings, WithPlugins(kernel), call.CancellationToken);
        attempt.Succeed();

        return Results.Ok(result.Content);
    }
}
