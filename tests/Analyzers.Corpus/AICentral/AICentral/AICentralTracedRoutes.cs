using System.Security.Claims;
using AICentral.ConsumerAuth.ApiKey;
using AICentral.Core;
using Microsoft.AspNetCore.Mvc;
using TracedLlm;

namespace AICentral;

/// <summary>
/// The model calls AICentral proxies, as traced routes: each runs the pipeline that serves the request's host (as the
/// routes' RequireHost picked it), with its consumer auth as the authenticator and its rate limits and endpoint selectors as before.
/// </summary>
public static class AICentralTracedRoutes
{
    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
    public static Task<IResult> ChatCompletions(LlmCall call, string deploymentName, [FromServices] ConfiguredPipelines pipelines) =>
        ExecuteAsync(call, pipelines, deploymentName, AICallType.Chat);

    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/completions")]
    public static Task<IResult> Completions(LlmCall call, string deploymentName, [FromServices] ConfiguredPipelines pipelines) =>
        ExecuteAsync(call, pipelines, deploymentName, AICallType.Completions);

    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/embeddings")]
    public static Task<IResult> Embeddings(LlmCall call, string deploymentName, [FromServices] ConfiguredPipelines pipelines) =>
        ExecuteAsync(call, pipelines, deploymentName, AICallType.Embeddings);

    // The Inference API's paths.
    [TracedLlmRoute("POST", "/models/chat/completions")]
    public static Task<IResult> InferenceChatCompletions(LlmCall call, [FromServices] ConfiguredPipelines pipelines) =>
        ExecuteAsync(call, pipelines, null, AICallType.Chat);

    [TracedLlmRoute("POST", "/models/embeddings")]
    public static Task<IResult> InferenceEmbeddings(LlmCall call, [FromServices] ConfiguredPipelines pipelines) =>
        ExecuteAsync(call, pipelines, null, AICallType.Embeddings);

    internal static Pipeline? PipelineFor(ConfiguredPipelines pipelines, HttpContext context) =>
        pipelines.Pipelines.FirstOrDefault(pipeline => pipeline.Serves(context.Request.Host.Host));

    private static async Task<IResult> ExecuteAsync(LlmCall call, ConfiguredPipelines pipelines, string? deploymentName, AICallType callType)
    {
        if (PipelineFor(pipelines, call.HttpContext) is not { } pipeline)
        {
            return Results.NotFound();
        }

        var response = await pipeline.Execute(new TracedRequestContext(call), deploymentName, null, callType, call.CancellationToken);
        return response.ResultHandler;
    }

    /// <summary>The request as the pipeline reads it: the body the traced route has read, without the gateway's metadata.</summary>
    private sealed class TracedRequestContext(LlmCall call) : HttpContextWrapper(call.HttpContext)
    {
        public override Stream RequestBody => new MemoryStream(call.UpstreamBody.ToArray(), writable: false);
    }
}

/// <summary>
/// The pipeline's consumer key check (ApiKeyAuthenticationHandler: the <c>api-key</c> header against the configured
/// clients' two keys) as the traced routes' authenticator; the client's name is the user the rate limits count by.
/// </summary>
public sealed class AICentralConsumerAuthenticator(ConfiguredPipelines pipelines) : ILlmAuthenticator
{
    public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
    {
        if (AICentralTracedRoutes.PipelineFor(pipelines, llmCall.HttpContext)?.ClientAuth is not ApiKeyClientAuthFactory apiKeys)
        {
            // Anonymous consumers, or no pipeline for the host (the route answers 404).
            return ValueTask.FromResult(AuthResult.Success());
        }

        if (llmCall.HttpContext.Request.Headers.TryGetValue("api-key", out var key) && apiKeys.FindClient(key.ToString()) is { } client)
        {
            llmCall.HttpContext.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, client.ClientName!)], "AICentralApiKey"));
            return ValueTask.FromResult(AuthResult.Success(llmCall.ApiKeyFingerprint(key.ToString()), client.ClientName));
        }

        return ValueTask.FromResult(AuthResult.Fail("Invalid or missing api-key key"));
    }
}
