using System.Collections.Generic;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// Handler sources whose generated files are checked in under Snapshots/&lt;scenario&gt;/, chosen so
/// that together they take every branch of the emitter:
/// <list type="bullet">
/// <item>returns: T, Task&lt;T&gt;, ValueTask&lt;T&gt;, IResult, Task&lt;IResult&gt;, IAsyncEnumerable&lt;T&gt;
/// alone and beside a regular handler;</item>
/// <item>bindings: implicit and [FromBody] body (class, record struct, nullable), no body, LlmCall, HttpContext,
/// CancellationToken, required service (interface, [FromServices] class), optional service (nullable, default value), a
/// keyword-named parameter;</item>
/// <item>slots: metadata and litellm_metadata by default and set explicitly against the default, a custom slot;</item>
/// <item>wire formats: OpenAI and Anthropic, by default and set explicitly, streaming and not;</item>
/// <item>guardrails and failure loggers registered in DI, and handlers that take them as services;</item>
/// <item>names: overloaded handlers (hashed class names), a nested type, the global namespace, handlers in two
/// files;</item>
/// <item>MVC controller actions (attribute and conventional routes, overloads, each kind of result) and the port
/// options (IgnoreStream, MetadataSlots.None, ErrorResponses).</item>
/// </list>
/// </summary>
internal static class SnapshotScenarios
{
    public static readonly IReadOnlyDictionary<string, string[]> All = new Dictionary<string, string[]>
    {
        ["Gateway"] = new[] { Sources.Gateway },
        ["Bindings"] = new[] { Bindings, GlobalNamespace },
        ["Guardrails"] = new[] { Guardrails },
        ["OneHandler"] = new[] { OneHandler },
        ["Parameters"] = new[] { Parameters },
        ["Controllers"] = new[] { Controllers },
    };

    /// <summary>
    /// MVC controller actions and the route options a port needs: an [ApiController] action on an
    /// attribute route with [controller] and [action] tokens, returning ActionResult&lt;T&gt; with its
    /// errors as problem details; an action that returns IActionResult with no metadata slot; one
    /// that serves both stream modes (LlmResult); overloads (one traced); an absolute action route; a
    /// ControllerBase with no [ApiController], conventionally routed, in an area; and, beside them, a
    /// static handler that ignores "stream": true and has no slot.
    /// </summary>
    public const string Controllers = """
        #pragma warning disable CS1591 // MVC's controllers are public: the scenario's own types need no documentation
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Mvc;
        using TracedLlm;

        namespace Contoso.Controllers;

        public sealed class ChatRequest
        {
            public string? Model { get; set; }
        }

        public sealed class ChatResponse
        {
            public string? Text { get; set; }
        }

        public sealed class ChatChunk
        {
            public string? Delta { get; set; }
        }

        [ApiController]
        [Route("v1/[controller]")]
        public sealed class ChatController : ControllerBase
        {
            [HttpPost("completions")]
            [TracedLlmRoute(ErrorResponses = LlmErrorResponses.ProblemDetails)]
            public async Task<ActionResult<ChatResponse>> Complete(ChatRequest request, LlmCall call,
                CancellationToken cancellationToken)
            {
                await Task.Yield();
                return new ChatResponse { Text = request.Model };
            }

            [HttpPost("/v1/messages")]
            [TracedLlmRoute]
            public Task<LlmResult<ChatResponse, ChatChunk>> Messages(ChatRequest request, LlmCall call) =>
                Task.FromResult<LlmResult<ChatResponse, ChatChunk>>(new ChatResponse());

            [HttpPost("[action]")]
            [TracedLlmRoute(MetadataSlot = MetadataSlots.None)]
            public IActionResult Relay(ChatRequest request) => Ok(request);

            [HttpPost("relay/{id}")]
            public IActionResult Relay(ChatRequest request, string id) => Ok(id);
        }

        [Area("Legacy")]
        public class CompletionsController : ControllerBase
        {
            [HttpPost]
            [TracedLlmRoute(IgnoreStream = true)]
            public ChatResponse CreateAsync([FromBody] ChatRequest request) => new() { Text = request.Model };
        }

        public static class Routes
        {
            [TracedLlmRoute("POST", "/v1/embeddings", IgnoreStream = true, MetadataSlot = MetadataSlots.None,
                ErrorResponses = LlmErrorResponses.Writer)]
            public static ChatResponse Embeddings(ChatRequest request) => new() { Text = request.Model };
        }
        """;

