using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Polly.CircuitBreaker;
using Polly.Timeout;
using TracedLlm.Samples.Gateway;

namespace TracedLlm.Gateway.AttemptRoutes;

/// <summary>The models the app tries, in order: the one the client asked for, then the app's fallbacks.</summary>
public sealed class ModelChain(params string[] fallbacks)
{
    public IEnumerable<string> For(string? requested)
    {
        if (requested is not null)
        {
            yield return requested;
        }

        foreach (var fallback in fallbacks)
        {
            if (fallback != requested)
            {
                yield return fallback;
            }
        }
    }
}

/// <summary>
/// A provider service as existing services write one: a named <see cref="HttpClient"/> from
/// <see cref="IHttpClientFactory"/> (its resilience handler is the host's choice), and the app's
/// own fallback loop: the next model after an error status or a failure the client's handlers gave
/// up on. It knows nothing of attempts: the client's <c>AddTracedLlmAttempts()</c> records them.
/// </summary>
public sealed class UpstreamChat(IHttpClientFactory clients, ModelChain chain)
{
    public const string ClientName = "llm";

    /// <summary>The header naming the model a send asks for (a resilience pipeline per model keys on it).</summary>
    public const string ModelHeader = "x-llm-model";

    /// <summary>
    /// The first successful answer, else the last error answer; a failure when the last model failed without one.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(LlmCall call, string path, bool anthropic)
    {
        var client = clients.CreateClient(ClientName);
        HttpResponseMessage? lastAnswer = null;
        Exception? lastFailure = null;
        foreach (var model in chain.For(call.Model))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = Body(call, model, anthropic)
            };
            request.Headers.Add(ModelHeader, model);
            try
            {
                var completion = call.IsStreaming
                    ? HttpCompletionOption.ResponseHeadersRead
                    : HttpCompletionOption.ResponseContentRead;
                var response = await client.SendAsync(request, completion, call.CancellationToken);
                lastAnswer?.Dispose();
                lastAnswer = null;
                if (response.IsSuccessStatusCode
                    || response.StatusCode
                        is not (HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError))
                {
                    return response;
                }

                lastAnswer = response;
                lastFailure = null;
            }
            catch (Exception exception) when (WorthAnotherModel(exception, call))
            {
                lastFailure = exception;
            }
        }

        if (lastAnswer is not null)
        {
            return lastAnswer;
        }

        ExceptionDispatchInfo.Throw(lastFailure!);
        return null!;
    }

    private static bool WorthAnotherModel(Exception exception, LlmCall call) =>
        !call.CancellationToken.IsCancellationRequested
        && exception
            is HttpRequestException
                or BrokenCircuitException
                or TimeoutRejectedException
                or OperationCanceledException;

    /// <summary>
    /// The client's body with the model this try asks for, written last (as OpenAI's SDK writes it,
    /// after the messages): a string for OpenAI's API, <see cref="JsonContent"/> for Anthropic's.
    /// </summary>
    private static HttpContent Body(LlmCall call, string model, bool anthropic)
    {
        var body = JsonNode.Parse(call.UpstreamBody.Span)!.AsObject();
        body.Remove("model");
        body["model"] = model;
        return anthropic
            ? JsonContent.Create(body, options: JsonSerializerOptions.Default)
            : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    }
}

/// <summary>Traced routes whose handlers call their provider through <see cref="UpstreamChat"/>.</summary>
public static class AttemptRoutes
{
    /// <summary>
    /// The header that makes the answered route wait, once it has written its answer, for its client to hang up.
    /// </summary>
    public const string WaitForHangUp = "x-wait-for-hang-up";

