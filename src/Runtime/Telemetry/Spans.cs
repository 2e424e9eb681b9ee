using System.Diagnostics;

namespace TracedLlm.Telemetry;

/// <summary>
/// Starting and ending a span with an explicit parent: the primitives every stage records its own
/// spans with. A stage starts its span here and ends it here, in its own file; none of these looks
/// at <see cref="Activity.Current"/> to find a parent.
/// </summary>
internal static class Spans
{
    private static readonly ActivitySource Source = TracedLlmTelemetry.Source;

    // A child is recorded by its parent's source: the latest convention mode's spans carry its schema URL.
    private static readonly ActivitySource LatestSource = TracedLlmTelemetry.LatestExperimentalSource;

    /// <summary>
    /// Starts a child of an in-process span with an explicit parent; no parent, no child (never an orphan).
    /// </summary>
    public static Activity? StartChild(string name, ActivityKind kind, Activity? parent) =>
        parent is null
            ? null
            : (ReferenceEquals(parent.Source, LatestSource) ? LatestSource : Source).StartActivity(
                name,
                kind,
                parent.Context);

    /// <summary>
    /// Starts a child of a request's span with its Langfuse observation type and the request's
    /// trace-level attributes (those once the caller is authenticated; none before).
    /// </summary>
    public static Activity? StartChild(
        LlmCall call,
        string name,
        ActivityKind kind,
        Activity? parent,
        string observationType = LangfuseObservationTypes.Span)
    {
        var span = StartChild(name, kind, parent);
        if (span is { IsAllDataRequested: true })
        {
            var tags = new FirstTags(span, call);
            tags.Add(AttributeNames.LangfuseObservationType, observationType);
            tags.AddTraceTags(call);
        }

        return span;
    }

    /// <summary>Ends a span and makes <paramref name="current"/> the current activity again; returns null.</summary>
    public static Activity? End(Activity? span, Activity? current)
    {
        if (span is not null)
        {
            span.Stop();
            MakeCurrent(current);
        }

        return null;
    }

    /// <summary>
    /// Makes <paramref name="activity"/> the current activity unless it already is. The check is
    /// not only about the execution-context change: the setter validates an activity through its
    /// W3C <see cref="Activity.Id"/>, which builds a 55-character string on first use.
    /// </summary>
    public static void MakeCurrent(Activity? activity)
    {
        if (!ReferenceEquals(Activity.Current, activity))
        {
            Activity.Current = activity;
        }
    }
}
