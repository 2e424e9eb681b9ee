using System.Diagnostics;

namespace TracedLlm.Pipeline;

/// <summary>
/// Where the server span goes when the request already has an activity: one request gets one trace
/// with one Server span (docs/span-contract/trace.md, "ASP.NET Core instrumentation").
/// <list type="bullet">
/// <item>ASP.NET Core's request span, when something records it (OpenTelemetry's
/// <c>AddAspNetCoreInstrumentation()</c> listens to its <c>Microsoft.AspNetCore</c> source), and it
/// is where the trace join would have put the server span (the same <c>traceparent</c>, or a new
/// root): it is the request's Server span, and the server span becomes its Internal child.</item>
/// <item>That request span in another trace (a metadata join, or a <c>traceparent</c> TracedLlm does
/// not join): the server span stays a Server span where the join puts it; the two spans link to
/// each other, one per trace.</item>
/// <item>Any other ambient activity (nobody records the hosting span, a caller's own activity):
/// never a parent, a link when it is in another trace.</item>
/// <item>A refused caller (<c>trusted</c> false): the request span is its parent only when it
/// started a trace of its own; otherwise the server span is a new root with no link either way,
/// since the request span's trace is the one the caller named.</item>
/// </list>
/// </summary>
internal readonly record struct ServerSpanPlacement(
    ActivityContext Parent, ActivityKind Kind, ActivityLink[]? Links, Activity? LinkBack)
{
    /// <summary>The ASP.NET Core hosting layer's activity source and request activity.</summary>
    internal const string HostingSourceName = "Microsoft.AspNetCore";
    internal const string HostingActivityName = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    public static ServerSpanPlacement Of(Activity? ambient, in TraceJoin join, bool trusted = true)
    {
        if (ambient is null)
        {
            return new(join.Parent, ActivityKind.Server, null, null);
        }

        if (!trusted)
        {
            return FindHostingSpan(ambient) is { HasRemoteParent: false } own
                ? new(own.Context, ActivityKind.Internal, null, null)
                : new(default, ActivityKind.Server, null, null);
        }

        if (FindHostingSpan(ambient) is not { } hosting)
        {
            var other = join.Source == TraceJoinSource.None || ambient.TraceId != join.Parent.TraceId;
            return new(
                join.Parent, ActivityKind.Server, other ? new[] { new ActivityLink(ambient.Context) } : null, null);
        }

        if (IsWhereTheJoinLeads(hosting, join))
        {
            // Under the hosting span, with the trace state the join read (TraceStateHeader): hosting keeps the header
            // as it came.
            return new(
                new ActivityContext(
                    hosting.TraceId, hosting.SpanId, hosting.ActivityTraceFlags, join.Parent.TraceState),
                ActivityKind.Internal,
                null,
                null);
        }

        return new(
            join.Parent,
            ActivityKind.Server,
            new[] { new ActivityLink(hosting.Context) },
            hosting.IsAllDataRequested ? hosting : null);
    }

    /// <summary>
    /// ASP.NET Core's request activity, the ambient one or an in-process ancestor (a middleware's span may be current),
    /// when hosting created it from its activity source.
    /// </summary>
    /// <remarks>
    /// Only then does a listener record it. Without one, hosting's activity (kept for its logs) has no source name.
    /// </remarks>
    private static Activity? FindHostingSpan(Activity ambient)
    {
        for (var activity = ambient; activity is not null; activity = activity.Parent)
        {
            if (activity.OperationName == HostingActivityName && activity.Source.Name == HostingSourceName)
            {
                return activity;
            }
        }

        return null;
    }

    /// <summary>
    /// The hosting span joined what TracedLlm would join: the same parent span, or, with nothing to join, a trace of
    /// its own.
    /// </summary>
    private static bool IsWhereTheJoinLeads(Activity hosting, in TraceJoin join) =>
        join.Source == TraceJoinSource.None
            ? !hosting.HasRemoteParent
            : hosting.TraceId == join.Parent.TraceId && hosting.ParentSpanId == join.Parent.SpanId;
}
