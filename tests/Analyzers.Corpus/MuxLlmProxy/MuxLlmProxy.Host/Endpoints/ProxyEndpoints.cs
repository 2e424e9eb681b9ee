using System.Text.Json;
using MuxLlmProxy.Core.Configuration;
using MuxLlmProxy.Core.Abstractions;
using MuxLlmProxy.Core.Contracts;
using MuxLlmProxy.Core.Domain;
using MuxLlmProxy.Host.Extensions;
using TracedLlm;

namespace MuxLlmProxy.Host.Endpoints;

/// <summary>
/// Maps the HTTP endpoints exposed by the proxy host.
/// </summary>
public static class ProxyEndpoints
{
    /// <summary>
    /// Maps the proxy API endpoints onto the supplied route builder.
    /// </summary>
    /// <param name="app">The route builder.</param>
    public static void MapProxyEndpoints(this WebApplication app)
    {
        app.MapGet(ProxyConstants.Routes.Health, () => Results.Ok(new { status = ProxyConstants.Responses.Healthy }));

        app.MapGet(ProxyConstants.Routes.Models, async (IModelsQueryService modelsQueryService, CancellationToken cancellationToken) =>
        {
            var models = await modelsQueryService.GetModelsAsync(cancellationToken);
            return Results.Ok(new ModelsResponse(models));
        });
        app.MapGet(ProxyConstants.Routes.OpenAiModels, async (IModelsQueryService modelsQueryService, CancellationToken cancellationToken) =>
        {
            var models = await modelsQueryService.GetModelsAsync(cancellationToken);
            return Results.Ok(new ModelsResponse(models));
        });

        app.MapGet(ProxyConstants.Routes.Limits, async (HttpContext context, IProxyConfigurationProvider configurationProvider, ILimitsQueryService limitsQueryService, CancellationToken cancellationToken) =>
        {
            if (!await IsAuthorizedAsync(context, configurationProvider))
            {
                await context.WriteErrorAsync(StatusCodes.Status401Unauthorized, "auth_error", ProxyConstants.Messages.AuthRequired);
                return;
            }

            var limits = await limitsQueryService.GetLimitsAsync(cancellationToken);
            await context.Response.WriteAsJsonAsync(new LimitsResponse(limits), cancellationToken);
        });

        // The LLM routes are traced routes (TracedProxyRoutes), mapped by MapTracedLlmRoutes.
        app.MapTracedLlmRoutes();
    }

    /// <summary>
    /// Handles a proxied LLM request.
    /// </summary>
    /// <param name="call">The traced request.</param>
    /// <param name="parser">The request parser.</param>
    /// <param name="orchestrator">The proxy orchestrator.</param>
    /// <param name="cancellationToken">The cancellation token.</param>
    /// <returns>A task that completes when the response is written.</returns>
    internal static async Task<IResult> HandleProxyRequestAsync(
        LlmCall call,
        IProxyRequestParser parser,
        IProxyOrchestrator orchestrator,
        CancellationToken cancellationToken)
    {
        var context = call.HttpContext;
        try
        {
            using var memoryStream = new MemoryStream(call.UpstreamBody.ToArray());
            ProxyFormat? formatHint = context.Request.Path.Equals(ProxyConstants.Routes.Messages, StringComparison.OrdinalIgnoreCase)
                ? ProxyFormat.Anthropic
                : context.Request.Path.Equals(ProxyConstants.Routes.ChatCompletions, StringComparison.OrdinalIgnoreCase)
                    || context.Request.Path.Equals(ProxyConstants.Routes.OpenAiChatCompletions, StringComparison.OrdinalIgnoreCase)
                    ? ProxyFormat.OpenAi
                    : context.Request.Path.Equals(ProxyConstants.Routes.Responses, StringComparison.OrdinalIgnoreCase)
                        ? ProxyFormat.OpenAiResponses
                    : null;
            var request = await parser.ParseAsync(memoryStream.ToArray(), formatHint, cancellationToken);
            var sessionId = context.Request.Headers.TryGetValue(ProxyConstants.Headers.ClaudeCodeSessionId, out var sessionHeader)
                ? sessionHeader.ToString()
                : context.Request.Headers.TryGetValue(ProxyConstants.Headers.SessionAffinity, out var affinityHeader)
                    ? affinityHeader.ToString()
                    : null;
            request = request with
            {
                SessionId = string.IsNullOrWhiteSpace(sessionId) ? null : sessionId
            };
            var response = await orchestrator.ExecuteAsync(request, cancellationToken);
            await context.WriteProxyResponseAsync(response);
        }
        catch (Exception exception) when (exception is InvalidOperationException || exception is JsonException || exception is ArgumentException)
        {
            if (!context.Response.HasStarted)
            {
                await context.WriteErrorAsync(StatusCodes.Status400BadRequest, "validation_error", exception);
            }
        }
        catch (HttpRequestException exception)
        {
            if (!context.Response.HasStarted)
            {
                await context.WriteErrorAsync(StatusCodes.Status502BadGateway, "upstream_error", exception);
            }
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (!context.Response.HasStarted)
            {
                await context.WriteErrorAsync(StatusCodes.Status504GatewayTimeout, "timeout_error", exception);
            }
        }

        return Results.Empty;
    }

