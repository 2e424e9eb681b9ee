using System.Diagnostics;
using OpenTelemetry;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>What an exporter's queue sends (<see cref="ExportQueueOptions.Scope"/>).</summary>
public enum ExportScope
{
    /// <summary>Every recorded span: the whole tree of each request.</summary>
    All = 0,

    /// <summary>
    /// The LLM span of each request only (<c>langfuse.observation.type</c> <c>generation</c> or
    /// <c>embedding</c>): one observation a request, for a team billed per observation. The other
    /// spans are still recorded in process (tail sampling, metrics and listeners see them), not sent.
    /// </summary>
    GenerationsOnly = 1,
}

/// <summary>
/// Passes on to its export processor only the TracedLlm LLM spans (<see cref="ExportScope.GenerationsOnly"/>);
/// starts, flushes and shut-downs pass through. The span's trace-level attributes (user, session,
/// environment, trace name, tags and metadata) are on it already, so Langfuse still builds its trace.
/// </summary>
public sealed class GenerationsOnlyProcessor : CompositeProcessor<Activity>
{
    /// <summary>Filters what reaches <paramref name="next"/>.</summary>
    public GenerationsOnlyProcessor(BaseProcessor<Activity> next)
        : base(new[] { next ?? throw new System.ArgumentNullException(nameof(next)) })
    {
    }

    /// <summary>True for a TracedLlm LLM span: the request's generation (or embedding).</summary>
    public static bool IsGeneration(Activity span)
    {
        System.ArgumentNullException.ThrowIfNull(span);
        return span.Source.Name == TracedLlmTelemetry.SourceName
            && span.GetTagItem(AttributeNames.LangfuseObservationType) is LangfuseObservationTypes.Generation
                or LangfuseObservationTypes.Embedding;
    }

    /// <inheritdoc />
    public override void OnEnd(Activity data)
    {
        if (IsGeneration(data))
        {
            base.OnEnd(data);
        }
    }
}
