// Chaos bench: the sample gateway under load with faults (a third of the requests fail on purpose or
// walk away mid-stream) while its OTLP collector hangs, answers 503 or restarts (refusing connections)
// for a while, and once a SIGKILL of the gateway with its disk buffer on. It counts every span the
// gateway ended (its /tracedllm/diagnostics) against every distinct span the collector took, and
// reports the gateway's RSS and the well-behaved requests' p99. See bench/chaos/run and
// docs/reliability/export-under-load.md ("Outages of the collector").
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TracedLlm.Tests;

var gatewayDll = Environment.GetEnvironmentVariable("GATEWAY") ?? throw new ArgumentException("GATEWAY: the sample gateway's dll");
var scenarios = args.Length > 0 ? args : new[] { "hang:2", "503:2", "restart:2", "hang:10", "503:10", "restart:10", "hang:30", "503:30", "restart:30", "sigkill:10" };
var rate = int.Parse(Environment.GetEnvironmentVariable("RATE") ?? "1000");
var settleSeconds = int.Parse(Environment.GetEnvironmentVariable("SETTLE") ?? "90");
const string Key = "sk-bench-chaos-2b7d";

Console.WriteLine($"# chaos bench: {rate} requests/s offered (about a third failing or leaving), {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start");
Console.WriteLine("| scenario | requests (achieved req/s) | statuses | spans ended | spans delivered | delivered | duplicates | all delivered, after the load's end | gateway peak RSS | p99 well-behaved, whole run / during the fault | dropped (warnings) |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
var failed = false;
foreach (var scenario in scenarios)
{
    var (mode, seconds) = (scenario.Split(':')[0], int.Parse(scenario.Split(':')[1]));
    failed |= !await RunAsync(mode, TimeSpan.FromSeconds(seconds));
}

return failed ? 1 : 0;

async Task<bool> RunAsync(string mode, TimeSpan fault)
{
    await using var collector = await Collector.StartAsync();
    var disk = mode == "sigkill" ? Directory.CreateTempSubdirectory("tracedllm-chaos-").FullName : null;
    var gateway = await Gateway.StartAsync(gatewayDll, collector.Url, Key, disk);
    try
    {
        // Warm-up, not measured: the JIT, the pools, the exporter's connections.
        await new Load(gateway.Url, Key, rate).RunAsync(TimeSpan.FromSeconds(5), faultWindow: null);
        await SettleAsync(gateway, collector, TimeSpan.FromSeconds(30));
        var endedBefore = (await gateway.CountsAsync()).Stopped;
        var deliveredBefore = collector.Distinct;
        var bytesBefore = collector.Bytes;
        gateway.ResetPeak();

        var load = new Load(gateway.Url, Key, rate);
        var before = TimeSpan.FromSeconds(5);
        var window = (Start: before, End: before + fault);
        var running = load.RunAsync(before + fault + TimeSpan.FromSeconds(5), window);
        await Task.Delay(before);
        var faultStarted = Stopwatch.StartNew();
        long endedAtKill = 0;
        switch (mode)
        {
            case "hang":
                collector.Hang();
                break;
            case "503":
                collector.Status = 503;
                break;
            case "restart":
            case "sigkill":
                await collector.StopListeningAsync();
                break;
        }

        if (mode == "sigkill")
        {
            // Mid-outage: the load stops, every span ends and is sealed into the disk buffer, then SIGKILL.
            await Task.Delay(fault / 3);
            load.Stop();
            await running;
            await Task.Delay(1500);
            endedAtKill = (await gateway.CountsAsync()).Stopped;
            gateway.Dispose(); // SIGKILL (Process.Kill), and its sampler and handle go with it
            gateway = await Gateway.StartAsync(gatewayDll, collector.Url, Key, disk);
        }

        await Task.Delay(fault - faultStarted.Elapsed > TimeSpan.Zero ? fault - faultStarted.Elapsed : TimeSpan.Zero);
        collector.Release();
        collector.Status = 200;
        await collector.ListenAgainAsync();
        var run = await running;
        var loadEnded = Stopwatch.StartNew();

        var ended = mode == "sigkill" ? endedAtKill - endedBefore : (await gateway.CountsAsync()).Stopped - endedBefore;
        var deliveredAt = await Eventually.TryAsync(() => collector.Distinct - deliveredBefore >= ended, TimeSpan.FromSeconds(settleSeconds), TimeSpan.FromMilliseconds(100));
        var delivered = collector.Distinct - deliveredBefore;
        var deliveredIn = deliveredAt ? $"{loadEnded.Elapsed.TotalSeconds:0.0} s" : $"not within {settleSeconds} s";
        var peak = gateway.PeakRss;
        var drops = gateway.DropWarnings();
        Console.Error.WriteLine($"{mode} {fault.TotalSeconds:0} s: {(double)(collector.Bytes - bytesBefore) / Math.Max(1, delivered):0} bytes a delivered span (OTLP/HTTP bodies as sent)");
        Console.WriteLine($"| {mode} {fault.TotalSeconds:0} s | {run.Requests:N0} ({run.Requests / run.Elapsed.TotalSeconds:N0}) | {run.Statuses} | {ended:N0} | {delivered:N0} | {100.0 * delivered / Math.Max(1, ended):0.00} % | {collector.Duplicates:N0} | {deliveredIn} | {peak / 1048576.0:0} MiB | {run.Percentile(99, duringFault: false):0.0} / {run.Percentile(99, duringFault: true):0.0} ms | {drops} |");
        return delivered >= ended;
    }
    finally
    {
        gateway.Dispose();
        if (disk is not null)
        {
            Directory.Delete(disk, recursive: true);
        }
    }
}

static async Task SettleAsync(Gateway gateway, Collector collector, TimeSpan within)
{
    var deadline = Stopwatch.StartNew();
    long last = -1;
    while (deadline.Elapsed < within)
    {
        await Task.Delay(1000);
        var now = collector.Distinct;
        if (now == last && now >= (await gateway.CountsAsync()).Stopped)
        {
            return;
        }

        last = now;
    }
}

/// <summary>
/// Open-loop load at a fixed rate (at most 256 requests open at once): chat and messages, streamed
/// and not; 10 % of requests blocked by the guardrail, 5 % malformed, 5 % with a wrong key, and 10 %
/// streaming clients that read the first event and leave.
/// </summary>
internal sealed class Load(string url, string key, int rate)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
    private readonly CancellationTokenSource _stop = new();

    public void Stop() => _stop.Cancel();

    public async Task<Result> RunAsync(TimeSpan duration, (TimeSpan Start, TimeSpan End)? faultWindow)
    {
        var result = new Result();
        var clock = Stopwatch.StartNew();
        var open = new SemaphoreSlim(256);
        var running = new List<Task>();
        long sent = 0;
        while (clock.Elapsed < duration && !_stop.IsCancellationRequested)
        {
            var due = TimeSpan.FromSeconds((double)sent / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            await open.WaitAsync();
            var i = sent++;
            var at = clock.Elapsed;
            var inFault = faultWindow is { } w && at >= w.Start && at < w.End;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await OneAsync(i, result, inFault);
                }
                finally
                {
                    open.Release();
                }
            }));
            if (running.Count > 4096)
            {
                running.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(running);
        result.Elapsed = clock.Elapsed;
        result.Requests = sent;
        return result;
    }

    private async Task OneAsync(long i, Result result, bool inFault)
    {
        var kind = i % 20;
        var messages = i % 2 == 1;
        var leaves = kind is 0 or 10;
        var stream = leaves || kind % 4 == 1;
        var content = kind is 2 or 12 ? "please say something forbidden" : $"chaos request {i}";
        var body = messages
            ? $$$"""{"model":"claude-sonnet","max_tokens":64,"stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"{{{content}}}"}],"litellm_metadata":{"trace_name":"chaos"}}"""
            : $$$"""{"model":"gpt-4o-mini","stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"{{{content}}}"}],"metadata":{"trace_name":"chaos"}}""";
        if (kind == 4)
        {
            body = body[..(body.Length / 2)];
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, messages ? "/v1/messages" : "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", kind == 6 ? "sk-wrong" : key);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            if (leaves && response.StatusCode == HttpStatusCode.OK)
            {
                await reader.ReadLineAsync();
                result.Add(-1, 0, false, false);
                return;
            }

            await reader.ReadToEndAsync();
            var wellBehaved = kind is not (2 or 12 or 4 or 6) && !stream;
            result.Add((int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, wellBehaved, inFault);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            result.Add(0, 0, false, false);
        }
    }

    internal sealed class Result
    {
        private readonly ConcurrentDictionary<int, int> _statuses = new();
        private readonly ConcurrentBag<double> _all = new();
        private readonly ConcurrentBag<double> _fault = new();

        public long Requests { get; set; }

        public TimeSpan Elapsed { get; set; }

        public string Statuses => string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == -1 ? "left mid-stream" : s.Key == 0 ? "failed" : s.Key.ToString())} × {s.Value:N0}"));

        public void Add(int status, double milliseconds, bool wellBehaved, bool inFault)
        {
            _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (wellBehaved && status == 200)
            {
                _all.Add(milliseconds);
                if (inFault)
                {
                    _fault.Add(milliseconds);
                }
            }
        }

        public double Percentile(int percent, bool duringFault)
        {
            var sorted = (duringFault ? _fault : _all).OrderBy(v => v).ToArray();
            return sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(percent / 100.0 * sorted.Length) - 1)];
        }
    }
}