    /// <summary>
    /// Every way a parameter binds besides the body: route values by name (required, optional,
    /// catch-all), query and header values by attribute (string, IParsable, enum, a type with its
    /// own TryParse, nullable, defaulted, every value as string[] and StringValues), keyed services,
    /// the request's parts by type, a body and a service told apart at start-up, and a route with
    /// two handlers that share one value and each take one of their own.
    /// </summary>
    public const string Parameters = """
        using System;
        using System.Collections.Generic;
        using System.Security.Claims;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using Microsoft.AspNetCore.Mvc;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Primitives;
        using TracedLlm;

        namespace Contoso.Parameters;

        internal enum Priority
        {
            Low,
            Normal,
            High,
        }

        /// <summary>A value with its own TryParse, not IParsable.</summary>
        internal readonly record struct Region(string Name)
        {
            public static bool TryParse(string? text, out Region region)
            {
                region = new Region(text ?? string.Empty);
                return !string.IsNullOrEmpty(text);
            }
        }

        internal sealed class ChatRequest
        {
            public string? Model { get; set; }
        }

        internal sealed class ChatResponse
        {
            public string? Text { get; set; }
        }

        internal sealed class ChatChunk
        {
            public string? Delta { get; set; }
        }

        internal sealed class BackendRouter
        {
            public string Pick(string deployment) => deployment;
        }

        internal interface IHealth
        {
            bool IsUp(string backend);
        }

        internal static class Routes
        {
            // Azure OpenAI's shape: the deployment in the path, the API version in the query, headers, the body and the
            // router told apart at start-up.
            [TracedLlmRoute("POST", "/openai/deployments/{deploymentName}/chat/completions")]
            public static Task<LlmResult<ChatResponse, ChatChunk>> Deployment(
                string deploymentName,
                [FromQuery(Name = "api-version")] string apiVersion,
                [FromHeader(Name = "x-ms-client-request-id")] Guid? requestId,
                [FromHeader(Name = "x-priority")] Priority priority,
                [FromQuery] Region? region,
                [FromQuery] string[] tags,
                [FromHeader(Name = "x-tenant")] StringValues tenant,
                ChatRequest request,
                BackendRouter router,
                [FromKeyedServices("primary")] IHealth health,
                HttpRequest httpRequest,
                ClaimsPrincipal user,
                LlmCall call,
                [FromQuery] int n = 1,
                [FromQuery] string? label = "none") =>
                Task.FromResult<LlmResult<ChatResponse, ChatChunk>>(new ChatResponse
                {
                    Text = $"{router.Pick(deploymentName)} {apiVersion} {requestId} {priority} {region} {tags.Length} "
                        + $"{tenant} {request.Model} {health.IsUp(deploymentName)} {httpRequest.Path} "
                        + $"{user.Identity?.Name} {call.Model} {n} {label}",
                });

            // Two handlers: both take the route value, each takes a value of its own.
            [TracedLlmRoute("POST", "/v1/models/{model}/completions")]
            public static ChatResponse Complete(string model, [FromBody] ChatRequest request, [FromQuery] long? seed) =>
                new() { Text = $"{model} {request.Model} {seed}" };

            [TracedLlmRoute("POST", "/v1/models/{model}/completions")]
            public static async IAsyncEnumerable<ChatChunk> CompleteStream(string model, [FromBody] ChatRequest request,
                [FromHeader(Name = "x-chunk-size")] int chunkSize = 16)
            {
                await Task.Yield();
                yield return new ChatChunk { Delta = $"{model} {request.Model} {chunkSize}" };
            }

            // An optional route value and an optional service.
            [TracedLlmRoute("PATCH", "/v1/batches/{id?}")]
            public static IResult Batch(int? id, [FromServices] IHealth? health) => Results.Ok(id);

            // A catch-all route value.
            [TracedLlmRoute("DELETE", "/v1/files/{**path}")]
            public static IResult File(string path, LlmCall call) => Results.Ok(path + call.Model);
        }
        """;

