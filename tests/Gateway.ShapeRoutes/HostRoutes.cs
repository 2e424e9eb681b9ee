using System;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Gateway.ShapeRoutes;

/// <summary>
/// Handlers that read the body themselves or let an exception escape, on a route whose errors are the route's
/// format (the default) and on one that keeps ASP.NET Core's answers (<see cref="LlmErrorResponses.Host"/>).
/// </summary>
public static class HostRoutes
{
    /// <summary>The text of the exception the throwing handlers throw: never in an answer.</summary>
    public const string Secret = "connection string sk-host-3f9a";

    /// <summary>Parses the body itself, as a proxy reading <c>call.UpstreamBody</c> does; echoes its model.</summary>
    [TracedLlmRoute("POST", "/host/default/v1/chat/completions")]
    public static IResult Parse(LlmCall call) => Echo(call);

    /// <summary>The same on a route that keeps ASP.NET Core's answers.</summary>
    [TracedLlmRoute("POST", "/host/kept/v1/chat/completions", ErrorResponses = LlmErrorResponses.Host)]
    public static IResult ParseKept(LlmCall call) => Echo(call);

    /// <summary>Lets an exception of its own escape, on a route that keeps ASP.NET Core's answers.</summary>
    [TracedLlmRoute("POST", "/host/throws/v1/chat/completions", ErrorResponses = LlmErrorResponses.Host)]
    public static IResult Throw(LlmCall call) => throw new InvalidOperationException(Secret);

    private static IResult Echo(LlmCall call)
    {
        var body = JsonNode.Parse(call.UpstreamBody.Span)!.AsObject();
        return Results.Json(new { model = (string?)body["model"] });
    }
}
