using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Gateway.Fixture;

/// <summary>
/// One Azure OpenAI (or OpenAI-compatible) backend, as the load balancer's BACKEND_n settings describe it.
/// </summary>
public sealed class BackendConfig
{
    public required string Id { get; init; }

    public required string Url { get; init; }

    /// <summary>The deployment to call on this backend; null to keep the one the client named.</summary>
    public string? DeploymentName { get; init; }

    /// <summary>Lower is preferred; backends of one priority share the load at random.</summary>
    public int Priority { get; init; }

    public required string ApiKey { get; init; }

    /// <summary>The models this backend serves on the OpenAI-compatible route (its model group).</summary>
    public IReadOnlyList<string> Models { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The model group to fall back to when every deployment of this backend's group failed (LiteLLM's fallbacks).
    /// </summary>
    public string? FallbackModel { get; init; }
}

/// <summary>
/// Passive health from the backends' own answers, the load balancer's throttling rule: a 429 or 5xx
/// takes a backend out for its Retry-After (else x-ratelimit-reset-requests, else
/// x-ratelimit-reset-tokens, else 10 s); a backend that cannot be reached, for 10 s.
/// </summary>
public sealed class BackendHealth(TimeProvider clock)
{
    public static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _unhealthyUntil = new(
        StringComparer.OrdinalIgnoreCase);

    public bool IsHealthy(string backendId) =>
        !_unhealthyUntil.TryGetValue(backendId, out var until) || until <= clock.GetUtcNow();

    public void MarkUnhealthy(string backendId, TimeSpan pause) =>
        _unhealthyUntil[backendId] = clock.GetUtcNow() + pause;

    /// <summary>Reads a backend's answer: throttled or failing takes it out for as long as it asks.</summary>
    public void Update(string backendId, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is 429 or >= 500)
        {
            MarkUnhealthy(backendId, Pause(response.Headers) ?? DefaultPause);
        }
    }

    private static TimeSpan? Pause(HttpResponseHeaders headers)
    {
        foreach (var name in new[] { "Retry-After", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens" })
        {
            if (headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }
}

/// <summary>
/// Picks the backend for the next try, as the load balancer's PickOneDestination does: the healthy
/// backends of the best priority, one of them at random; when none is healthy, any one at random.
/// </summary>
public sealed class BackendRouter(
    IReadOnlyList<BackendConfig> backends,
    BackendHealth health,
    ILogger<BackendRouter> logger)
{
    public IReadOnlyList<BackendConfig> Backends => backends;

    public BackendHealth Health => health;

    public BackendConfig Get(string id) =>
        backends.First(b => string.Equals(b.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True when some backend serves <paramref name="model"/> (null: any backend, the deployment route).
    /// </summary>
    public bool Serves(string? model) => Candidates(model).Any();

    public int HealthyCount(string? model = null) => Candidates(model).Count(b => health.IsHealthy(b.Id));

    public BackendConfig PickOneBackend(string? model = null)
    {
        var candidates = Candidates(model).ToList();
        var selectedPriority = int.MaxValue;
        var available = new List<BackendConfig>();
        foreach (var backend in candidates)
        {
            if (!health.IsHealthy(backend.Id))
            {
                continue;
            }

            if (backend.Priority < selectedPriority)
            {
                selectedPriority = backend.Priority;
                available.Clear();
                available.Add(backend);
            }
            else if (backend.Priority == selectedPriority)
            {
                available.Add(backend);
            }
        }

        if (available.Count > 0)
        {
            return available[Random.Shared.Next(available.Count)];
        }

        logger.LogWarning("All backends are unhealthy. Picking a random backend...");
        return candidates[Random.Shared.Next(candidates.Count)];
    }

    private IEnumerable<BackendConfig> Candidates(string? model) =>
        model is null ? backends : backends.Where(b => b.Models.Contains(model, StringComparer.OrdinalIgnoreCase));
}
