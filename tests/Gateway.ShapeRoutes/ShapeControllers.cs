using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;

namespace TracedLlm.Gateway.ShapeRoutes;

/// <summary>A chat request as an MVC app's DTO declares it, validated by data annotations.</summary>
public sealed class CompletionRequest
{
    [Required]
    public string? Model { get; set; }

    [Required]
    [MinLength(1)]
    public List<CompletionMessage>? Messages { get; set; }

    public bool Stream { get; set; }

    /// <summary>
    /// Whatever else the body carried, as MVC's binder read it (a metadata slot that was cut out is not here).
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>A chat request as most apps' DTOs are: no stream flag, no metadata, nothing else bound.</summary>
public sealed class PlainCompletionRequest
{
    [Required]
    public string? Model { get; set; }

    [Required]
    [MinLength(1)]
    public List<CompletionMessage>? Messages { get; set; }
}

public sealed class CompletionMessage
{
    [Required]
    public string? Role { get; set; }

    public string? Content { get; set; }
}

/// <summary>
/// The answer: the model, the text, and the body's other top-level names as the action's binder saw them.
/// </summary>
public sealed record CompletionReply(string Model, string Text, IReadOnlyList<string> BoundNames);

public sealed record CompletionChunk(string Delta);

/// <summary>
/// The app's chat service, behind the controller as a Clean Architecture app keeps it; each test gives its own.
/// </summary>
public interface ICompletionBackend
{
    Task<CompletionReply> CompleteAsync(CompletionRequest request, LlmCall call, CancellationToken cancellationToken);
}

/// <summary>
/// An [ApiController] in the shape MVC apps write: attribute routes, a validated DTO, the app's service injected.
/// </summary>
[ApiController]
[Route("api/[controller]")]
public sealed class CompletionsController(ICompletionBackend backend) : ControllerBase
{
    /// <summary>POST /api/completions: typed, its own errors as problem details.</summary>
    [HttpPost]
    [TracedLlmRoute(ErrorResponses = LlmErrorResponses.ProblemDetails)]
    public async Task<ActionResult<CompletionReply>> Create(
        CompletionRequest request,
        LlmCall call,
        CancellationToken cancellationToken) => await backend.CompleteAsync(request, call, cancellationToken);

    /// <summary>POST /api/completions/lenient: answers "stream": true with JSON, and has no metadata slot.</summary>
    [HttpPost("lenient")]
    [TracedLlmRoute(IgnoreStream = true, MetadataSlot = MetadataSlots.None)]
    public Task<CompletionReply> Lenient(CompletionRequest request, LlmCall call) =>
        backend.CompleteAsync(request, call, call.CancellationToken);

    /// <summary>POST /api/completions/plain: a DTO that never read "stream" or "metadata", its answers kept.</summary>
    [HttpPost("plain")]
    [TracedLlmRoute]
    public Task<CompletionReply> Plain(PlainCompletionRequest request, LlmCall call) =>
        backend.CompleteAsync(
            new CompletionRequest { Model = request.Model, Messages = request.Messages }, call, call.CancellationToken);

    /// <summary>POST /v1/chat/completions: both stream modes from one action, in the OpenAI wire format.</summary>
    [HttpPost("/v1/chat/completions")]
    [TracedLlmRoute]
    public async Task<LlmResult<CompletionReply, CompletionChunk>> Chat(CompletionRequest request, LlmCall call)
    {
        if (call.IsStreaming)
        {
            return LlmResult.Stream(Chunks(request.Model ?? string.Empty, call.CancellationToken));
        }

        return await backend.CompleteAsync(request, call, call.CancellationToken);
    }

    /// <summary>POST /api/completions/busy: the action's own error result.</summary>
    [HttpPost("busy")]
    [TracedLlmRoute]
    public IActionResult Busy(CompletionRequest request) =>
        Problem(title: "Every backend is draining.", statusCode: 503);

    private static async IAsyncEnumerable<CompletionChunk> Chunks(
        string model,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var word in new[] { "from", " ", model })
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new CompletionChunk(word);
        }
    }
}

/// <summary>A controller with no [ApiController], conventionally routed: it checks its model state itself.</summary>
public sealed class LegacyController(ICompletionBackend backend) : ControllerBase
{
    [HttpPost]
    [TracedLlmRoute]
    public async Task<IActionResult> Complete([FromBody] CompletionRequest request, LlmCall call)
    {
        if (!ModelState.IsValid)
        {
            return BadRequest(ModelState);
        }

        return Ok(await backend.CompleteAsync(request, call, call.CancellationToken));
    }
}
