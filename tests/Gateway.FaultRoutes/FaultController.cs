using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Gateway.FaultRoutes;

/// <summary>
/// The fault matrix's controller shape: the same handlers as <see cref="FaultRoutes"/>, as MVC
/// actions of an [ApiController] (MVC binds the request and the services), each on its path + <c>/mvc</c>
/// and under the host's two deadline prefixes. The app's exception handling (the host's exception
/// handler middleware) answers the actions' own exceptions; the pipeline answers TracedLlm's.
/// </summary>
[ApiController]
public sealed class FaultController(ProviderRouter providers, IBeforeLlmCall before) : ControllerBase
{
    /// <summary>OpenAI chat completions, whole or streamed.</summary>
    [HttpPost("/v1/chat/completions/mvc")]
    [HttpPost("/deadline/v1/chat/completions/mvc")]
    [HttpPost("/deadline-slow/v1/chat/completions/mvc")]
    [TracedLlmRoute]
    public Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> Chat(
        ChatCompletionRequest request,
        LlmCall call) => FaultRoutes.Chat(request, call, providers, before);

    /// <summary>Anthropic messages, whole or streamed.</summary>
    [HttpPost("/v1/messages/mvc")]
    [HttpPost("/deadline/v1/messages/mvc")]
    [HttpPost("/deadline-slow/v1/messages/mvc")]
    [TracedLlmRoute]
    public Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> Messages(MessagesRequest request, LlmCall call) =>
        FaultRoutes.Messages(request, call, providers, before);
}
