using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using TracedLlm.Samples.Gateway;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Gateway.SeenRoutes;

/// <summary>
/// The unthrown failures as MVC actions: an action that answers an object after its upstream answered
/// an error status (MVC writes it: the pipeline's answer, in the route's format), and one that writes
/// the forwarder's error as its own 502 by hand (kept as written).
/// </summary>
[ApiController]
public sealed class SeenController(IHttpClientFactory clients, IHttpForwarder forwarder, SeenUpstream upstream) : ControllerBase
{
    [HttpPost("/v1/chat/completions/mvc-typed")]
    [TracedLlmRoute]
    public async Task<ActionResult<ChatCompletionResponse>> Typed(ChatCompletionRequest request, LlmCall call)
    {
        using var answer = await clients.CreateClient(SeenUpstream.AttemptsClient).PostAsync("v1/chat/completions", new ReadOnlyMemoryContent(call.UpstreamBody));
        await answer.Content.ReadAsStringAsync();
        return Ok(new ChatCompletionResponse
        {
            Id = "mvc-1",
            Model = "gpt",
            Choices = [new ChatChoice { Message = new ChatResponseMessage { Content = UnthrownRoutes.Apology }, FinishReason = "stop" }],
            Usage = new ChatUsage(),
        });
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
