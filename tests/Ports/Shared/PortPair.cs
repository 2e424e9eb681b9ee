using System.Diagnostics;
using System.Runtime.CompilerServices;
using TracedLlm.Telemetry;

namespace TracedLlm.Tests;

/// <summary>
/// A port's two apps, before and after adoption, and the upstreams they call, started once for a test class; the
/// spans every app of the process records, a request's found by the trace the test sends it in.
/// </summary>
/// <param name="appFolder">
/// The app's folder under tests/Ports, whose appsettings.json the adopted app reads: adoption left it unchanged, and
/// the adopted project compiles its files from there (its published copy sits beside the dll).
/// </param>
public abstract class PortPair<TBefore, TAfter>(string appFolder) : IAsyncLifetime
    where TBefore : class
    where TAfter : class
{
    internal PortApp<TBefore> Before { get; private set; } = null!;

    internal PortApp<TAfter> After { get; private set; } = null!;

    internal SpanCollector Spans { get; } = new();

    public async Task InitializeAsync()
    {
        var settings = await StartUpstreamsAsync();
        Before = new PortApp<TBefore>(settings);
        After = Adopted(settings);
    }

    public async Task DisposeAsync()
    {
        Spans.Dispose();
        await Before.DisposeAsync();
        await After.DisposeAsync();
        await StopUpstreamsAsync();
    }

    /// <summary>An adopted app of its own, with <paramref name="settings"/> over appsettings.json's.</summary>
    internal PortApp<TAfter> Adopted(IReadOnlyDictionary<string, string> settings) =>
        new(settings, Path.Combine(PortsFolder(), appFolder));

    /// <summary>Sends <paramref name="body"/> to both apps: their answers, and the adopted app's trace of it.</summary>
    internal async Task<(PortAnswer Before, PortAnswer After, SpanTree Trace)> SendToBothAsync(string path, string body)
    {
        var before = await Before.PostAsync(path, body, ActivityTraceId.CreateRandom());
        var trace = ActivityTraceId.CreateRandom();
        var after = await After.PostAsync(path, body, trace);
        return (before, after, await Spans.TraceAsync(trace));
    }

    /// <summary>
    /// Sends <paramref name="body"/> to an adopted app (<see cref="After"/> unless given): its answer, its trace, and
    /// the trace's attempts in order, each a child of the LLM span, indexed from 0.
    /// </summary>
    internal async Task<(PortAnswer Answer, SpanTree Trace, List<Activity> Attempts)> SendAsync(
        string path, string body, PortApp<TAfter>? app = null)
    {
        var trace = ActivityTraceId.CreateRandom();
        var answer = await (app ?? After).PostAsync(path, body, trace);
        var spans = await Spans.TraceAsync(trace);
        var llm = spans.Single(SpanNames.LlmRequest);
        var attempts = spans.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.All(attempts, a => Assert.Equal(llm.SpanId, a.ParentSpanId));
        var indexes = attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!);
        Assert.Equal(Enumerable.Range(0, attempts.Count), indexes);
        return (answer, spans, attempts);
    }

    /// <summary>The trace recorded the answer: its status, one failure for an error status, every span ended.</summary>
    internal static void AssertRecorded(SpanTree trace, int status)
    {
        Assert.Equal(status, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(status >= 400 ? 1 : 0, trace.All(SpanNames.Failure).Count);
        SpanCollector.AssertAllEnded(trace.Spans);
    }

    /// <summary>The pipeline refused the request itself: a 400 and its one failure, and no attempt.</summary>
    internal static void AssertRefused(SpanTree trace)
    {
        AssertRecorded(trace, 400);
        Assert.Empty(trace.All(SpanNames.UpstreamAttempt));
    }

    /// <summary>Starts the upstreams the apps call; the settings that point the apps at them.</summary>
    protected abstract Task<IReadOnlyDictionary<string, string>> StartUpstreamsAsync();

    /// <summary>Stops the upstreams.</summary>
    protected abstract ValueTask StopUpstreamsAsync();

    private static string PortsFolder([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, ".."));
}

/// <summary>
/// The spans of the libraries under an attempt (HttpClient's sends, Microsoft.Extensions.AI's <c>chat</c>), recorded
/// while it lives, as an app that exports them has them.
/// </summary>
internal sealed class LibrarySpans : IDisposable
{
    private readonly List<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public LibrarySpans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http"
                || source.Name.Contains("Microsoft.Extensions.AI", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { lock (_stopped) { _stopped.Add(span); } },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The span whose id <paramref name="spanId"/> is, as hex (a <c>traceparent</c>'s parent).</summary>
    public Activity Single(string spanId)
    {
        lock (_stopped)
        {
            return Assert.Single(_stopped, s => s.SpanId.ToHexString() == spanId);
        }
    }

    /// <summary>The span that is <paramref name="child"/>'s parent.</summary>
    public Activity ParentOf(Activity child) => Single(child.ParentSpanId.ToHexString());

    public void Dispose() => _listener.Dispose();
}
