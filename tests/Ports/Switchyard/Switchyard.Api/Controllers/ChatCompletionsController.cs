using Microsoft.AspNetCore.Mvc;
using Switchyard.Api.Contracts;
using Switchyard.Api.Filters;
using Switchyard.Application.Chat;

namespace Switchyard.Api.Controllers;

[ApiController]
[Route("api/v1/chat")]
public sealed class ChatCompletionsController(ChatOrchestrator orchestrator) : ControllerBase
{
    /// <summary>Creates a chat completion from the requested model, or the first of its fallbacks that answers.</summary>
    [HttpPost("completions")]
    [ServiceFilter<PromptLimitFilter>]
    public async Task<ActionResult<ChatCompletionResponseDto>> Create(ChatCompletionRequestDto request, CancellationToken cancellationToken)
    {
        var completion = await orchestrator.CompleteAsync(request.ToCommand(), cancellationToken);
        return Ok(ChatCompletionResponseDto.From(completion));
    }
}
