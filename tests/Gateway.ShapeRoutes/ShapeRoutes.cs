using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace TracedLlm.Gateway.ShapeRoutes;

/// <summary>
/// The gateway's own backend picker: registered in DI, taken with no attribute (minimal APIs' inference).
/// </summary>
public sealed class BackendRouter(string name)
{
    public string Pick(string deployment) => $"{name}/{deployment}";
}

/// <summary>The gateway's health view of its backends: an interface, so a service by its kind.</summary>
public interface IBackendHealth
{
    bool IsUp(string backend);
}

public enum Priority
{
    Low,
    Normal,
    High,
}

/// <summary>An Azure OpenAI chat request, as much of it as the routes read.</summary>
public sealed class DeploymentChatRequest
{
    public string? Model { get; set; }

    public bool Stream { get; set; }
}

/// <summary>What the deployment route answers: every value it was given, so a test can see each binding.</summary>
public sealed record DeploymentReply(
    string Backend,
    string ApiVersion,
    string? RequestId,
    string Priority,
    string[] Tags,
    int N,
    string? Model,
    bool Up);

/// <summary>One event of the deployment route's stream.</summary>
public sealed record DeploymentChunk(string Backend, int Index);

public sealed record ErrorReply(string Reason);

/// <summary>Traced routes in the shapes real gateways give them.</summary>
public static class ShapeRoutes
{
    /// <summary>Maps the routes; fails when a parameter cannot be bound in this app.</summary>
    public static TracedLlmRouteBuilder MapShapeRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    /// <summary>
    /// Azure OpenAI's shape: the deployment in the path, the API version in the query, the client's
    /// request id and a priority in headers, the body, the gateway's router and health from DI; one
    /// handler for both stream modes.
    /// </summary>
    [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
    public static LlmResult<DeploymentReply, DeploymentChunk> Deployment(
        string deploymentName,
        [FromQuery(Name = "api-version")] string apiVersion,
        [FromHeader(Name = "x-ms-client-request-id")] Guid? requestId,
        [FromQuery] string[] tags,
        DeploymentChatRequest request,
        LlmCall call,
        BackendRouter router,
        IBackendHealth health,
        [FromHeader(Name = "x-priority")] Priority priority = Priority.Normal,
        [FromQuery] int n = 1)
    {
        var backend = router.Pick(deploymentName);
        return call.IsStreaming
            ? LlmResult.Stream(Chunks(backend, n, call.CancellationToken))
            : new DeploymentReply(
                backend,
                apiVersion,
                requestId?.ToString(),
                priority.ToString(),
                tags,
                n,
                request.Model,
                health.IsUp(backend));
    }

    /// <summary>A relay's shape: one IResult writes either stream mode, as the client asked.</summary>
    [TracedLlmRoute("POST", "/relay/{provider}/v1/chat/completions")]
    public static IResult Relay(string provider, LlmCall call) =>
        call.IsStreaming
            ? Results.Text($"data: {{\"provider\":\"{provider}\"}}\n\ndata: [DONE]\n\n", "text/event-stream")
            : Results.Json(new ErrorReply(provider), statusCode: StatusCodes.Status200OK);

    /// <summary>
    /// A relay whose upstream is cut after its first event: the result writes the event and reports
    /// it through the hook a relay uses, then fails, as a relay's reader does on a truncated stream.
    /// </summary>
    [TracedLlmRoute("POST", "/relay/cut/v1/chat/completions")]
    public static IResult RelayCut(LlmCall call) => new CutStream(call);

    /// <summary>The handler's own error results, by the status the client asks for.</summary>
    [TracedLlmRoute("POST", "/v1/errors/{status:int}")]
    public static IResult Fail(int status) => status switch
    {
        400 => TypedResults.BadRequest(new ErrorReply("the handler's own 400")),
        404 => TypedResults.NotFound(),
        _ => Results.StatusCode(status),
    };

    private static async IAsyncEnumerable<DeploymentChunk> Chunks(
        string backend,
        int count,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new DeploymentChunk(backend, i);
        }
    }
}

/// <summary>Writes one server-sent event, reports it, then fails as a cut upstream does.</summary>
internal sealed class CutStream(LlmCall call) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        await response.WriteAsync("data: {\"delta\":\"first\"}\n\n", httpContext.RequestAborted);
        await response.Body.FlushAsync(httpContext.RequestAborted);
        TracedLlm.Pipeline.StreamStage.ReportEventWritten(call);
        throw new UpstreamException(502, "The upstream provider cut the stream.");
    }
}
