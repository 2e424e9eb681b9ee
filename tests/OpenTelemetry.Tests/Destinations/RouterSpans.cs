using System;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Spans recorded as the runtime records them, for a router alone (a TracedLlm server span carrying
/// its caller, its children by context), and a provider with only the router.
/// </summary>
internal static class RouterSpans
{
    public static Activity Server(
        LlmCaller? caller, ActivityContext parent = default, ActivityLink? link = null, double? sampleRate = null)
    {
        var links = link is { } l ? new[] { l } : null;
        var server = TracedLlmTelemetry.Source.StartActivity(
            SpanNames.Server, ActivityKind.Server, parent, links: links)!;

        // As the runtime's auth stage does, right after the server span starts.
        if (caller is not null)
        {
            server.SetCustomProperty(LlmCaller.ActivityPropertyName, caller);
        }

        if (sampleRate is { } rate)
        {
            server.SetTag(AttributeNames.ExportSampleRate, rate);
        }

        return server;
    }

    public static Activity Child(string name, Activity parent, params (string Key, object? Value)[] tags)
    {
        var child = TracedLlmTelemetry.Source.StartActivity(name, ActivityKind.Internal, parent.Context)!;
        foreach (var (key, value) in tags)
        {
            child.SetTag(key, value);
        }

        return child;
    }

    /// <summary>A provider with a router alone, routing as <paramref name="options"/> say.</summary>
    public static TracerProvider Provider(
        TraceRoutingOptions options,
        Action<string> warn,
        out TraceRouter router,
        ExportQueueOptions? bounds = null,
        string? otherSource = null)
    {
        Assert.Empty(options.Problems());
        bounds ??= new ExportQueueOptions
        {
            ScheduledDelay = TimeSpan.FromMilliseconds(20), ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        bounds.Warn = warn;
        router = new TraceRouter(options, bounds, warn);
        var builder = Sdk.CreateTracerProviderBuilder().AddSource(TracedLlmTelemetry.SourceName);
        if (otherSource is not null)
        {
            builder.AddSource(otherSource);
        }

        return builder.AddProcessor(router).Build()!;
    }
}
