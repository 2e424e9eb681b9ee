using System.Collections.Generic;
using System.Diagnostics;

namespace TracedLlm;

/// <summary>
/// Which request a span starting now belongs to, for the processors that follow requests (the tail sampler, the
/// router).
/// </summary>
/// <remarks>
/// Its nearest ancestor they saw start, by parent object, or by its parent's context at the top of the object chain
/// when that parent is local (TracedLlm starts its spans with their parent's context, not its object). A remote parent,
/// a caller's, is never followed.
/// </remarks>
internal static class SpanRequests
{
    public static T? Nearest<T>(Activity span, Dictionary<ActivitySpanId, T> running)
        where T : class
    {
        for (var current = span; ; current = current.Parent!)
        {
            if (current.Parent is { } parent)
            {
                if (running.TryGetValue(parent.SpanId, out var found))
                {
                    return found;
                }

                continue;
            }

            return current.ParentSpanId != default
                && !current.HasRemoteParent
                && running.TryGetValue(current.ParentSpanId, out var byContext)
                ? byContext
                : null;
        }
    }
}