    /// <summary>
    /// Determines whether the current request is authorized.
    /// </summary>
    /// <param name="context">The current HTTP context.</param>
    /// <param name="configurationProvider">The bound proxy configuration provider.</param>
    /// <returns><see langword="true"/> when authorization succeeds; otherwise <see langword="false"/>.</returns>
    internal static async Task<bool> IsAuthorizedAsync(HttpContext context, IProxyConfigurationProvider configurationProvider)
    {
        var token = (await configurationProvider.GetAsync(context.RequestAborted)).Token;

        if (string.IsNullOrWhiteSpace(token))
        {
            return true;
        }

        if (!context.Request.Headers.TryGetValue(ProxyConstants.Headers.Authorization, out var authorizationHeader))
        {
            return false;
        }

        return string.Equals(
            authorizationHeader.ToString(),
            $"{ProxyConstants.Responses.BearerScheme} {token}",
            StringComparison.Ordinal);
    }
}

/// <summary>
/// The proxied LLM routes, traced: the generated pipeline authenticates, records the request's spans and runs its failure path.
/// </summary>
public static class TracedProxyRoutes
{
    /// <summary>Anthropic messages.</summary>
    [TracedLlmRoute("POST", ProxyConstants.Routes.Messages)]
    public static Task<IResult> Messages(LlmCall call, IProxyRequestParser parser, IProxyOrchestrator orchestrator, CancellationToken cancellationToken) =>
        ProxyEndpoints.HandleProxyRequestAsync(call, parser, orchestrator, cancellationToken);

    /// <summary>OpenAI chat completions.</summary>
    [TracedLlmRoute("POST", ProxyConstants.Routes.ChatCompletions)]
    public static Task<IResult> ChatCompletions(LlmCall call, IProxyRequestParser parser, IProxyOrchestrator orchestrator, CancellationToken cancellationToken) =>
        ProxyEndpoints.HandleProxyRequestAsync(call, parser, orchestrator, cancellationToken);

    /// <summary>OpenAI chat completions, at OpenAI's own path.</summary>
    [TracedLlmRoute("POST", ProxyConstants.Routes.OpenAiChatCompletions)]
    public static Task<IResult> OpenAiChatCompletions(LlmCall call, IProxyRequestParser parser, IProxyOrchestrator orchestrator, CancellationToken cancellationToken) =>
        ProxyEndpoints.HandleProxyRequestAsync(call, parser, orchestrator, cancellationToken);

    /// <summary>OpenAI responses.</summary>
    [TracedLlmRoute("POST", ProxyConstants.Routes.Responses)]
    public static Task<IResult> Responses(LlmCall call, IProxyRequestParser parser, IProxyOrchestrator orchestrator, CancellationToken cancellationToken) =>
        ProxyEndpoints.HandleProxyRequestAsync(call, parser, orchestrator, cancellationToken);
}

/// <summary>The proxy's bearer token check, as the traced routes' authenticator.</summary>
public sealed class ProxyTokenAuthenticator(IProxyConfigurationProvider configurationProvider) : ILlmAuthenticator
{
    /// <inheritdoc />
    public async ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken) =>
        await ProxyEndpoints.IsAuthorizedAsync(llmCall.HttpContext, configurationProvider)
            ? AuthResult.Success()
            : AuthResult.Fail(ProxyConstants.Messages.AuthRequired);
}
