using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm;

/// <summary>Records the model requests sent inside a traced request but outside every upstream attempt.</summary>
/// <remarks>
/// Every <c>HttpClient</c> send of the process is seen through System.Net.Http's diagnostic events and
/// recorded for each app whose coverage is on (<see cref="OutboundCoverageSink"/>).
/// Why the diagnostic listener: it is how HttpClient instrumentation has always seen sends, and it sees
/// every <c>HttpClient</c>, a <c>new HttpClient()</c> too, which a factory's handler filter would not.
/// Its cost, paid by every send of the process while an app's coverage is on, is a few calls of
/// <see cref="IsEnabled"/> that look at one field or walk up to the first TracedLlm span: about 25 ns
/// a send under an activity, 16 ns and HttpClient's 192 B for one with none, which any subscriber makes
/// System.Net.Http instrument (bench/results/2026-11-28-outbound-coverage-idle.md). A send is in a gap when the traced
/// call the code runs in is known and no attempt of it is open: from <see cref="LlmCall.Current"/>'s scope when it
/// flows, else from <see cref="Activity.Current"/>, whose first TracedLlm span is an attempt's inside an attempt and
/// the request's own elsewhere. A request whose spans are not created (no tracer listening) and whose scope does not
/// flow is not watched: nothing is counted there, never wrongly. Only a gap send asks System.Net.Http for its start
/// event (an unrecorded activity of its own), whose payload carries the request.
/// </remarks>
internal static class OutboundCoverage
{
    private const string ListenerName = "HttpHandlerDiagnosticListener";
    private const string RequestOut = "System.Net.Http.HttpRequestOut";
    private const string RequestOutStart = "System.Net.Http.HttpRequestOut.Start";

    private static readonly object Gate = new();
    private static readonly ConditionalWeakTable<TracedLlmGateway, OutboundCoverageSink> ByGateway = new();
    private static OutboundCoverageSink[] s_sinks = [];
    private static IDisposable? s_subscription;
    private static PropertyInfo? s_requestProperty;

    /// <summary>
    /// Starts recording for <paramref name="sink"/>'s app; the first one subscribes to System.Net.Http's events.
    /// </summary>
    public static void Add(OutboundCoverageSink sink)
    {
        lock (Gate)
        {
            ByGateway.AddOrUpdate(sink.Gateway, sink);
            s_sinks = [.. s_sinks, sink];
            s_subscription ??= DiagnosticListener.AllListeners.Subscribe(new Listeners());
        }
    }

    /// <summary>Stops recording for <paramref name="sink"/>'s app (its list stays readable).</summary>
    public static void Remove(OutboundCoverageSink sink)
    {
        lock (Gate)
        {
            s_sinks = Array.FindAll(s_sinks, s => !ReferenceEquals(s, sink));
        }
    }

    /// <summary>The app's record, or null when its coverage is off.</summary>
    public static OutboundCoverageSink? For(TracedLlmGateway gateway) =>
        ByGateway.TryGetValue(gateway, out var sink) ? sink : null;

    /// <summary>
    /// The served manifest with the app's <c>unattemptedModelRequests</c> as its last property (empty while coverage is
    /// off).
    /// </summary>
    public static string AddTo(string manifest, TracedLlmGateway gateway)
    {
        // The manifest is one JSON object: the property goes before its closing brace.
        var end = manifest.LastIndexOf('}');
        var list = For(gateway)?.ToJson() ?? "[]";
        return string.Concat(manifest.AsSpan(0, end), ",\"unattemptedModelRequests\":", list, "}");
    }

    /// <summary>
    /// Whether the running code is inside a traced request and outside its attempts; <paramref name="call"/>
    /// is the request when the scope flows (null when only the spans say so).
    /// </summary>
    internal static bool InGap(out LlmCall? call)
    {
        call = null;
        if (AmbientLlmScope.Enabled)
        {
            call = AmbientLlmScope.Peek switch
            {
                LlmAttempt { Ended: false } => null,
                LlmAttempt ended => ended.Call,
                LlmCall current => current,
                _ => null,
            };

            // Work a request left running after it ended (fire and forget) is no longer in it.
            return call is not null && call.Span is not { IsStopped: true };
        }

        return InSpans(Activity.Current);
    }

    /// <summary>
    /// Whether <paramref name="current"/>'s chain says a traced request outside its attempts: its first TracedLlm span
    /// is open and no attempt's.
    /// </summary>
    internal static bool InSpans(Activity? current)
    {
        // HttpClient's own activity, an SDK's, then the first of ours decides.
        var depth = 0;
        for (var span = current; span is not null && depth < 16; span = span.Parent, depth++)
        {
            if (ReferenceEquals(span.Source, TracedLlmTelemetry.Source)
                || ReferenceEquals(span.Source, TracedLlmTelemetry.LatestExperimentalSource))
            {
                return !span.IsStopped && span.OperationName != SpanNames.UpstreamAttempt;
            }
        }

        return false;
    }

    /// <summary>
    /// Asked by System.Net.Http for each send: true only for a gap's <c>POST</c>, whose start event then carries the
    /// request.
    /// </summary>
    /// <remarks>
    /// With no parent activity HttpClient asks for the activity with the request; with one it makes its
    /// own and asks for the start event.
    /// </remarks>
    private static bool IsEnabled(string name, object? request, object? unused)
    {
        if (Volatile.Read(ref s_sinks).Length == 0)
        {
            return false;
        }

        return name switch
        {
            RequestOutStart => InGap(out _),
            RequestOut => request is HttpRequestMessage { Method.Method: "POST" } && InGap(out _),
            _ => false,
        };
    }

    private static void OnStart(object? payload)
    {
        if (RequestOf(payload) is not { Method.Method: "POST", RequestUri.IsAbsoluteUri: true } request
            || !InGap(out var call))
        {
            return;
        }

        var sinks = Volatile.Read(ref s_sinks);
        var recorded = false;
        string? location = null;
        foreach (var sink in sinks)
        {
            // With the scope, the request's own app; from the spans, each app running (one, but in tests).
            var ownApp = call is null || ReferenceEquals(call.Gateway, sink.Gateway);
            if (ownApp && sink.ModelRequest(request) is { } model)
            {
                sink.Record(model, call, ref location);
                if (!recorded)
                {
                    recorded = true;
                    GatewayMetrics.RecordUnattempted(model.Host, model.Operation);
                }
            }
        }
    }

    /// <summary>
    /// The request a start event carries (System.Net.Http's documented payload property <c>Request</c>),
    /// read by reflection as every DiagnosticListener consumer reads it; null when it cannot be.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075",
        Justification = "System.Net.Http keeps its DiagnosticSource payloads' properties for their readers; "
            + "without them the send is not counted, never misread.")]
    private static HttpRequestMessage? RequestOf(object? payload)
    {
        if (payload is null)
        {
            return null;
        }

        var property = s_requestProperty;
        if (property is null || property.DeclaringType != payload.GetType())
        {
            s_requestProperty = property = payload.GetType().GetProperty("Request");
        }

        return property?.GetValue(payload) as HttpRequestMessage;
    }

    /// <summary>Subscribes to System.Net.Http's listener when it appears (it may already exist).</summary>
    private sealed class Listeners : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == ListenerName)
            {
                listener.Subscribe(new Events(), IsEnabled);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    /// <summary>System.Net.Http's events: only a start event is ever enabled by this subscriber.</summary>
    private sealed class Events : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == RequestOutStart)
            {
                OnStart(value.Value);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
