using System;
using Microsoft.Extensions.Configuration;

namespace TracedLlm.Samples.Gateway.Providers;

/// <summary>
/// The gateway's upstream policy from configuration (environment variables use <c>__</c> for <c>:</c>):
/// retries (<c>Retry:*</c>), timeouts, the response limit and the circuit breaker (<c>Upstream:*</c>).
/// Out-of-range values stop the gateway at startup with a message that names the setting.
/// </summary>
public static class UpstreamSettings
{
    /// <summary>Builds the one policy every request shares.</summary>
    /// <param name="configuration">The gateway's configuration.</param>
    /// <param name="defaultRetries">Retries when <c>Retry:MaxRetries</c> is not set.</param>
    public static LlmRetryPolicy Policy(IConfiguration configuration, int defaultRetries)
    {
        var breaker = configuration.GetSection("Upstream:CircuitBreaker");
        return new LlmRetryPolicy
        {
            MaxRetries = configuration.GetValue("Retry:MaxRetries", defaultRetries),
            BaseDelay = Milliseconds(configuration, "Retry:BaseDelayMs", 200),
            MaxRetryAfter = Milliseconds(configuration, "Retry:MaxRetryAfterMs", 30_000),
            AttemptTimeout = OptionalMilliseconds(configuration, "Upstream:TimeoutMs", 100_000),
            TotalTimeout = OptionalMilliseconds(configuration, "Upstream:TotalTimeoutMs", 600_000),
            MaxResponseBytes = configuration.GetValue("Upstream:MaxResponseBytes", LlmRetryPolicy.DefaultMaxResponseBytes),
            CircuitBreaker = !breaker.GetValue("Enabled", true) ? null : new LlmCircuitBreaker
            {
                FailureRatio = breaker.GetValue("FailureRatio", 0.5),
                MinimumThroughput = breaker.GetValue("MinimumThroughput", 10),
                SamplingDuration = Milliseconds(breaker, "SamplingDurationMs", 30_000),
                BreakDuration = Milliseconds(breaker, "BreakDurationMs", 30_000),
            },
        };
    }

    private static TimeSpan Milliseconds(IConfiguration configuration, string key, int defaultValue) =>
        TimeSpan.FromMilliseconds(configuration.GetValue(key, defaultValue));

    // 0 turns the timeout off.
    private static TimeSpan? OptionalMilliseconds(IConfiguration configuration, string key, int defaultValue) =>
        configuration.GetValue(key, defaultValue) is > 0 and var value ? TimeSpan.FromMilliseconds(value) : null;
}
