using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using TracedLlm.Samples.Gateway;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Gateway.SeenRoutes;

/// <summary>The unthrown failures as MVC actions.</summary>
/// <remarks>
/// One answers an object after its upstream answered an error status (MVC writes it: the pipeline's
/// answer, in the route's format); one writes the forwarder's error as its own 502 by hand (kept as written).
/// </remarks>
[ApiController]
public sealed class SeenController(IHttpClientFactory clients, IHttpForwarder forwarder, SeenUpstream upstream)
    : ControllerBase
{
    [HttpPost("/v1/chat/completions/mvc-typed")]
    [TracedLlmRoute]
    public async Task<ActionResult<ChatCompletionResponse>> Typed(ChatCompletionRequest request, LlmCall call)
    {
        var client = clients.CreateClient(SeenUpstream.AttemptsClient);
        using var answer = await client.PostAsync("v1/chat/completions", new ReadOnlyMemoryContent(call.UpstreamBody));
        await answer.Content.ReadAsStringAsync();
        return Ok(UnthrownRoutes.ChatAnswer(UnthrownRoutes.Apology));
    }

    [HttpPost("/v1/chat/completions/mvc-forward")]
    [TracedLlmRoute]
    public async Task<IActionResult> Forward(LlmCall call)
    {
        // The YARP route's code, unchanged: it writes its own 502 when the forwarder fails.
        await UnthrownRoutes.ForwardAsync(call, forwarder, upstream, "/v1/chat/completions");
        return new EmptyResult();
    }
}