/// <summary>
/// The OTLP collector: counts the distinct spans (by span id) of the exports it answers 200, and can
/// hang, answer another status, or stop listening (its port refuses connections) and listen again.
/// </summary>
internal sealed class Collector : IAsyncDisposable
{
    private readonly HashSet<ulong> _seen = new();
    private readonly ExportGate _gate = new();
    private readonly int _port = ExportGate.FreePort();
    private WebApplication? _app;
    private long _duplicates;
    private long _bytes;

    /// <summary>The bytes of the export bodies it answered 200.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public string Url => $"http://127.0.0.1:{_port}";

    public int Status { get; set; } = 200;

    public long Distinct
    {
        get
        {
            lock (_seen)
            {
                return _seen.Count;
            }
        }
    }

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public static async Task<Collector> StartAsync()
    {
        var collector = new Collector();
        await collector.ListenAgainAsync();
        return collector;
    }

    public void Hang() => _gate.Hang();

    public void Release() => _gate.Release();

    /// <summary>Stops listening: what is in flight is cut, new connections are refused.</summary>
    public async Task StopListeningAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(new CancellationToken(canceled: true));
            await app.DisposeAsync();
        }
    }

    public async Task ListenAgainAsync()
    {
        if (_app is not null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 256 * 1024 * 1024);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/traces", ReceiveAsync);
        await app.StartAsync();
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await StopListeningAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = await _gate.ReceiveAsync(context);
        if (body is null)
        {
            return;
        }

        if (Status != 200)
        {
            context.Response.StatusCode = Status;
            return;
        }

        Interlocked.Add(ref _bytes, body.Length);
        lock (_seen)
        {
            OtlpWire.ForEachSpan(body.GetBuffer().AsSpan(0, (int)body.Length), span =>
            {
                if (!_seen.Add(BinaryPrimitives.ReadUInt64BigEndian(OtlpWire.Field(span, 2))))
                {
                    _duplicates++;
                }
            });
        }

        context.Response.ContentType = "application/x-protobuf";
    }

}