    /// <summary>
    /// One handler for both stream modes: <c>LlmResult&lt;TResponse, TChunk&gt;</c> awaited and
    /// synchronous, in both wire formats, with an error result of its own; an <c>IResult</c> handler
    /// (a relay's shape); and a typed handler that still refuses a stream.
    /// </summary>
    public const string OneHandler = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using TracedLlm;

        namespace Contoso.OneHandler;

        internal sealed class ChatRequest
        {
            public string? Model { get; set; }
        }

        internal sealed class ChatResponse
        {
            public string? Text { get; set; }
        }

        internal sealed class ChatChunk
        {
            public string? Delta { get; set; }
        }

        internal static class Routes
        {
            // Its response as JSON, its chunks as server-sent events, or an error result of its own.
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<LlmResult<ChatResponse, ChatChunk>> Chat(ChatRequest request, LlmCall call)
            {
                if (request.Model is null)
                {
                    return LlmResult.Http(Results.Problem(statusCode: StatusCodes.Status404NotFound));
                }

                await Task.Yield();
                return call.IsStreaming ? LlmResult.Stream(Chunks(request)) : new ChatResponse { Text = request.Model };
            }

            // Synchronous, Anthropic by path.
            [TracedLlmRoute("POST", "/v1/messages")]
            public static LlmResult<ChatResponse, ChatChunk> Messages(ChatRequest request, LlmCall call) =>
                call.IsStreaming ? LlmResult.Stream(Chunks(request)) : new ChatResponse { Text = request.Model };

            // A relay's shape: the result writes either mode itself.
            [TracedLlmRoute("POST", "/v1/responses")]
            public static ValueTask<IResult> Responses(LlmCall call) =>
                new(call.IsStreaming ? Results.Text("data: {}\n\n", "text/event-stream") : Results.Ok());

            // JSON only: a body asking for a stream is refused.
            [TracedLlmRoute("POST", "/v1/embeddings")]
            public static ChatResponse Embeddings(ChatRequest request) => new() { Text = request.Model };

            private static async IAsyncEnumerable<ChatChunk> Chunks(ChatRequest request)
            {
                await Task.Yield();
                yield return new ChatChunk { Delta = request.Model };
            }
        }
        """;

    /// <summary>
    /// Every parameter binding, every non-streaming return shape, and the names the generated class is derived from.
    /// </summary>
    public const string Bindings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using Microsoft.AspNetCore.Mvc;
        using TracedLlm;

        namespace Contoso.Bindings;

        internal sealed class Clock
        {
            public DateTimeOffset Now => DateTimeOffset.UnixEpoch;
        }

        internal interface ITokenizer
        {
            int Count(string? text);
        }

        internal sealed class CompletionRequest
        {
            public string? Prompt { get; set; }
        }

        internal sealed class CompletionResponse
        {
            public int Tokens { get; set; }
        }

        internal record struct BatchRequest(string? InputFileId);

        internal sealed class AudioRequest
        {
            public string? Input { get; set; }
        }

        internal static class Routes
        {
            // Synchronous T; [FromBody] after a [FromServices] class; optional services, nullable and defaulted.
            [TracedLlmRoute("POST", "/v1/completions")]
            public static CompletionResponse Completions(
                [FromServices] Clock clock,
                [FromBody] CompletionRequest? request,
                ITokenizer? tokenizer,
                LlmCall call,
                HttpContext httpContext,
                CancellationToken cancellationToken,
                IServiceProvider? services = null) =>
                new() { Tokens = tokenizer?.Count(request?.Prompt) ?? 0 };

            // Task<IResult> with a record-struct body under a keyword name; litellm_metadata by default.
            [TracedLlmRoute("POST", "/v1/batches")]
            public static Task<IResult> Batches(BatchRequest @object, ITokenizer tokenizer) =>
                Task.FromResult(Results.Ok(tokenizer.Count(@object.InputFileId)));

            // Overloads: each generated class name carries a hash of its signature.
            [TracedLlmRoute("POST", "/v1/audio/speech")]
            public static ValueTask<CompletionResponse> Audio(AudioRequest request) => new(new CompletionResponse());

            [TracedLlmRoute("POST", "/v1/audio/transcriptions", Operation = "transcription")]
            public static ValueTask<CompletionResponse> Audio(AudioRequest request, LlmCall call) =>
                new(new CompletionResponse { Tokens = call.Model?.Length ?? 0 });

            internal static class Admin
            {
                // A nested type, no body, a custom slot named like a keyword-free identifier.
                [TracedLlmRoute("PUT", "/v1/moderations/{id}", MetadataSlot = "gateway", Operation = "moderation")]
                public static IResult Moderate(LlmCall call, ITokenizer? tokenizer = null) => Results.Ok(call.Model);
            }
        }
        """;

