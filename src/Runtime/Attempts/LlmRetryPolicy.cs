using System;
using System.Collections.Generic;
using System.Net.Http;

namespace TracedLlm;

/// <summary>
/// How upstream attempts are retried and where they fall back. Each target is tried up to
/// <see cref="MaxRetries"/> + 1 times with exponential backoff while its failures are retryable;
/// then the next fallback is tried; a failure that is not retryable ends the call at once.
/// </summary>
public sealed class LlmRetryPolicy
{
    /// <summary>No retries, no fallbacks: one attempt.</summary>
    public static LlmRetryPolicy None { get; } = new();

    /// <summary>Retries per target after the first attempt. Default 0.</summary>
    public int MaxRetries { get; init; }

    /// <summary>The first backoff; it doubles on each retry, up to <see cref="MaxDelay"/>. Default 200 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff. Default 5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Targets tried in order once the previous one is exhausted.</summary>
    public IReadOnlyList<LlmTarget> Fallbacks { get; init; } = Array.Empty<LlmTarget>();

    /// <summary>Which failures are worth another attempt. Default: <see cref="IsTransient"/>.</summary>
    public Func<Exception, bool> IsRetryable { get; init; } = IsTransient;

    /// <summary>429, 408 and 5xx from upstream, connection failures and timeouts.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        UpstreamException upstream => upstream.UpstreamStatusCode is 408 or 429 or >= 500 or 0,
        HttpRequestException or TimeoutException => true,
        _ => false,
    };

    /// <summary>The backoff before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        var delay = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1));
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelay.TotalMilliseconds));
    }
}
