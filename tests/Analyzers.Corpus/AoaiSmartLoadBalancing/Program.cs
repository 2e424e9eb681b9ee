using Yarp.ReverseProxy.Health;
using TracedLlm;
using Yarp.ReverseProxy.Transforms;

namespace openai_loadbalancer;

public class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        var backendConfiguration = BackendConfig.LoadConfig(builder.Configuration);
        var yarpConfiguration = new YarpConfiguration(backendConfiguration);
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, ThrottlingHealthPolicy>();
        builder.Services.AddReverseProxy().AddTransforms(m =>
        {
            m.AddRequestTransform(yarpConfiguration.TransformRequest());
            m.AddResponseTransform(yarpConfiguration.TransformResponse());
        }).LoadFromMemory(yarpConfiguration.GetRoutes(), yarpConfiguration.GetClusters());

        builder.Services.AddHealthChecks();
        builder.Services.AddTracedLlm();
        builder.Services.AddSingleton(backendConfiguration);
        builder.Services.AddSingleton<RetryMiddleware>();
        var app = builder.Build();

        app.MapHealthChecks("/healthz");
        app.MapTracedLlmRoutes();
        app.MapReverseProxy(m =>
        {
            m.UsePassiveHealthChecks();
        });

        app.Run();
    }
}

/// <summary>Azure OpenAI's model calls, traced: RetryMiddleware forwards each to the best healthy backend, one attempt per try.</summary>
public static class TracedRoutes
{
    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
    public static Task<IResult> ChatCompletions(LlmCall call, [Microsoft.AspNetCore.Mvc.FromServices] RetryMiddleware retry) => ForwardAsync(call, retry);

    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/completions")]
    public static Task<IResult> Completions(LlmCall call, [Microsoft.AspNetCore.Mvc.FromServices] RetryMiddleware retry) => ForwardAsync(call, retry);

    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/embeddings")]
    public static Task<IResult> Embeddings(LlmCall call, [Microsoft.AspNetCore.Mvc.FromServices] RetryMiddleware retry) => ForwardAsync(call, retry);

    private static async Task<IResult> ForwardAsync(LlmCall call, RetryMiddleware retry)
    {
        await retry.InvokeAsync(call);
        return Results.Empty;
    }
}