    /// <summary>A handler in the global namespace, in a second file.</summary>
    public const string GlobalNamespace = """
        using TracedLlm;

        internal sealed class EchoRequest
        {
            public string? Text { get; set; }
        }

        internal static class GlobalRoutes
        {
            [TracedLlmRoute("POST", "/echo")]
            public static EchoRequest Echo(EchoRequest request) => request;
        }
        """;

    /// <summary>
    /// Guardrails and failure loggers come from DI: the gateway resolves them once and the generated
    /// pipeline runs them by mode, so the consumer registers them and the handlers may take them as
    /// services too. Streaming and not, in both wire formats, with each slot set against its default.
    /// </summary>
    public const string Guardrails = """
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using TracedLlm;

        namespace Contoso.Guarded;

        internal sealed class PiiGuardrail : ILlmGuardrail
        {
            public string Name => "pii";

            public GuardrailMode Modes => GuardrailMode.PreCall | GuardrailMode.DuringCall | GuardrailMode.PostCall;

            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                CancellationToken cancellationToken) =>
                new(context.Request is null ? GuardrailVerdict.Block("no request") : GuardrailVerdict.Allow);
        }

        internal sealed class AuditFailureLogger : ILlmFailureLogger
        {
            public ValueTask LogFailureAsync(FailureContext failure) => default;
        }

        internal sealed class MessageRequest
        {
            public string? Model { get; set; }
        }

        internal sealed class MessageResponse
        {
            public string? Text { get; set; }
        }

        internal sealed class MessageEvent
        {
            public string? Delta { get; set; }
        }

        internal static class Setup
        {
            public static IServiceCollection AddGuards(this IServiceCollection services) => services
                .AddSingleton<ILlmGuardrail, PiiGuardrail>()
                .AddSingleton<ILlmFailureLogger, AuditFailureLogger>();
        }

        internal static class Routes
        {
            // Anthropic by path, its slot set to "metadata" against the path's litellm_metadata default.
            [TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")]
            public static async Task<MessageResponse> Messages(MessageRequest request,
                IEnumerable<ILlmGuardrail> guardrails, ILlmFailureLogger? failureLogger,
                CancellationToken cancellationToken)
            {
                await Task.Yield();
                return new MessageResponse { Text = request.Model };
            }

            [TracedLlmRoute("POST", "/v1/messages", MetadataSlot = "metadata")]
            public static async IAsyncEnumerable<MessageEvent> MessagesStream(MessageRequest request,
                IEnumerable<ILlmGuardrail> guardrails, LlmCall call,
                [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                await Task.Yield();
                yield return new MessageEvent { Delta = call.Model };
            }

            // OpenAI path with the Anthropic wire format and litellm_metadata set explicitly; streaming only.
            [TracedLlmRoute("POST", "/v1/chat/completions", MetadataSlot = "litellm_metadata",
                ErrorFormat = WireFormat.Anthropic)]
            public static async IAsyncEnumerable<MessageEvent> Chat(MessageRequest request, PiiGuardrail guardrail,
                Microsoft.AspNetCore.Http.HttpContext httpContext)
            {
                await Task.Yield();
                yield return new MessageEvent { Delta = guardrail.Name };
            }
        }
        """;
}
