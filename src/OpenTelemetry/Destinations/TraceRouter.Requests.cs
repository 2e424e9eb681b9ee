using System.Diagnostics;

namespace TracedLlm;

// TraceRouter: which request a span belongs to, and what was decided for it.
internal sealed partial class TraceRouter
{
    // A TracedLlm server span starts a request of its own, unless its parent is a local span of this
    // process (ASP.NET Core's request span, which the runtime makes its parent only when it is the
    // same HTTP request): a joined caller's context never makes it part of another request. A span
    // it links to (that request span, left in another trace) takes its caller too. Under _gate.
    private Request ServerRequest(Activity server)
    {
        var parent = server.Parent is { } inProcess ? Find(inProcess.SpanId)
            : server.ParentSpanId != default && !server.HasRemoteParent ? Find(server.ParentSpanId)
            : null;
        var request = parent ?? new Request();
        request.Server ??= server;
        foreach (var link in server.Links)
        {
            if (link.Context.TraceId != server.TraceId
                && !link.Context.IsRemote
                && Find(link.Context.SpanId) is { } linked)
            {
                linked.Server ??= server;
            }
        }

        return request;
    }

    // The request of a span starting now: its nearest ancestor this router saw start. Under _gate.
    private Request? RequestOf(Activity span) => SpanRequests.Nearest(span, _running);

    private Request? Find(ActivitySpanId spanId) => _running.TryGetValue(spanId, out var request) ? request : null;

    /// <summary>
    /// The spans of one request in this process: its TracedLlm server span, once it started, and what was decided for
    /// it.
    /// </summary>
    private sealed class Request
    {
        public Activity? Server;
        public Decision? Decided;
    }

    /// <summary>
    /// A request's destinations under one routing (a reload decides again) and the sample rate it asked for.
    /// </summary>
    private sealed record Decision(DestinationRoutes Routes, DestinationDefinition[] Destinations, double SampleRate);
}
