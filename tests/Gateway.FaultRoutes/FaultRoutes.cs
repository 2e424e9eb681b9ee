using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using TracedLlm.Pipeline;
using TracedLlm.Samples.Gateway;
using TracedLlm.Samples.Gateway.Providers;

namespace TracedLlm.Gateway.FaultRoutes;

/// <summary>Handler code that runs before the LLM call: where the fault matrix makes a handler fail.</summary>
public interface IBeforeLlmCall
{
    /// <summary>
    /// Runs before the handler calls its provider; may throw synchronously, fail later, wait, or
    /// answer with an error result of its own instead (returned; null to go on).
    /// </summary>
    ValueTask<IResult?> RunAsync(LlmCall call, CancellationToken cancellationToken);
}

/// <summary>
/// The sample gateway's handlers, one handler a route serving both stream modes (the shape the
/// docs recommend), each after an <see cref="IBeforeLlmCall"/> step, on the sample's paths. An
/// upstream that answers with an error of its own before the stream's first chunk is relayed to
/// the client as it came, as a relay does once every attempt has failed.
/// </summary>
public static class FaultRoutes
{
    /// <summary>
    /// Maps the routes (a group's prefix allowed); conventions added to the result apply to all of them.
    /// </summary>
    public static TracedLlmRouteBuilder MapFaultMatrixRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    /// <summary>
    /// OpenAI chat completions, whole or streamed. Not async: a step that throws makes the handler itself throw
    /// synchronously.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> Chat(
        ChatCompletionRequest request,
        LlmCall call,
        ProviderRouter providers,
        IBeforeLlmCall before) =>
        After(
            before.RunAsync(call, call.CancellationToken),
            call,
            () => Routes.CompleteChat(Routes.ChatRequest(request, call), call, providers),
            () => Routes.StreamChat(Routes.ChatRequest(request, call), call, providers));

    /// <summary>Anthropic messages, whole or streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> Messages(
        MessagesRequest request,
        LlmCall call,
        ProviderRouter providers,
        IBeforeLlmCall before) =>
        After(
            before.RunAsync(call, call.CancellationToken),
            call,
            () => Routes.CompleteMessages(Routes.MessagesRequestFor(request), call, providers),
            () => Routes.StreamMessages(Routes.MessagesRequestFor(request), call, providers, call.CancellationToken));

    /// <summary>
    /// OpenAI chat completions on a route that keeps ASP.NET Core's answers: what the handler lets escape goes on to
    /// the app's exception handling, the pipeline's own errors are problem details.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/host", ErrorResponses = LlmErrorResponses.Host)]
    public static Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> HostChat(
        ChatCompletionRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before) =>
        Chat(request, call, providers, before);

    /// <summary>Anthropic messages on a route that keeps ASP.NET Core's answers.</summary>
    [TracedLlmRoute("POST", "/v1/messages/host", ErrorResponses = LlmErrorResponses.Host)]
    public static Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> HostMessages(
        MessagesRequest request, LlmCall call, ProviderRouter providers, IBeforeLlmCall before) =>
        Messages(request, call, providers, before);

    /// <summary>
    /// OpenAI chat completions relayed (TracedLlm.ReverseProxy), whole or streamed: the upstream's bytes, not a typed
    /// answer.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions/relay")]
    public static Task<IResult> ChatRelay(
        LlmCall call,
        [FromServices] LlmRelay relay,
        [FromServices] FaultRelayUpstream upstream,
        IBeforeLlmCall before
    ) => RelayAfter(before.RunAsync(call, call.CancellationToken), call, relay, upstream, "openai");

    /// <summary>Anthropic messages relayed, whole or streamed.</summary>
    [TracedLlmRoute("POST", "/v1/messages/relay")]
    public static Task<IResult> MessagesRelay(
        LlmCall call,
        [FromServices] LlmRelay relay,
        [FromServices] FaultRelayUpstream upstream,
        IBeforeLlmCall before
    ) => RelayAfter(before.RunAsync(call, call.CancellationToken), call, relay, upstream, "anthropic");

    /// <summary>The relay once the step is done, or the step's own error result.</summary>
    private static async Task<IResult> RelayAfter(
        ValueTask<IResult?> step,
        LlmCall call,
        LlmRelay relay,
        FaultRelayUpstream upstream,
        string provider) =>
        await step
        ?? await relay.ForwardAsync(
            call,
            new LlmTarget(provider, call.Model ?? "unknown"),
            Array.Empty<LlmTarget>(),
            LlmRetryPolicy.None,
            _ => upstream.Destination);

    /// <summary>The handler's answer once its step is done; a step that completed answers at once.</summary>
    private static Task<LlmResult<TResponse, TChunk>> After<TResponse, TChunk>(
        ValueTask<IResult?> step,
        LlmCall call,
        Func<Task<TResponse>> complete,
        Func<IAsyncEnumerable<TChunk>> stream) =>
        step.IsCompletedSuccessfully
            ? AnswerAsync(step.Result, call, complete, stream)
            : AfterAsync(step, call, complete, stream);

    private static async Task<LlmResult<TResponse, TChunk>> AfterAsync<TResponse, TChunk>(
        ValueTask<IResult?> step,
        LlmCall call,
        Func<Task<TResponse>> complete,
        Func<IAsyncEnumerable<TChunk>> stream) => await AnswerAsync(await step, call, complete, stream);

    private static async Task<LlmResult<TResponse, TChunk>> AnswerAsync<TResponse, TChunk>(
        IResult? errorResult,
        LlmCall call,
        Func<Task<TResponse>> complete,
        Func<IAsyncEnumerable<TChunk>> stream)
    {
        if (errorResult is not null)
        {
            return LlmResult.Http(errorResult);
        }

        try
        {
            return call.IsStreaming
                ? LlmResult.Stream(await StartedAsync(stream(), call.CancellationToken))
                : await complete();
        }
        catch (UpstreamAnswerException answer)
        {
            return LlmResult.Http(new RelayedUpstreamAnswer(call, answer));
        }
    }

    /// <summary>
    /// Waits for the stream's first chunk, so that an upstream failing before it can still be
    /// answered with the upstream's own error; the chunks then follow from the first.
    /// </summary>
    private static async Task<IAsyncEnumerable<T>> StartedAsync<T>(
        IAsyncEnumerable<T> chunks,
        CancellationToken cancellationToken)
    {
        var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        try
        {
            return Rest(enumerator, await enumerator.MoveNextAsync());
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    private static async IAsyncEnumerable<T> Rest<T>(IAsyncEnumerator<T> enumerator, bool any)
    {
        await using (enumerator)
        {
            if (!any)
            {
                yield break;
            }

            yield return enumerator.Current;
            while (await enumerator.MoveNextAsync())
            {
                yield return enumerator.Current;
            }
        }
    }
}

/// <summary>Where the relay routes send: an upstream the test host provides, in process.</summary>
public sealed class FaultRelayUpstream(HttpMessageHandler upstream)
{
    /// <summary>The destination of every relay attempt.</summary>
    public RelayDestination Destination { get; } =
        new(
            "http://fault-matrix.upstream",
            new HttpMessageInvoker(upstream, disposeHandler: false),
            Yarp.ReverseProxy.Forwarder.HttpTransformer.Empty);
}

/// <summary>
/// An upstream's error answer kept whole, so that it can be relayed as it came: its status, JSON body and
/// <c>Retry-After</c>.
/// </summary>
public sealed class UpstreamAnswerException(int statusCode, string body, string? retryAfter)
    : UpstreamException(statusCode, $"The upstream provider answered {statusCode}.")
{
    /// <summary>The upstream's JSON error body.</summary>
    public string Body { get; } = body;

    /// <summary>The upstream's <c>Retry-After</c> header, or null.</summary>
    public string? RetryAfterHeader { get; } = retryAfter;
}

/// <summary>
/// Writes an upstream's error answer to the client as it came and reports it through the hook a
/// relay uses (<see cref="ResultStage.ReportStatus"/>): the trace records the upstream's status and
/// the relay's description, the client reads the upstream's own status, headers and body.
/// </summary>
internal sealed class RelayedUpstreamAnswer(LlmCall call, UpstreamAnswerException answer)
    : IResult,
        IStatusCodeHttpResult
{
    public int? StatusCode => answer.UpstreamStatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ResultStage.ReportStatus(call, answer.UpstreamStatusCode, description: answer.Message);
        var response = httpContext.Response;
        response.StatusCode = answer.UpstreamStatusCode;
        response.ContentType = "application/json";
        if (answer.RetryAfterHeader is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter;
        }

        return response.WriteAsync(answer.Body, httpContext.RequestAborted);
    }
}
