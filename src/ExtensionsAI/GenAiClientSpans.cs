using System;
using System.Collections.Generic;
using System.Diagnostics;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>
/// The GenAI client spans a chat pipeline records under TracedLlm's attempts (the <c>chat {model}</c>
/// span of <c>UseOpenTelemetry()</c>, on the activity source the inner client reports). Each one is
/// marked <c>langfuse.observation.type=span</c>, so Langfuse shows one generation per call, the
/// LLM span; and its attempt leaves the response attributes to it (docs/span-contract.md,
/// "Microsoft.Extensions.AI"). Langfuse still prices this span's usage in the trace's totals: a
/// known limit, documented there.
/// </summary>
internal static class GenAiClientSpans
{
    private const string ClaimedBy = "tracedllm.genai_client_span";
    private static readonly Dictionary<string, ActivityListener> Watched = new(StringComparer.Ordinal);

    /// <summary>
    /// Watches <paramref name="source"/>'s spans from now on (once per source name, for the process).
    /// </summary>
    public static void Watch(ActivitySource? source)
    {
        if (source is null)
        {
            return;
        }

        lock (Watched)
        {
            if (Watched.ContainsKey(source.Name))
            {
                return;
            }

            var name = source.Name;

            // No Sample callback: this listener takes no part in sampling, it only sees the spans others record.
            var listener = new ActivityListener
            {
                ShouldListenTo = candidate => candidate.Name == name,
                ActivityStarted = Started,
            };
            ActivitySource.AddActivityListener(listener);
            Watched.Add(name, listener);
        }
    }

    /// <summary>True when a GenAI client span was recorded under <paramref name="attemptSpan"/>.</summary>
    public static bool Claimed(Activity? attemptSpan) => attemptSpan?.GetCustomProperty(ClaimedBy) is not null;

    private static void Started(Activity span)
    {
        // The nearest TracedLlm ancestor decides: an attempt (a tool-calling loop may sit in between).
        for (var parent = span.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent.Source.Name != TracedLlmTelemetry.SourceName)
            {
                continue;
            }

            if (parent.OperationName == SpanNames.UpstreamAttempt && span.IsAllDataRequested)
            {
                span.SetTag(AttributeNames.LangfuseObservationType, "span");
                if (span.Kind == ActivityKind.Client)
                {
                    parent.SetCustomProperty(ClaimedBy, span.SpanId.ToHexString());
                }
            }

            return;
        }
    }
}
