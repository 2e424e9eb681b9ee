using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// Which provider a request goes to, and where it falls back: the OpenAI-compatible upstream when
/// one is configured (retried on transient failures, then falling back to the embedded provider),
/// else the embedded provider alone. Every attempt is an <see cref="LlmAttempt"/> with its own span.
/// </summary>
public sealed class ProviderRouter
{
    private readonly IReadOnlyList<IChatProvider> _providers;
    private readonly IChatProvider _primary;
    private readonly string? _modelOverride;
    private readonly LlmRetryPolicy _policy;

    private readonly HashSet<string>? _allowedModels;

    /// <summary>Creates the router: the first provider is the primary, the others are fallbacks in order.</summary>
    /// <param name="providers">The providers, primary first.</param>
    /// <param name="retry">How transient failures are retried (the policy's other settings keep their defaults).</param>
    /// <param name="modelOverride">A model to send upstream instead of the client's, or null.</param>
    /// <param name="allowedModels">The models clients may ask for; null or empty allows any.</param>
    public ProviderRouter(IReadOnlyList<IChatProvider> providers, RetrySettings retry, string? modelOverride = null, IReadOnlyCollection<string>? allowedModels = null)
        : this(providers, new LlmRetryPolicy { MaxRetries = retry.MaxRetries, BaseDelay = retry.BaseDelay }, modelOverride, allowedModels)
    {
    }

    /// <summary>Creates the router with the upstream policy every request shares (its circuits included).</summary>
    /// <param name="providers">The providers, primary first.</param>
    /// <param name="policy">Retries, timeouts, circuit breaker and response limit; its own fallbacks are not used (the providers after the first are).</param>
    /// <param name="modelOverride">A model to send upstream instead of the client's, or null.</param>
    /// <param name="allowedModels">The models clients may ask for; null or empty allows any.</param>
    public ProviderRouter(IReadOnlyList<IChatProvider> providers, LlmRetryPolicy policy, string? modelOverride = null, IReadOnlyCollection<string>? allowedModels = null)
    {
        _allowedModels = allowedModels is { Count: > 0 } ? new HashSet<string>(allowedModels, StringComparer.Ordinal) : null;
        _providers = providers;
        _primary = providers[0];
        _policy = policy;
        _modelOverride = string.IsNullOrEmpty(modelOverride) ? null : modelOverride;
    }

    /// <summary>The relay to the upstream, when the gateway relays (<c>Upstream:BaseUrl</c> set, <c>Upstream:Relay</c> not false); else null and the typed providers answer.</summary>
    public UpstreamRelay? Relay { get; init; }

    /// <summary>The model a relayed request asks for (the body goes upstream as the client sent it), once it is checked against the allowed models.</summary>
    public string Model(ProviderRequest request)
    {
        CheckAllowed(request);
        return request.Model;
    }

    /// <summary>Completes a request with retries and fallbacks.</summary>
    public Task<ProviderReply> CompleteAsync(LlmCall call, ProviderRequest request) =>
        call.ExecuteAsync(Primary(request), Fallbacks(request), _policy, (attempt, ct) => Provider(attempt).CompleteAsync(For(request, attempt), attempt, ct));

    /// <summary>Streams a request with retries and fallbacks before the first chunk.</summary>
    public IAsyncEnumerable<ProviderDelta> StreamAsync(LlmCall call, ProviderRequest request) =>
        call.StreamAsync(Primary(request), Fallbacks(request), _policy, (attempt, ct) => Provider(attempt).StreamAsync(For(request, attempt), attempt, ct));

    private LlmTarget Primary(ProviderRequest request)
    {
        CheckAllowed(request);
        return new(_primary.Name, _modelOverride ?? request.Model);
    }

    private void CheckAllowed(ProviderRequest request)
    {
        if (_allowedModels is not null && !_allowedModels.Contains(request.Model))
        {
            throw new InvalidLlmRequestException($"The model '{request.Model}' does not exist on this gateway.", statusCode: 404, code: "model_not_found");
        }
    }

    // The fallbacks answer with the client's own model (the override is the primary's).
    private IReadOnlyList<LlmTarget> Fallbacks(ProviderRequest request)
    {
        if (_providers.Count == 1)
        {
            return Array.Empty<LlmTarget>();
        }

        var fallbacks = new LlmTarget[_providers.Count - 1];
        for (var i = 1; i < _providers.Count; i++)
        {
            fallbacks[i - 1] = new LlmTarget(_providers[i].Name, request.Model);
        }

        return fallbacks;
    }

    private IChatProvider Provider(LlmAttempt attempt)
    {
        foreach (var provider in _providers)
        {
            if (provider.Name == attempt.Target.Provider)
            {
                return provider;
            }
        }

        throw new InvalidOperationException($"No provider is named '{attempt.Target.Provider}'.");
    }

    private static ProviderRequest For(ProviderRequest request, LlmAttempt attempt) =>
        attempt.Target.Model == request.Model ? request : request with { Model = attempt.Target.Model, ForwardBody = null };
}

/// <summary>How upstream failures are retried.</summary>
public sealed record RetrySettings(int MaxRetries, TimeSpan BaseDelay);
