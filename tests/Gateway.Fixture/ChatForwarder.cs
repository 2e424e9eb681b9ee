using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Gateway.Fixture;

/// <summary>
/// Sends a chat request to the backends, trying the next one after a throttled or failing answer.
/// Two loops, as two real proxies wrote them: the load balancer's own while-loop (each try an
/// attempt the gateway opens on the backend it just picked), and a policy-run call that asks the
/// router for the next backend after each failure.
/// </summary>
public sealed class ChatForwarder(BackendRouter router, IHttpClientFactory httpClients)
{
    public const string AzureProvider = "azure.ai.openai";
    public const string AzureApiVersion = "2024-10-21";

    /// <summary>
    /// The policy of the OpenAI-compatible route: the router decides the backends, the policy bounds each try.
    /// </summary>
    public static readonly LlmRetryPolicy Policy = new()
    {
        MaxRetries = 1,
        BaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(30),
        TotalTimeout = TimeSpan.FromSeconds(60),
        MaxAttempts = 5,
    };

    /// <summary>A policy whose circuit breaker (not the gateway's health) keeps a failing backend out.</summary>
    public static readonly LlmRetryPolicy BreakerPolicy = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(30),
        CircuitBreaker = new LlmCircuitBreaker
        {
            MinimumThroughput = 2,
            FailureRatio = 0.5,
            BreakDuration = TimeSpan.FromSeconds(30)
        },
    };

    /// <summary>What the chooser of <see cref="CompleteByPriorityAsync"/> was told, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<LlmAttemptFailure> ChooserHeard { get; } = new();

    /// <summary>
    /// The backends in priority order, whatever their health: the next one after each failure, the
    /// policy's circuit breaker deciding which are called at all.
    /// </summary>
    public Task<IResult> CompleteByPriorityAsync(LlmCall call, string model) =>
        call.ExecuteAsync(failed => NextByPriority(failed, model), BreakerPolicy, async (attempt, cancellationToken) =>
            Results.Content(await SendAsync(call, attempt, cancellationToken), "application/json", Encoding.UTF8));

    /// <summary>
    /// The backends in priority order as a fixed list, the policy's circuit breaker keeping a failing one
    /// out: the first as the primary and, unless <paramref name="fallBack"/> is false, the rest as its fallbacks.
    /// </summary>
    public Task<IResult> CompleteFromListAsync(LlmCall call, string model, bool fallBack)
    {
        var targets = router.Backends
            .Where(b => b.Models.Contains(model, StringComparer.OrdinalIgnoreCase))
            .OrderBy(b => b.Priority)
            .Select(b => Target(b, model))
            .ToArray();
        return call.ExecuteAsync(
            targets[0],
            fallBack ? targets[1..] : Array.Empty<LlmTarget>(),
            BreakerPolicy,
            async (attempt, cancellationToken) =>
                Results.Content(await SendAsync(call, attempt, cancellationToken), "application/json", Encoding.UTF8));
    }

    private LlmTarget? NextByPriority(LlmAttemptFailure? failed, string model)
    {
        var ordered = router.Backends
            .Where(b => b.Models.Contains(model, StringComparer.OrdinalIgnoreCase))
            .OrderBy(b => b.Priority)
            .ToList();
        if (failed is null)
        {
            return Target(ordered[0], model);
        }

        ChooserHeard.Enqueue(failed);
        var next = ordered.FindIndex(b => b.Id == failed.Target.BackendId) + 1;
        return next < ordered.Count ? Target(ordered[next], model) : null;
    }

    /// <summary>
    /// The load balancer's retry loop: pick the best healthy backend, forward, read its health from
    /// the answer; retry on 429 or 5xx while any backend is healthy. When none is, the last answer
    /// goes back to the client as it came: its status, body and Retry-After.
    /// </summary>
    public async Task<IResult> ForwardAsync(LlmCall call, string deploymentName)
    {
        var http = httpClients.CreateClient(nameof(ChatForwarder));
        while (true)
        {
            var backend = router.PickOneBackend();
            var deployment = backend.DeploymentName ?? deploymentName;
            using var attempt = call.StartAttempt(Target(backend, deployment));
            if (BaseUrl(backend) is null)
            {
                // A backend whose URL cannot be built on is skipped, as LLMProxy's loop skips one: no request
                // went out (the attempt is abandoned) and it stays out until the configuration is fixed.
                router.Health.MarkUnhealthy(backend.Id, TimeSpan.FromDays(1));
                if (router.HealthyCount() > 0)
                {
                    continue;
                }

                return Results.Problem(
                    statusCode: StatusCodes.Status502BadGateway,
                    title: "No backend is configured correctly.");
            }

            using var request = Request(
                backend,
                $"/openai/deployments/{deployment}/chat/completions?api-version={AzureApiVersion}",
                call.UpstreamBody);
            attempt.ApplyTraceContext(request);

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, call.CancellationToken);
            }
            catch (HttpRequestException unreachable)
            {
                attempt.Fail(unreachable);
                router.Health.MarkUnhealthy(backend.Id, BackendHealth.DefaultPause);
                if (router.HealthyCount() > 0)
                {
                    continue;
                }

                return Results.Problem(
                    statusCode: StatusCodes.Status502BadGateway,
                    title: "No backend could be reached.");
            }

            using (response)
            {
                router.Health.Update(backend.Id, response);
                var answer = await response.Content.ReadAsStringAsync(call.CancellationToken);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    RecordAnswer(call, attempt, answer);
                    attempt.Succeed();
                    return Results.Content(answer, "application/json", Encoding.UTF8);
                }

                attempt.Fail(
                    new UpstreamException(status, $"Backend {backend.Id} answered {status}.")
                    {
                        RetryAfter = UpstreamHttp.GetRetryAfter(response)
                    });
                if (status is 429 or >= 500 && router.HealthyCount() > 0)
                {
                    continue;
                }

                if (response.Headers.RetryAfter is { } retryAfter)
                {
                    call.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString();
                }

                return Results.Content(answer, "application/json", Encoding.UTF8, status);
            }
        }
    }

    /// <summary>
    /// The OpenAI-compatible route's call: the policy runs the tries, the router chooses each
    /// backend, and hears of every failure first so that its health is current when it chooses.
    /// </summary>
    public Task<IResult> CompleteAsync(LlmCall call, string model) =>
        call.ExecuteAsync(failed => NextTarget(failed, model), Policy, async (attempt, cancellationToken) =>
        {
            var answer = await SendAsync(call, attempt, cancellationToken);
            RecordAnswer(call, attempt, answer);
            return Results.Content(answer, "application/json", Encoding.UTF8);
        });

    /// <summary>
    /// LiteLLM's terms on the same backends: the client's model names a model group, and another
    /// deployment of the group after a failure is a retry (the gateway says so: a different backend
    /// would otherwise be counted a fallback); the deployments of the group's fallback
    /// (<see cref="BackendConfig.FallbackModel"/>) are fallbacks. The loop walks each group by
    /// priority over its healthy deployments, marks health from each failure, and ends with the last
    /// failure when none is left.
    /// </summary>
    public async Task<IResult> CompleteInModelGroupsAsync(LlmCall call, string model)
    {
        var groups = new List<string> { model };
        if (router.Backends
                .FirstOrDefault(b => b.Models.Contains(model, StringComparer.OrdinalIgnoreCase))
                ?.FallbackModel is
            { } fallback)
        {
            groups.Add(fallback);
        }

        Exception? last = null;
        foreach (var group in groups)
        {
            var deployments = router.Backends
                .Where(b =>
                    b.Models.Contains(group, StringComparer.OrdinalIgnoreCase) && router.Health.IsHealthy(b.Id))
                .OrderBy(b => b.Priority)
                .ToList();
            foreach (var backend in deployments)
            {
                var kind =
                    last is null ? AttemptKind.Initial
                    : group == model ? AttemptKind.Retry
                    : AttemptKind.Fallback;
                using var attempt = call.StartAttempt(Target(backend, group), kind);
                try
                {
                    var answer = await SendAsync(call, attempt, call.CancellationToken);
                    RecordAnswer(call, attempt, answer);
                    attempt.Succeed();
                    return Results.Content(answer, "application/json", Encoding.UTF8);
                }
                catch (Exception failure) when (failure is HttpRequestException or UpstreamException)
                {
                    // Throttled, failing or unreachable: the next deployment; any other answer is the client's.
                    attempt.Fail(failure);
                    if (failure is UpstreamException { UpstreamStatusCode: not (429 or >= 500) })
                    {
                        throw;
                    }

                    router.Health.MarkUnhealthy(
                        backend.Id,
                        (failure as UpstreamException)?.RetryAfter ?? BackendHealth.DefaultPause);
                    last = failure;
                }
            }
        }

        throw last ?? new UpstreamUnavailableException($"No healthy deployment serves '{model}'.");
    }

    /// <summary>
    /// One try on the attempt's backend: an error status is the <see cref="UpstreamException"/> the policy and the
    /// chooser read.
    /// </summary>
    private async Task<string> SendAsync(LlmCall call, LlmAttempt attempt, CancellationToken cancellationToken)
    {
        var backend = router.Get(attempt.Target.BackendId!);
        using var request = Request(backend, "/v1/chat/completions", call.UpstreamBody);
        using var response = await UpstreamHttp.SendAsync(
            httpClients.CreateClient(nameof(ChatForwarder)),
            request,
            attempt,
            cancellationToken);
        return Encoding.UTF8.GetString(
            (await UpstreamHttp.ReadBodyAsync(response, attempt.MaxResponseBytes, cancellationToken)).Span);
    }

    /// <summary>The streamed call: the same choice of backends, until one sends its first chunk.</summary>
    public IAsyncEnumerable<JsonElement> StreamAsync(LlmCall call, string model) =>
        call.StreamAsync(
            failed => NextTarget(failed, model),
            Policy,
            (attempt, cancellationToken) => StreamFromAsync(call, attempt, cancellationToken));

    private async IAsyncEnumerable<JsonElement> StreamFromAsync(
        LlmCall call,
        LlmAttempt attempt,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var backend = router.Get(attempt.Target.BackendId!);
        using var request = Request(backend, "/v1/chat/completions", call.UpstreamBody);
        using var response = await UpstreamHttp.SendAsync(
            httpClients.CreateClient(nameof(ChatForwarder)),
            request,
            attempt,
            cancellationToken);
        var events = UpstreamHttp.ReadEventsAsync(
            response,
            static (_, data) =>
                data.SequenceEqual("[DONE]"u8) ? default : JsonDocument.Parse(data.ToArray()).RootElement.Clone(),
            attempt.MaxResponseBytes,
            cancellationToken);
        await foreach (var item in events)
        {
            if (item.Data.ValueKind == JsonValueKind.Undefined)
            {
                yield break;
            }

            yield return item.Data;
        }

        throw UpstreamHttp.Truncated();
    }

    /// <summary>
    /// The router's choice after <paramref name="failed"/> (null before the first try): a healthy
    /// backend of the model group, or null when there is none left, as the proxy's
    /// GetNextBackendAndKeyForModel answers.
    /// </summary>
    private LlmTarget? NextTarget(LlmAttemptFailure? failed, string model)
    {
        if (failed is not null
            && (failed.StatusCode is 429 or >= 500
                || failed.Exception is UpstreamUnreachableException or UpstreamTimeoutException))
        {
            router.Health.MarkUnhealthy(failed.Target.BackendId!, failed.RetryAfter ?? BackendHealth.DefaultPause);
        }

        return router.HealthyCount(model) == 0 ? null : Target(router.PickOneBackend(model), model);
    }

    private static LlmTarget Target(BackendConfig backend, string model) =>
        new(AzureProvider, model) { BackendId = backend.Id, Endpoint = BaseUrl(backend) };

    /// <summary>
    /// The backend's URL when it is one requests can be sent to (absolute, http or https), else null.
    /// </summary>
    private static Uri? BaseUrl(BackendConfig backend) =>
        Uri.TryCreate(backend.Url, UriKind.Absolute, out var url)
        && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : null;

    private static HttpRequestMessage Request(BackendConfig backend, string path, ReadOnlyMemory<byte> body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, backend.Url.TrimEnd('/') + path)
        {
            Content = new ReadOnlyMemoryContent(body)
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") }
            },
        };
        request.Headers.Add("api-key", backend.ApiKey);
        return request;
    }

    /// <summary>The answer's model and usage, on the attempt and the request's generation.</summary>
    private static void RecordAnswer(LlmCall call, LlmAttempt attempt, string answer)
    {
        using var json = JsonDocument.Parse(answer);
        var root = json.RootElement;
        var model = root.TryGetProperty("model", out var m) ? m.GetString() : null;
        if (root.TryGetProperty("usage", out var usage))
        {
            var input = usage.GetProperty("prompt_tokens").GetInt64();
            var output = usage.GetProperty("completion_tokens").GetInt64();
            attempt.RecordResponse(model, input, output);
            call.RecordUsage(input, output);
        }

        call.RecordResponse(model, root.TryGetProperty("id", out var id) ? id.GetString() : null);
    }
}