/// <summary>The sample gateway as a child process (bench/Shared): its span counts, its peak RSS, the drop warnings it logged.</summary>
internal sealed class Gateway : IDisposable
{
    private readonly GatewayProcess _process;
    private readonly ConcurrentQueue<string> _errors;
    private readonly Timer _sampler;
    private long _peak;

    private Gateway(GatewayProcess process, ConcurrentQueue<string> errors)
    {
        _process = process;
        _errors = errors;
        _sampler = new Timer(_ => Sample(), null, 0, 250);
    }

    public string Url => _process.Url;

    public long PeakRss => Interlocked.Read(ref _peak);

    public static async Task<Gateway> StartAsync(string dll, string collectorUrl, string key, string? disk)
    {
        var settings = new Dictionary<string, string>
        {
            ["Gateway__ApiKeys"] = key,
            ["Diagnostics__CountActivities"] = "true",
            ["EmbeddedProvider__TokenDelayMs"] = "5",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collectorUrl,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__Console__LogToStandardErrorThreshold"] = "Warning",
        };
        if (disk is not null)
        {
            settings["TracedLlm__Export__DiskBufferDirectory"] = disk;
        }

        var errors = new ConcurrentQueue<string>();
        return new Gateway(await GatewayProcess.StartAsync(dll, settings, errors.Enqueue), errors);
    }

    public async Task<(long Started, long Stopped)> CountsAsync()
    {
        using var http = new HttpClient();
        using var counts = JsonDocument.Parse(await http.GetStringAsync(Url + "/tracedllm/diagnostics"));
        return (counts.RootElement.GetProperty("started").GetInt64(), counts.RootElement.GetProperty("stopped").GetInt64());
    }

    public void ResetPeak() => Interlocked.Exchange(ref _peak, 0);

    /// <summary>The last "N span(s) dropped so far" the export logged, or 0.</summary>
    public string DropWarnings()
    {
        var lines = _errors.Where(l => l.Contains("TracedLlm export", StringComparison.Ordinal)).ToList();
        return lines.Count == 0 ? "0" : string.Join("; ", lines.Select(l => l.Length > 160 ? l[..160] + "…" : l).Distinct().Take(3));
    }

    public void Dispose()
    {
        _sampler.Dispose();
        _process.Dispose();
    }

    private void Sample()
    {
        try
        {
            var rss = _process.Resident("VmRSS");
            long seen;
            while (rss > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, rss, seen) != seen)
            {
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The process has gone.
        }
    }
}
