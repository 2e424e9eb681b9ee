using System;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Pipeline;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A request driven through the generated pipeline's own steps, with a host's services: the call, its
/// server span and its LLM span started; <see cref="End"/> ends them as the pipeline does (the
/// request's metrics are recorded then).
/// </summary>
internal sealed class DirectCall : IDisposable
{
    private readonly IServiceScope _scope;

    private DirectCall(IServiceProvider services, TracedRouteInfo route)
    {
        _scope = services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = _scope.ServiceProvider };
        context.Request.Method = "POST";
        Call = RequestStage.CreateCall(
            context,
            route,
            RequestEnvelope.Empty,
            TracedLlmGateway.From(context),
            Stopwatch.GetTimestamp());
        Server = RequestStage.StartSpan(Call, null);
        Llm = LlmStage.StartSpan(Call, Server)!;
    }

    public LlmCall Call { get; }

    public Activity? Server { get; }

    public Activity Llm { get; }

    /// <summary>
    /// Starts a call on a route of <paramref name="path"/> in <paramref name="format"/>'s wire shape.
    /// </summary>
    public static DirectCall Start(
        IServiceProvider services,
        string path = "/v1/chat/completions",
        WireFormat format = WireFormat.OpenAI
    ) => new(services, new TracedRouteInfo("POST", path, "metadata", format, "chat", "Tests.Handler"));

    /// <summary>Ends the LLM span and the request, as the generated pipeline does.</summary>
    public void End()
    {
        LlmStage.EndSpan(Llm, Server);
        RequestStage.EndSpan(Server, Call);
    }

    public void Dispose() => _scope.Dispose();
}
