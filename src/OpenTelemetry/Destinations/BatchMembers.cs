using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// Whose spans the open batch holds, by route, when destinations share it: handed to the sealed batch
/// so that a drop is counted under each destination's own name. Only the export thread uses it.
/// </summary>
internal sealed class BatchMembers
{
    private Dictionary<SpanRoute, int>? _spans;

    /// <summary><paramref name="spans"/> more spans of <paramref name="route"/>'s in the open batch.</summary>
    public void Add(SpanRoute route, int spans)
    {
        _spans ??= new Dictionary<SpanRoute, int>(ReferenceEqualityComparer.Instance);
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_spans, route, out _) += spans;
    }

    /// <summary>
    /// The open batch's members, and a new batch begins; null when there are none, or when all are
    /// the destination <paramref name="own"/> names (its drops are then counted under it anyway).
    /// </summary>
    public ExportPayload.Member[]? Take(KeyValuePair<string, object?> own)
    {
        if (_spans is not { Count: > 0 } spans)
        {
            return null;
        }

        ExportPayload.Member[]? members = null;
        if (spans.Count > 1 || !Equals(own.Value, First(spans).Tag.Value))
        {
            members = new ExportPayload.Member[spans.Count];
            var i = 0;
            foreach (var (route, count) in spans)
            {
                members[i++] = new ExportPayload.Member(route.Tag, count);
            }
        }

        spans.Clear();
        return members;
    }

    private static SpanRoute First(Dictionary<SpanRoute, int> spans)
    {
        foreach (var route in spans.Keys)
        {
            return route;
        }

        return null!;
    }
}