    /// <summary>Maps the routes (a group's prefix allowed).</summary>
    public static TracedLlmRouteBuilder MapAttemptRoutes(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapTracedLlmRoutes();

    // The wire's names, as the sample's types are written (snake_case, nulls left out: a member the
    // sample requires may be missing from a provider's event, Anthropic's message_start with no stop_reason yet).
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                static type =>
                {
                    foreach (var property in type.Properties)
                    {
                        property.IsRequired = false;
                    }
                },
            },
        },
    };

    /// <summary>
    /// OpenAI chat completions, whole or streamed, through the provider service: the sample's typed answer.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/chat/completions")]
    public static async Task<LlmResult<ChatCompletionResponse, ChatCompletionChunk>> Chat(
        ChatCompletionRequest request,
        LlmCall call,
        UpstreamChat upstream) =>
        await AnswerAsync<ChatCompletionResponse, ChatCompletionChunk>(
            await upstream.SendAsync(call, "v1/chat/completions", anthropic: false),
            call);

    /// <summary>
    /// Anthropic messages, whole or streamed, through the provider service: the sample's typed answer.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/messages")]
    public static async Task<LlmResult<MessagesResponse, AnthropicStreamEvent>> Messages(
        MessagesRequest request,
        LlmCall call,
        UpstreamChat upstream) =>
        await AnswerAsync<MessagesResponse, AnthropicStreamEvent>(
            await upstream.SendAsync(call, "v1/messages", anthropic: true),
            call);

    /// <summary>
    /// An error answer written whole and flushed before the request ends, without a length (as
    /// <c>Results.Problem</c> writes one): the client reads the JSON and hangs up on the rest of the
    /// response. With <see cref="WaitForHangUp"/>, the handler waits until it has.
    /// </summary>
    [TracedLlmRoute("POST", "/v1/answered/{status:int}")]
    public static IResult Answered(int status, HttpContext httpContext) =>
        new WrittenWhole(status, httpContext.Request.Headers.ContainsKey(WaitForHangUp));

    /// <summary>
    /// The upstream's answer, read once: its JSON, its stream's events, or its error passed on as it came.
    /// </summary>
    private static async Task<LlmResult<TResponse, TChunk>> AnswerAsync<TResponse, TChunk>(
        HttpResponseMessage response,
        LlmCall call)
    {
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                return LlmResult.Http(
                    new PassedOn(
                        (int)response.StatusCode,
                        await response.Content.ReadAsStringAsync(call.CancellationToken),
                        response.Headers.RetryAfter?.ToString()));
            }
        }

        if (call.IsStreaming)
        {
            return LlmResult.Stream(EventsAsync<TChunk>(response, call.CancellationToken));
        }

        using (response)
        {
            return (await response.Content.ReadFromJsonAsync<TResponse>(Wire, call.CancellationToken))!;
        }
    }

    /// <summary>
    /// The stream's events as the handler's chunks (the pipeline writes OpenAI's <c>[DONE]</c> itself).
    /// </summary>
    private static async IAsyncEnumerable<TChunk> EventsAsync<TChunk>(
        HttpResponseMessage response,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
            {
                if (item.Data != "[DONE]")
                {
                    yield return JsonSerializer.Deserialize<TChunk>(item.Data, Wire)!;
                }
            }
        }
    }

    /// <summary>
    /// The upstream's error answer passed on as it came: its status, JSON body and <c>Retry-After</c>.
    /// </summary>
    private sealed class PassedOn(int status, string body, string? retryAfter) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json";
            if (retryAfter is not null)
            {
                response.Headers.RetryAfter = retryAfter;
            }

            return response.WriteAsync(body, httpContext.RequestAborted);
        }
    }

    /// <summary>
    /// An error answer, flushed: on the wire before the result returns (chunked: the response ends with the request).
    /// </summary>
    private sealed class WrittenWhole(int status, bool waitForHangUp) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var body = Encoding.UTF8.GetBytes($$$"""{"error":{"message":"answered {{{status}}}","type":"answered"}}""");
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json";
            await response.Body.WriteAsync(body);
            await response.Body.FlushAsync();
            if (waitForHangUp)
            {
                // The moment the race was lost in: the client has the whole answer and closes as the failure path
                // begins.
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), httpContext.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
