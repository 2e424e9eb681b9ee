using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using Polly;

namespace TracedLlm;

/// <summary>
/// How upstream attempts run: retries, timeouts, fallbacks, a circuit breaker per target and the
/// response size limit, on a Polly resilience pipeline. Each target is tried up to
/// <see cref="MaxRetries"/> + 1 times with exponential backoff (or the upstream's <c>Retry-After</c>)
/// while its failures are retryable; then the next fallback is tried; a failure that neither retries
/// nor falls back ends the call at once. A client that went away is never retried.
/// </summary>
/// <remarks>
/// Create a policy once and reuse it: it keeps its built pipelines and, with
/// <see cref="CircuitBreaker"/>, each target's circuit state. A policy made per request works, but
/// builds its pipelines (and forgets its circuits) every time.
/// </remarks>
public sealed class LlmRetryPolicy
{
    /// <summary>The default <see cref="MaxResponseBytes"/>: 32 MiB.</summary>
    public const long DefaultMaxResponseBytes = 32L * 1024 * 1024;

    // Distinct targets that get a circuit of their own; later ones share their provider's. Models
    // often come from clients, so a circuit per target must not grow without bound.
    internal const int MaxTargetCircuits = 1024;

    private readonly ConcurrentDictionary<LlmTarget, UpstreamPipeline> _pipelines = new();
    private readonly ConcurrentDictionary<string, UpstreamPipeline> _overflowPipelines = new(StringComparer.Ordinal);
    private UpstreamPipeline? _sharedPipeline;
    private readonly int _maxRetries;
    private readonly int _maxAttempts = 10;
    private readonly TimeSpan _baseDelay = TimeSpan.FromMilliseconds(200);
    private readonly TimeSpan _maxDelay = TimeSpan.FromSeconds(5);
    private readonly TimeSpan? _attemptTimeout = TimeSpan.FromSeconds(100);
    private readonly TimeSpan? _totalTimeout = TimeSpan.FromMinutes(10);
    private readonly TimeSpan _maxRetryAfter = TimeSpan.FromSeconds(30);
    private readonly long _maxResponseBytes = DefaultMaxResponseBytes;

    /// <summary>
    /// No retries, no fallbacks, no circuit breaker: one attempt (with the default timeouts and size limit).
    /// </summary>
    public static LlmRetryPolicy None { get; } = new();

    /// <summary>Retries per target after the first attempt. Default 0.</summary>
    public int MaxRetries
    {
        get => _maxRetries;
        init =>
            _maxRetries =
                value >= 0
                    ? value
                    : throw new ArgumentOutOfRangeException(nameof(MaxRetries), value, "Retries cannot be negative.");
    }

    /// <summary>
    /// The most attempts one call makes when the gateway chooses its targets
    /// (<c>LlmCall.ExecuteAsync(chooseTarget, ...)</c>), retries and fallbacks together: a chooser that
    /// keeps answering is not asked past it. At least 1. Default 10. (With fixed targets the count is
    /// bounded by the targets and <see cref="MaxRetries"/>.)
    /// </summary>
    public int MaxAttempts
    {
        get => _maxAttempts;
        init =>
            _maxAttempts =
                value >= 1
                    ? value
                    : throw new ArgumentOutOfRangeException(
                        nameof(MaxAttempts),
                        value,
                        "A call makes at least one attempt.");
    }

    /// <summary>The first backoff; it doubles on each retry, up to <see cref="MaxDelay"/>. Default 200 ms.</summary>
    public TimeSpan BaseDelay
    {
        get => _baseDelay;
        init => _baseDelay = InRange(value, TimeSpan.Zero, nameof(BaseDelay));
    }

    /// <summary>The longest backoff. Default 5 s.</summary>
    public TimeSpan MaxDelay
    {
        get => _maxDelay;
        init => _maxDelay = InRange(value, TimeSpan.Zero, nameof(MaxDelay));
    }

    /// <summary>
    /// Spreads the backoff randomly around its exponential value (Polly's decorrelated jitter), so that clients failing
    /// together do not retry together. Default true.
    /// </summary>
    public bool UseJitter { get; init; } = true;

    /// <summary>
    /// The longest <c>Retry-After</c> (or <c>retry-after-ms</c>) the policy waits for. An upstream that
    /// asks for longer is not retried (its target falls back, or the call fails with its answer): it
    /// said it would not be ready in time. Within it, the upstream's wait replaces the backoff. Default 30 s.
    /// </summary>
    public TimeSpan MaxRetryAfter
    {
        get => _maxRetryAfter;
        init => _maxRetryAfter = InRange(value, TimeSpan.Zero, nameof(MaxRetryAfter));
    }

    /// <summary>
    /// How long one attempt may take: a whole answer, or, for a stream, the first chunk and then each
    /// gap between chunks. A timed-out attempt fails with <see cref="UpstreamTimeoutException"/> and is
    /// retried. Null for none. Default 100 s (<see cref="HttpClient.Timeout"/>'s default, so nothing
    /// that answered before times out now).
    /// </summary>
    public TimeSpan? AttemptTimeout
    {
        get => _attemptTimeout;
        init =>
            _attemptTimeout = value is { } timeout
                ? InRange(timeout, TimeSpan.FromMilliseconds(10), nameof(AttemptTimeout))
                : null;
    }

