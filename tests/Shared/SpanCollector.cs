using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Tests;

/// <summary>Records every TracedLlm span started and stopped while it lives (all data, all sampled).</summary>
internal sealed class SpanCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<Activity> _started = new();
    private readonly List<Activity> _stopped = new();
    private readonly object _gate = new();

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                lock (_gate)
                {
                    _started.Add(activity);
                }
            },
            ActivityStopped = activity =>
            {
                lock (_gate)
                {
                    _stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Started { get { lock (_gate) { return _started.ToList(); } } }

    public IReadOnlyList<Activity> Stopped { get { lock (_gate) { return _stopped.ToList(); } } }

    /// <summary>
    /// Forgets the spans recorded so far (a test's second request then has a trace of its own to find).
    /// </summary>
    public void Clear()
    {
        lock (_gate)
        {
            _started.Clear();
            _stopped.Clear();
        }
    }

    /// <summary>The spans of the one trace recorded, once its server span has stopped.</summary>
    public async Task<SpanTree> SingleTraceAsync()
    {
        var server = await WaitForAsync(spans => spans.SingleOrDefault(s => s.DisplayName == SpanNames.Server));
        return new SpanTree(Stopped.Where(s => s.TraceId == server.TraceId).ToList(), server);
    }

    /// <summary>The spans of the trace <paramref name="traceId"/> once its server span has stopped.</summary>
    public async Task<SpanTree> TraceAsync(ActivityTraceId traceId)
    {
        var server = await WaitForAsync(
            spans => spans.SingleOrDefault(s => s.TraceId == traceId && s.DisplayName == SpanNames.Server));
        return new SpanTree(Stopped.Where(s => s.TraceId == traceId).ToList(), server);
    }

    /// <summary>
    /// Waits until <paramref name="select"/> finds something among the stopped spans (server spans stop after the
    /// response is written).
    /// </summary>
    public async Task<T> WaitForAsync<T>(Func<IReadOnlyList<Activity>, T?> select, int timeoutMs = 10_000)
        where T : class
    {
        T? found = null;
        var timeout = TimeSpan.FromMilliseconds(timeoutMs);
        if (await Eventually.TryAsync(() => (found = select(Stopped)) is not null, timeout))
        {
            return found!;
        }

        throw new TimeoutException(
            "The expected spans were not stopped in time. Stopped: "
                + string.Join(", ", Stopped.Select(s => s.DisplayName)));
    }

    /// <summary>Every span started so far is stopped, and no child outlived its parent.</summary>
    public void AssertAllEnded()
    {
        var started = Started;
        AssertAllEnded(started);
        Assert.Equal(started.Count, Stopped.Count);
    }

    /// <summary>Every one of <paramref name="spans"/> is stopped, and none outlived its parent among them.</summary>
    public static void AssertAllEnded(IReadOnlyList<Activity> spans)
    {
        Assert.NotEmpty(spans);
        Assert.All(spans, s => Assert.True(s.IsStopped, $"span {s.DisplayName} was not ended"));
        var byId = spans.ToDictionary(s => s.SpanId);
        foreach (var span in spans)
        {
            if (byId.TryGetValue(span.ParentSpanId, out var parent))
            {
                Assert.True(
                    span.StartTimeUtc + span.Duration <= parent.StartTimeUtc + parent.Duration,
                    $"{span.DisplayName} outlived {parent.DisplayName}");
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>One trace's stopped spans, with look-ups by name.</summary>
internal sealed record SpanTree(IReadOnlyList<Activity> Spans, Activity Server)
{
    public Activity Single(string name) => Assert.Single(Spans, s => s.DisplayName == name);

    public IReadOnlyList<Activity> All(string name) => Spans.Where(s => s.DisplayName == name).ToList();

    public IReadOnlyList<string> Names =>
        Spans.Select(s => s.DisplayName).OrderBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>Asserts the span's kind and that its parent is <paramref name="parent"/> in the same trace.</summary>
    public Activity AssertChild(string name, Activity parent, ActivityKind kind)
    {
        var span = Single(name);
        Assert.Equal(kind, span.Kind);
        Assert.Equal(parent.TraceId, span.TraceId);
        Assert.Equal(parent.SpanId, span.ParentSpanId);
        return span;
    }
}
