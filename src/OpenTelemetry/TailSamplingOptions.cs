using System;
using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// Request-scoped tail sampling, off by default (<see cref="TailSamplingProcessor"/>), decided when the request's first
/// span in this process ends.
/// </summary>
/// <remarks>
/// That span is the TracedLlm server span, or ASP.NET Core's request span around it, so the decision knows how the
/// request went. A request is always kept when any of its spans failed (status Error: every failure path of TracedLlm
/// sets it), a guardrail intervened, it took at least <see cref="LatencyThreshold"/>, or its caller joined it to a
/// trace of its own (<c>traceparent</c>, or <c>existing_trace_id</c> in the metadata) while
/// <see cref="KeepJoinedTraces"/> is on; of the others, <see cref="Ratio"/> are kept, chosen by trace id so that every
/// process decides alike. The spans of a request that is not kept never reach the export queue; metrics are not sampled
/// and still count every request. Binds from <c>TracedLlm:Export:TailSampling</c>.
/// </remarks>
public sealed class TailSamplingOptions
{
    /// <summary>Whether requests are sampled at all. Default false: every span is exported.</summary>
    public bool Enabled { get; set; }

    /// <summary>The share of the requests kept for no other reason, from 0 to 1. Default 0.1.</summary>
    public double Ratio { get; set; } = 0.1;

    /// <summary>
    /// A request that takes at least this long is kept. Default 20 s (an LLM call's slow tail, not its median).
    /// </summary>
    public TimeSpan LatencyThreshold { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Whether a request whose caller joined its trace (a remote parent) is always kept. Default true.
    /// </summary>
    public bool KeepJoinedTraces { get; set; } = true;

    /// <summary>
    /// The estimated bytes one request's spans may hold while they wait for its decision; more are dropped and counted.
    /// Default 1 MiB.
    /// </summary>
    public long MaxHeldBytesPerRequest { get; set; } = 1024L * 1024;

    /// <summary>
    /// The estimated bytes all held spans together may hold; more are dropped and counted. Default 32 MiB.
    /// </summary>
    public long MaxHeldBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Every wrong value, each named by its configuration key.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (double.IsNaN(Ratio) || Ratio < 0 || Ratio > 1)
        {
            problems.Add(
                $"{ExportQueueOptions.SectionName}:TailSampling:Ratio must be between 0 and 1 (it is {Ratio}).");
        }

        if (LatencyThreshold < TimeSpan.Zero)
        {
            problems.Add(
                $"{ExportQueueOptions.SectionName}:TailSampling:LatencyThreshold must not be negative (it is "
                + $"{LatencyThreshold}).");
        }

        if (MaxHeldBytes < 1 || MaxHeldBytesPerRequest < 1 || MaxHeldBytesPerRequest > MaxHeldBytes)
        {
            problems.Add(
                $"{ExportQueueOptions.SectionName}:TailSampling:MaxHeldBytesPerRequest must be between 1 and "
                + $"MaxHeldBytes ({MaxHeldBytes}) (it is {MaxHeldBytesPerRequest}).");
        }

        return problems;
    }
}
