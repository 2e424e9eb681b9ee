using System;

namespace TracedLlm;

/// <summary>A circuit breaker per upstream target (<see cref="LlmRetryPolicy.CircuitBreaker"/>).</summary>
/// <remarks>
/// When at least <see cref="FailureRatio"/> of the last <see cref="SamplingDuration"/>'s attempts on a target failed
/// (and there were at least <see cref="MinimumThroughput"/>), the target is not called for <see cref="BreakDuration"/>;
/// its attempts fail at once with <see cref="UpstreamCircuitOpenException"/> and the call falls back. Then one trial
/// attempt decides whether it closes again. Polly's circuit breaker.
/// </remarks>
public sealed class LlmCircuitBreaker
{
    private readonly double _failureRatio = 0.5;
    private readonly int _minimumThroughput = 10;
    private readonly TimeSpan _samplingDuration = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _breakDuration = TimeSpan.FromSeconds(30);

    /// <summary>The share of failed attempts that opens the circuit, above 0 and at most 1. Default 0.5.</summary>
    public double FailureRatio
    {
        get => _failureRatio;
        init =>
            _failureRatio = value is > 0 and <= 1
                ? value
                : throw new ArgumentOutOfRangeException(
                    nameof(FailureRatio),
                    value,
                    "The failure ratio must be above 0 and at most 1.");
    }

    /// <summary>
    /// The fewest attempts in <see cref="SamplingDuration"/> before the ratio counts, at least 2. Default 10.
    /// </summary>
    public int MinimumThroughput
    {
        get => _minimumThroughput;
        init =>
            _minimumThroughput =
                value >= 2
                    ? value
                    : throw new ArgumentOutOfRangeException(
                        nameof(MinimumThroughput),
                        value,
                        "The minimum throughput must be at least 2.");
    }

    /// <summary>The window the failure ratio is measured over, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan SamplingDuration
    {
        get => _samplingDuration;
        init =>
            _samplingDuration =
                value >= TimeSpan.FromMilliseconds(500) && value <= TimeSpan.FromDays(1)
                    ? value
                    : throw new ArgumentOutOfRangeException(
                        nameof(SamplingDuration),
                        value,
                        "The sampling duration must be between 0.5 s and one day.");
    }

    /// <summary>How long an open circuit stays open, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan BreakDuration
    {
        get => _breakDuration;
        init =>
            _breakDuration =
                value >= TimeSpan.FromMilliseconds(500) && value <= TimeSpan.FromDays(1)
                    ? value
                    : throw new ArgumentOutOfRangeException(
                        nameof(BreakDuration),
                        value,
                        "The break duration must be between 0.5 s and one day.");
    }

    /// <summary>
    /// Which failures count against the target. Default: <see cref="LlmRetryPolicy.IsTransient"/> (timeouts, connection
    /// failures, 408, 429, 5xx).
    /// </summary>
    public Func<Exception, bool> CountsAsFailure { get; init; } = LlmRetryPolicy.IsTransient;
}