    /// <summary>
    /// The deadline of the whole upstream call, every retry, fallback and backoff included (and for a
    /// stream, the whole stream). When it runs out the call fails with <see cref="UpstreamTimeoutException"/>
    /// (504 <c>upstream_timeout</c>). Null for none. Default 10 minutes (the OpenAI SDKs' default request timeout).
    /// </summary>
    public TimeSpan? TotalTimeout
    {
        get => _totalTimeout;
        init =>
            _totalTimeout = value is { } timeout
                ? InRange(timeout, TimeSpan.FromMilliseconds(10), nameof(TotalTimeout))
                : null;
    }

    /// <summary>
    /// The most bytes an attempt reads of an upstream response body (a stream's included), through
    /// <see cref="UpstreamHttp"/> and <see cref="LlmAttempt.MaxResponseBytes"/>. Beyond it the attempt
    /// fails with <see cref="UpstreamResponseTooLargeException"/> (502). Default 32 MiB: a 128k-token
    /// stream of about 250-byte chunks fits.
    /// </summary>
    public long MaxResponseBytes
    {
        get => _maxResponseBytes;
        init =>
            _maxResponseBytes =
                value > 0
                    ? value
                    : throw new ArgumentOutOfRangeException(
                        nameof(MaxResponseBytes),
                        value,
                        "The response limit must be positive.");
    }

    /// <summary>A circuit breaker per target, or null for none (the default).</summary>
    public LlmCircuitBreaker? CircuitBreaker { get; init; }

    /// <summary>Targets tried in order once the previous one is exhausted (unless the call names its own).</summary>
    public IReadOnlyList<LlmTarget> Fallbacks { get; init; } = Array.Empty<LlmTarget>();

    /// <summary>
    /// Which failures are worth another attempt on the same target. Default: <see cref="IsTransient"/>.
    /// </summary>
    public Func<Exception, bool> IsRetryable { get; init; } = IsTransient;

    /// <summary>
    /// Which failures, once retries are spent, are worth trying the next fallback. Default:
    /// <see cref="IsUpstreamFault"/>.
    /// </summary>
    public Func<Exception, bool> ShouldFallBack { get; init; } = IsUpstreamFault;

    /// <summary>Timeouts, connection failures, a cut-off response, and 408, 429 and 5xx from upstream.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        UpstreamCircuitOpenException => false,
        UpstreamTimeoutException or UpstreamUnreachableException => true,
        UpstreamBadResponseException bad => bad.Truncated,
        UpstreamResponseTooLargeException => false,
        UpstreamException upstream => upstream.UpstreamStatusCode is 408 or 429 or >= 500 or 0,
        HttpRequestException or TimeoutException or IOException => true,
        _ => false,
    };

    /// <summary>
    /// A failure of the upstream rather than of the client's request: everything <see cref="IsTransient"/>,
    /// a bad or too large response, an open circuit, and 401/403 (the gateway's own upstream credentials).
    /// Not 400, 404, 413, 422 and the like: another provider would refuse the same request.
    /// </summary>
    public static bool IsUpstreamFault(Exception exception) => IsTransient(exception) || exception switch
    {
        UpstreamBadResponseException or UpstreamResponseTooLargeException or UpstreamCircuitOpenException => true,
        UpstreamException upstream => upstream.UpstreamStatusCode is 401 or 403,
        _ => false,
    };

    /// <summary>The backoff before retry number <paramref name="retry"/> (1-based), without jitter.</summary>
    public TimeSpan DelayBefore(int retry)
    {
        var delay = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1));
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelay.TotalMilliseconds));
    }

    /// <summary>
    /// The target's pipeline, with the fallback strategy when the call can still fall back: built
    /// once, with its own circuit when there is a breaker.
    /// </summary>
    internal ResiliencePipeline<object?> PipelineFor(LlmTarget target, bool canFallBack) =>
        PipelinesFor(target).For(canFallBack);

    private UpstreamPipeline PipelinesFor(LlmTarget target)
    {
        if (CircuitBreaker is null)
        {
            return _sharedPipeline ??= UpstreamPipeline.Build(this);
        }

        if (_pipelines.TryGetValue(target, out var pipeline))
        {
            return pipeline;
        }

        return _pipelines.Count < MaxTargetCircuits
            ? _pipelines.GetOrAdd(target, static (_, policy) => UpstreamPipeline.Build(policy), this)
            : _overflowPipelines.GetOrAdd(target.Provider, static (_, policy) => UpstreamPipeline.Build(policy), this);
    }

    private static TimeSpan InRange(TimeSpan value, TimeSpan minimum, string name) =>
        value >= minimum && value <= TimeSpan.FromDays(1)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {minimum} and one day.");
}
