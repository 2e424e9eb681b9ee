// Mixed-load bench: well-behaved clients beside hostile ones, against the sample gateway exporting
// over OTLP to a collector run here, healthy and then hanging. Each well-behaved request sends a
// traceparent of its own, so the collector can tell its spans apart: delivered / expected counts
// the spans that reached the collector (and were answered) for those requests. Latency is theirs
// alone (p50/p99), first without hostile traffic, then beside it; peak RSS is the gateway
// process's VmHWM. See bench/hostile/run and docs/reliability/load.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

var gatewayDll = args.Length > 0 ? args[0] : throw new ArgumentException("usage: Hostile <gateway dll> [seconds] [good concurrency] [hostile concurrency]");
var seconds = args.Length > 1 ? int.Parse(args[1]) : 15;
var goodConcurrency = args.Length > 2 ? int.Parse(args[2]) : 8;
var hostileConcurrency = args.Length > 3 ? int.Parse(args[3]) : 8;
const string Key = "sk-bench-hostile-5e1f0c";

Console.WriteLine($"export queue: OTEL_BSP_MAX_QUEUE_SIZE={Environment.GetEnvironmentVariable("OTEL_BSP_MAX_QUEUE_SIZE") ?? "(default 2,048)"}; {seconds} s per phase, {goodConcurrency} well-behaved and {hostileConcurrency} hostile clients");
var failed = false;
foreach (var mode in new[] { "healthy", "hanging", "tracing off" })
{
    // "tracing off" is the reference: what the same traffic costs the gateway with nothing recorded.
    var hanging = mode == "hanging";
    var tracing = mode != "tracing off";
    await using var collector = await Collector.StartAsync();
    using var gateway = await GatewayProcess.StartAsync(gatewayDll, new Dictionary<string, string>
    {
        ["Gateway__ApiKeys"] = Key,
        ["Tracing__Enabled"] = tracing ? "true" : "false",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
        ["Logging__LogLevel__Default"] = "Error",
    });
    var good = new GoodClients(gateway.Url, Key, goodConcurrency);

    // Warm-up (JIT, pools, the exporter's connection), both kinds of client, not measured.
    using (var warmUp = new CancellationTokenSource())
    {
        var hostileWarmUp = new HostileClients(gateway.Url, Key, hostileConcurrency).RunAsync(warmUp.Token);
        await good.RunAsync(TimeSpan.FromSeconds(Math.Min(seconds, 10)));
        warmUp.Cancel();
        await hostileWarmUp;
    }

    // How many spans a well-behaved request of each shape records, counted at the collector.
    var calibration = await good.RunAsync(TimeSpan.Zero, requests: 40);
    await collector.SettleAsync(calibration.TraceIds.Select(t => t.TraceId));
    var perShape = calibration.TraceIds.GroupBy(t => t.Shape).ToDictionary(g => g.Key, g => tracing ? g.Max(t => collector.Spans(t.TraceId)) : 0);

    var alone = await good.RunAsync(TimeSpan.FromSeconds(seconds));
    await collector.SettleAsync(alone.TraceIds.Select(t => t.TraceId));

    if (hanging)
    {
        collector.Hang();
    }

    var hostile = new HostileClients(gateway.Url, Key, hostileConcurrency);
    using var stop = new CancellationTokenSource();
    var hostileRun = hostile.RunAsync(stop.Token);
    var beside = await good.RunAsync(TimeSpan.FromSeconds(seconds));
    stop.Cancel();
    var hostileCounts = await hostileRun;
    collector.Release();
    await collector.SettleAsync(beside.TraceIds.Select(t => t.TraceId));

    var (peakRss, rss) = (gateway.Resident("VmHWM"), gateway.Resident("VmRSS"));
    Console.WriteLine(mode switch
    {
        "healthy" => "## collector healthy",
        "hanging" => "## collector hanging while the hostile load runs, then answering",
        _ => "## tracing off (reference: no spans recorded or exported)",
    });
    Console.WriteLine($"spans per well-behaved request: {string.Join(", ", perShape.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
    foreach (var (phase, run) in new[] { ("alone", alone), ("beside hostile", beside) })
    {
        var expected = run.TraceIds.Sum(t => perShape[t.Shape]);
        var delivered = run.TraceIds.Sum(t => Math.Min(collector.Spans(t.TraceId), perShape[t.Shape]));
        var spans = tracing ? $"spans delivered {delivered} / expected {expected} ({100.0 * delivered / Math.Max(1, expected):F1} %)" : "no spans";
        Console.WriteLine($"well-behaved {phase}: {run.TraceIds.Count} requests ({run.Statuses}), {spans}, latency p50 {run.Percentile(50):F1} ms, p99 {run.Percentile(99):F1} ms");
        failed |= run.Errors > 0;
    }

    Console.WriteLine($"p99 added by the hostile clients: {beside.Percentile(99) - alone.Percentile(99):F1} ms");
    Console.WriteLine($"hostile: {hostileCounts}; their spans delivered: {hostile.TraceIds.Sum(collector.Spans)} (from {hostile.TraceIds.Count} accepted requests); spans in the traces refused callers named: {hostile.RefusedTraceIds.Sum(collector.Spans)}");
    failed |= hostile.RefusedTraceIds.Any(id => collector.Spans(id) > 0);
    Console.WriteLine($"gateway peak RSS (VmHWM) {peakRss / 1048576.0:F0} MiB, RSS at the end {rss / 1048576.0:F0} MiB; collector answered {collector.Answered} exports, {collector.Abandoned} abandoned by the exporter");
    Console.WriteLine();
}

return failed ? 1 : 0;

/// <summary>The well-behaved clients: small valid requests, each with a traceparent of its own; a fifth stream.</summary>
internal sealed class GoodClients(string url, string key, int concurrency)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Runs for <paramref name="duration"/>, or <paramref name="requests"/> requests when given.</summary>
    public async Task<Run> RunAsync(TimeSpan duration, int requests = int.MaxValue)
    {
        var run = new Run();
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var next = -1;
        await Parallel.ForAsync(0, concurrency, async (_, _) =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= requests || (requests == int.MaxValue && Stopwatch.GetTimestamp() > deadline))
                {
                    return;
                }

                await OneAsync(i, run);
            }
        });
        return run;
    }

    private async Task OneAsync(int i, Run run)
    {
        var chat = i % 2 == 0;
        var stream = i % 5 == 0;
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var path = chat ? "/v1/chat/completions" : "/v1/messages";
        var body = chat
            ? $$$"""{"model":"gpt-4o-mini","stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"hello {{{i}}}"}],"metadata":{"trace_name":"good","session_id":"s-{{{i % 50}}}"}}"""
            : $$$"""{"model":"claude-sonnet","max_tokens":32,"stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"hello {{{i}}}"}],"litellm_metadata":{"trace_name":"good"}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("traceparent", $"00-{traceId}-{traceId[..16]}-01");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            run.Add((chat ? "chat" : "messages") + (stream ? " stream" : string.Empty), traceId, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            run.Fail();
        }
    }
}

/// <summary>The well-behaved clients' results.</summary>
internal sealed class Run
{
    private readonly ConcurrentBag<double> _latencies = new();
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private readonly ConcurrentQueue<(string Shape, string TraceId)> _traces = new();
    private int _errors;

    public IReadOnlyList<(string Shape, string TraceId)> TraceIds => _traces.ToList();

    public int Errors => _errors + _statuses.Where(s => s.Key != 200).Sum(s => s.Value);

    public string Statuses => string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x {s.Value}")) + (_errors > 0 ? $", {_errors} failed" : string.Empty);

    public void Add(string shape, string traceId, int status, double milliseconds)
    {
        _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        _latencies.Add(milliseconds);
        if (status == 200)
        {
            _traces.Enqueue((shape, traceId));
        }
    }

    public void Fail() => Interlocked.Increment(ref _errors);

    public double Percentile(int percent)
    {
        var sorted = _latencies.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percent / 100.0 * sorted.Length) - 1)];
    }
}

/// <summary>
/// The hostile clients, in turn: wrong keys with forged trace context, large bodies with wrong keys,
/// authenticated requests with a 6 MB model or 60 KB of metadata, 8 MB of malformed JSON, and
/// bodies over the gateway's 8 MiB limit.
/// </summary>
internal sealed class HostileClients(string url, string key, int concurrency)
{
    private static readonly byte[] HugeModel = Encoding.UTF8.GetBytes($$"""{"model":"m{{new string('x', 6 * 1024 * 1024)}}","messages":[{"role":"user","content":"x"}]}""");
    private static readonly byte[] WideMetadata = Encoding.UTF8.GetBytes("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"metadata\":{" + string.Join(",", Enumerable.Range(0, 600).Select(i => $"\"k{i}\":\"{new string('v', 90)}\"")) + "}}");
    private static readonly byte[] Malformed = Encoding.UTF8.GetBytes("{\"model\":[" + string.Concat(Enumerable.Repeat("{\"a\":[1,2,", 700_000)));
    private static readonly byte[] OverLimit = new byte[9 * 1024 * 1024];
    private static readonly byte[] LargeUnauthenticated = Encoding.UTF8.GetBytes($$$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{{new string('y', 2 * 1024 * 1024)}}}"}],"metadata":{"trace_name":"forged"}}""");

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentQueue<string> _traceIds = new();

    /// <summary>The trace ids of the hostile requests the gateway accepted (200): theirs are the spans that compete with the well-behaved ones'.</summary>
    public IReadOnlyList<string> TraceIds => _traceIds.ToList();

    /// <summary>The trace ids that refused (401) callers sent: no span may ever be in one of them.</summary>
    public IReadOnlyList<string> RefusedTraceIds => _refusedTraceIds.ToList();

    private readonly ConcurrentQueue<string> _refusedTraceIds = new();

    public async Task<string> RunAsync(CancellationToken stop)
    {
        var next = -1;
        await Parallel.ForAsync(0, concurrency, async (_, _) =>
        {
            while (!stop.IsCancellationRequested)
            {
                await OneAsync(Interlocked.Increment(ref next));
            }
        });
        return string.Join(", ", _counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));
    }

    private async Task OneAsync(int i)
    {
        var (kind, body, rightKey) = (i % 20) switch
        {
            < 6 => ("wrong key", Encoding.UTF8.GetBytes($$$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"metadata":{"existing_trace_id":"{{{Guid.NewGuid():N}}}","trace_name":"forged","trace_user_id":"victim"}}"""), false),
            < 10 => ("wrong key 2 MB", LargeUnauthenticated, false),
            < 14 => ("6 MB model", HugeModel, true),
            < 17 => ("60 KB metadata", WideMetadata, true),
            < 19 => ("8 MB malformed", Malformed, true),
            _ => ("9 MB over the limit", OverLimit, true),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rightKey ? key : "sk-wrong-" + i);
        var traceId = Guid.NewGuid().ToString("N");
        request.Headers.Add("traceparent", $"00-{traceId}-{traceId[..16]}-01");
        string outcome;
        try
        {
            using var response = await _http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            outcome = ((int)response.StatusCode).ToString();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                _traceIds.Enqueue(traceId);
            }
            else if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                _refusedTraceIds.Enqueue(traceId);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            outcome = "connection closed";
        }

        _counts.AddOrUpdate($"{kind} -> {outcome}", 1, (_, n) => n + 1);
    }
}

/// <summary>
/// An OTLP/HTTP trace receiver: counts the spans of each trace id in the exports it answers. While
/// hanging it holds every export unanswered; an export the exporter gave up on is not counted.
/// </summary>
internal sealed class Collector : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> _spans = new(StringComparer.Ordinal);
    private WebApplication _app = null!;
    private readonly ExportGate _gate = new();
    private long _answered;
    private long _abandoned;

    public string Url { get; private set; } = string.Empty;

    public long Answered => Interlocked.Read(ref _answered);

    public long Abandoned => Interlocked.Read(ref _abandoned);

    public static async Task<Collector> StartAsync()
    {
        var collector = new Collector();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 256 * 1024 * 1024);
        builder.Logging.ClearProviders();
        collector._app = builder.Build();
        collector._app.MapPost("/v1/traces", collector.ReceiveAsync);
        collector._app.MapPost("/v1/metrics", static () => Results.Ok());
        await collector._app.StartAsync();
        collector.Url = collector._app.Urls.Single();
        return collector;
    }

    public int Spans(string traceId) => _spans.GetValueOrDefault(traceId);

    public void Hang() => _gate.Hang();

    public void Release() => _gate.Release();

    /// <summary>Waits until the given traces' span counts stop changing (three quiet seconds), at most two minutes.</summary>
    public async Task SettleAsync(IEnumerable<string> traceIds)
    {
        var ids = traceIds.ToList();
        var last = -1L;
        var quiet = 0;
        for (var waited = 0; waited < 120 && quiet < 3; waited++)
        {
            await Task.Delay(1000);
            var now = ids.Sum(id => (long)Spans(id));
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = await _gate.ReceiveAsync(context);
        if (body is null)
        {
            Interlocked.Increment(ref _abandoned);
            return;
        }

        OtlpWire.ForEachSpan(body.GetBuffer().AsSpan(0, (int)body.Length), span =>
            _spans.AddOrUpdate(Convert.ToHexStringLower(OtlpWire.Field(span, 1)), 1, (_, n) => n + 1));

        Interlocked.Increment(ref _answered);
        context.Response.ContentType = "application/x-protobuf";
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
