using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Gateway.Fixture;

/// <summary>The gateway's LLM routes, traced: Azure OpenAI's deployment path and an OpenAI-compatible one.</summary>
public static class ProxyRoutes
{
    /// <summary>
    /// The gateway's services: its backends, their health and router, the forwarder and its HTTP client.
    /// </summary>
    public static IServiceCollection AddFixtureGateway(
        this IServiceCollection services,
        IReadOnlyList<BackendConfig> backends,
        TimeProvider? clock = null)
    {
        services.AddTracedLlm();
        services.AddHttpClient(nameof(ChatForwarder));
        services.AddSingleton(backends);
        services.AddSingleton(new BackendHealth(clock ?? TimeProvider.System));
        services.AddSingleton<BackendRouter>();
        services.AddSingleton<ChatForwarder>();
        return services;
    }

    /// <summary>Maps the traced routes.</summary>
    public static TracedLlmRouteBuilder MapFixtureGateway(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    /// <summary>
    /// Azure OpenAI chat completions, any deployment, forwarded as received: the body stays untyped
    /// and the provider's own <c>metadata</c> (stored completions) goes to the backend untouched;
    /// gateway metadata comes in <c>litellm_metadata</c>. When every backend is throttled or failing,
    /// the last backend's answer is the client's, as an error result.
    /// </summary>
    [TracedLlmRoute(
        "POST",
        "/openai/deployments/{deploymentName}/chat/completions",
        MetadataSlot = MetadataSlots.LiteLlmMetadata
    )]
    public static Task<IResult> AzureChatCompletions(
        string deploymentName,
        JsonElement body,
        LlmCall call,
        ChatForwarder forwarder) => forwarder.ForwardAsync(call, deploymentName);

    /// <summary>
    /// OpenAI-compatible chat completions over the backends' model groups, streamed or not; an unknown
    /// model is the client's 404. LiteLLM's clients send gateway metadata in <c>metadata</c> and
    /// OpenAI's SDKs send their own there (stored completions): the slot is shared, the gateway takes
    /// its keys and the backend gets the rest.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
    public static async Task<LlmResult<JsonElement, JsonElement>> ChatCompletions(
        JsonElement body,
        LlmCall call,
        ChatForwarder forwarder,
        BackendRouter router)
    {
        if (call.Model is not { } model || !router.Serves(model))
        {
            return LlmResult.Http(
                TypedResults.NotFound(
                    new ErrorEnvelope(
                        new ErrorBody(
                            $"The model '{call.Model}' does not exist.",
                            "invalid_request_error",
                            "model_not_found"))));
        }

        return call.IsStreaming
            ? LlmResult.Stream(forwarder.StreamAsync(call, model))
            : LlmResult.Http(await forwarder.CompleteAsync(call, model));
    }

    /// <summary>
    /// The same backends in LiteLLM's terms: the model group's deployments are retries, its fallback group's fallbacks.
    /// </summary>
    [TracedLlmRoute("POST", "/groups/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
    public static Task<IResult> ChatCompletionsInModelGroups(JsonElement body, LlmCall call, ChatForwarder forwarder) =>
        forwarder.CompleteInModelGroupsAsync(call, call.Model ?? string.Empty);

    /// <summary>
    /// The same backends as a fixed primary and fallbacks (none when the query says <c>fallback=false</c>), a circuit
    /// breaker keeping a failing one out.
    /// </summary>
    [TracedLlmRoute("POST", "/by-list/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
    public static Task<IResult> ChatCompletionsFromList(JsonElement body, LlmCall call, ChatForwarder forwarder) =>
        forwarder.CompleteFromListAsync(
            call,
            call.Model ?? string.Empty,
            call.HttpContext.Request.Query["fallback"] != "false");

    /// <summary>The same backends by priority alone, a circuit breaker keeping a failing one out.</summary>
    [TracedLlmRoute("POST", "/by-priority/v1/chat/completions", MetadataSlotMode = MetadataSlotMode.Shared)]
    public static Task<IResult> ChatCompletionsByPriority(JsonElement body, LlmCall call, ChatForwarder forwarder) =>
        forwarder.CompleteByPriorityAsync(call, call.Model ?? string.Empty);
}

/// <summary>OpenAI's error shape.</summary>
public sealed record ErrorEnvelope(ErrorBody Error);

/// <summary>OpenAI's error body.</summary>
public sealed record ErrorBody(string Message, string Type, string Code);
