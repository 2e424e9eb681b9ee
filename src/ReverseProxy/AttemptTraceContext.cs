using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace TracedLlm.Relay;

/// <summary>
/// The propagator of YARP's cluster clients, made to send a relay attempt's own <c>traceparent</c>: the provider's
/// parent span is the attempt.
/// </summary>
/// <remarks>
/// YARP's clients replace the trace headers of every request they send (<see cref="ReverseProxyPropagator"/>: a
/// proxied client's own must not go on) with those of the span System.Net.Http starts for the send. Under an attempt
/// that span is a plain <see cref="Activity"/> no exporter sees unless HttpClient is instrumented, so the provider's
/// parent was a span no trace holds. A request a relay attempt marked (<see cref="Mark"/>) goes with the attempt's
/// context instead, YARP's removal of the headers before it kept; any other request goes as YARP sends it.
/// </remarks>
internal sealed class AttemptTracePropagator(DistributedContextPropagator inner) : DistributedContextPropagator
{
    private static readonly HttpRequestOptionsKey<Activity> AttemptSpan = new("TracedLlm.Relay.AttemptSpan");

    public override IReadOnlyCollection<string> Fields => inner.Fields;

    /// <summary>Marks <paramref name="request"/> as <paramref name="span"/>'s, whose context it is to carry.</summary>
    public static void Mark(HttpRequestMessage request, Activity? span)
    {
        if (span is { IdFormat: ActivityIdFormat.W3C })
        {
            request.Options.Set(AttemptSpan, span);
        }
    }

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (carrier is HttpRequestMessage request && request.Options.TryGetValue(AttemptSpan, out var span))
        {
            activity = span;
        }

        inner.Inject(activity, carrier, setter);
    }

    public override void ExtractTraceIdAndState(
        object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState) =>
        inner.ExtractTraceIdAndState(carrier, getter, out traceId, out traceState);

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(
        object? carrier, PropagatorGetterCallback? getter) =>
        inner.ExtractBaggage(carrier, getter);
}

/// <summary>
/// YARP's default factory of cluster clients (<c>AddReverseProxy()</c>), each client's propagator an
/// <see cref="AttemptTracePropagator"/> over YARP's own; <c>AddTracedLlmRelay()</c> puts it in YARP's place.
/// </summary>
internal sealed class AttemptTraceClientFactory(ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (handler.ActivityHeadersPropagator is { } yarps)
        {
            handler.ActivityHeadersPropagator = new AttemptTracePropagator(yarps);
        }
    }
}
