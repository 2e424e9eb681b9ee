using AICentral.Core;

namespace AICentral;

public class HostNameMatchRouter
{
    public const string EmbeddingsRoute = "openai/deployments/{deploymentName}/embeddings";
    public const string ChatCompletionsRoute = "openai/deployments/{deploymentName}/chat/completions";
    public const string CompletionsRoute = "openai/deployments/{deploymentName}/completions";

    private readonly string[] _hostNames;

    public HostNameMatchRouter(string hostName)
    {
        _hostNames = hostName == "*" ? [] : [hostName];
    }

    public object WriteDebug()
    {
        return new { Host = _hostNames };
    }

    /// <summary>True when this pipeline serves the host, as RequireHost matched it before the model routes became traced routes.</summary>
    public bool Matches(string host) => _hostNames.Length == 0 || _hostNames.Any(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<RouteHandlerBuilder> BuildRoutes(
        WebApplication application,
        AIHandler handler,
        IRouteProxy[] routeProxies)
    {
        yield return application.MapMethods(
                "/openai/images/generations:submit",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.DALLE2, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/operations/{*:rest}",
                new[] { "Get" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.Operations, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/deployments/{deploymentName}/images/generations",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken, string deploymentName) =>
                    (await handler(WrapContext(ctx), deploymentName, null, AICallType.DALLE3, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/deployments/{deploymentName}/audio/transcriptions",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken, string deploymentName) =>
                    (await handler(WrapContext(ctx), deploymentName, null, AICallType.Transcription, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/deployments/{deploymentName}/audio/translations",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken, string deploymentName) =>
                    (await handler(WrapContext(ctx), deploymentName, null, AICallType.Translation, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        // Chat completions, completions and embeddings (the Azure OpenAI and Inference API paths) are traced routes: AICentralTracedRoutes.
        yield return application.MapMethods(
                "/openai/threads/{*:rest}",
                new[] { "Get", "Delete", "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.Threads, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/assistants/{assistantId}/{*:rest}",
                new[] { "Get", "Delete", "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken, string assistantId) =>
                    (await handler(WrapContext(ctx), null, assistantId, AICallType.Assistants, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/files",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.Files, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/assistants",
                new[] { "Post" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.Assistants, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        yield return application.MapMethods(
                "/openai/{*:rest}",
                new[] { "Get", "Post", "Delete" },
                async (HttpContext ctx, CancellationToken cancellationToken) =>
                    (await handler(WrapContext(ctx), null, null, AICallType.Other, cancellationToken)).ResultHandler)
            .RequireHost(_hostNames);

        foreach (var additionalRoute in routeProxies)
        {
            yield return additionalRoute.MapRoute(application, handler)
                .RequireHost(_hostNames);
        }
    }

    private IRequestContext WrapContext(HttpContext ctx)
    {
        return new HttpContextWrapper(ctx);
    }

    public static HostNameMatchRouter WithHostHeader(string host)
    {
        return new HostNameMatchRouter(Guard.NotNullOrEmptyOrWhitespace(host, nameof(host)));
    }
}