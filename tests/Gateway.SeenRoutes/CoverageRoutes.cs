using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using TracedLlm.Samples.Gateway;

namespace TracedLlm.Gateway.SeenRoutes;

/// <summary>Traced routes that send a request upstream in each of the ways outbound coverage tells apart.</summary>
/// <remarks>
/// A model request with a <c>new HttpClient()</c> outside every attempt (a gap), the same inside an
/// attempt or through a client whose sends are attempts (none), a request to an API that is not a
/// model's (none, unless declared), and to a declared path or through a declared named client.
/// </remarks>
public static class CoverageRoutes
{
    /// <summary>The named client the coverage tests declare a model client (<c>ModelHttpClients</c>).</summary>
    public const string DeclaredClient = "seen-declared";

    /// <summary>The path the coverage tests declare a model API (<c>ModelUrls</c>).</summary>
    public const string DeclaredPath = "/internal/generate";

    /// <summary>
    /// The host the routes send to: <c>localhost</c>, which no other test's upstream is named, on the stub's port.
    /// </summary>
    public static string Host(SeenUpstream upstream) =>
        upstream.Address.Replace("127.0.0.1", "localhost", System.StringComparison.Ordinal);

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-plain")]
    public static async Task<ChatCompletionResponse> SendsOutsideAnAttempt(
        ChatCompletionRequest request, LlmCall call, [FromServices] SeenUpstream upstream)
    {
        using var http = new HttpClient();
        using var answer = await http.PostAsync(Host(upstream) + "/v1/chat/completions", Body(call));
        return Answered();
    }

    /// <summary>
    /// An <c>HttpClient</c> the app keeps for all its requests (the usual way: its sends after the first run on the
    /// caller's stack).
    /// </summary>
    public static readonly HttpClient Shared = new();

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-shared")]
    public static async Task<ChatCompletionResponse> SendsThroughASharedClient(
        ChatCompletionRequest request, LlmCall call, [FromServices] SeenUpstream upstream)
    {
        using var answer = await Shared.PostAsync(Host(upstream) + "/v1/embeddings", Body(call));
        return Answered();
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-attempt")]
    public static async Task<ChatCompletionResponse> SendsInsideAnAttempt(
        ChatCompletionRequest request, LlmCall call, [FromServices] SeenUpstream upstream)
    {
        using var http = new HttpClient();
        await call.ExecuteAsync(new LlmTarget("openai", "gpt"), LlmRetryPolicy.None, async (attempt, cancellation) =>
        {
            using var answer = await http.PostAsync(Host(upstream) + "/v1/chat/completions", Body(call), cancellation);
            return (int)answer.StatusCode;
        });
        return Answered();
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-attempts-client")]
    public static async Task<ChatCompletionResponse> SendsThroughAttemptsClient(
        ChatCompletionRequest request, LlmCall call, IHttpClientFactory clients, [FromServices] SeenUpstream upstream)
    {
        var client = clients.CreateClient(SeenUpstream.AttemptsClient);
        using var answer = await client.PostAsync(Host(upstream) + "/v1/chat/completions", Body(call));
        await answer.Content.ReadAsStringAsync();
        return Answered();
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-users")]
    public static async Task<ChatCompletionResponse> SendsToAnotherApi(
        ChatCompletionRequest request, LlmCall call, [FromServices] SeenUpstream upstream)
    {
        using var http = new HttpClient();
        using var answer = await http.PostAsync(Host(upstream) + "/api/users", Body(call));
        return Answered();
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-declared-path")]
    public static async Task<ChatCompletionResponse> SendsToADeclaredPath(
        ChatCompletionRequest request, LlmCall call, [FromServices] SeenUpstream upstream)
    {
        using var http = new HttpClient();
        using var answer = await http.PostAsync(Host(upstream) + DeclaredPath, Body(call));
        return Answered();
    }

    [TracedLlmRoute("POST", "/v1/chat/completions/gap-declared-client")]
    public static async Task<ChatCompletionResponse> SendsThroughADeclaredClient(
        ChatCompletionRequest request, LlmCall call, IHttpClientFactory clients, [FromServices] SeenUpstream upstream)
    {
        // To the stub's own address (127.0.0.1): its host and operation are not the declared path's.
        var client = clients.CreateClient(DeclaredClient);
        using var answer = await client.PostAsync(upstream.Address + "/api/tasks", Body(call));
        return Answered();
    }

    private static StringContent Body(LlmCall call) =>
        new(Encoding.UTF8.GetString(call.UpstreamBody.Span), Encoding.UTF8, "application/json");

    private static ChatCompletionResponse Answered() => new()
    {
        Id = "gap-1",
        Model = "gpt",
        Choices =
        [
            new ChatChoice { Message = new ChatResponseMessage { Content = "answered" }, FinishReason = "stop" },
        ],
        Usage = new ChatUsage(),
    };
}
