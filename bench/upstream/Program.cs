// Upstream faults under load. A misbehaving OpenAI-compatible upstream runs in this process
// (Kestrel on loopback): /hang answers nothing until the caller hangs up; /endless answers 200 and
// then sends up to 1 GiB (one JSON string that never ends, or, to a streaming request, valid chunks
// without end). For each scenario a fresh sample gateway process is started against it, REQUESTS
// requests are sent CONCURRENCY at a time, and the latency percentiles, the statuses and the
// gateway's peak resident memory (VmHWM from /proc) are printed as a Markdown table row.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Upstream.Bench <TracedLlm.Samples.Gateway.dll> [requests] [concurrency]");
    return 2;
}

var gatewayDll = Path.GetFullPath(args[0]);
var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
var concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
const string ApiKey = "sk-bench-upstream-5e2a";
const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""";
const string StreamBody = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hello"}]}""";

await using var upstream = await Upstream.StartAsync();
var noBreaker = new Dictionary<string, string> { ["Upstream__CircuitBreaker__Enabled"] = "false" };
var scenarios = new (string Name, string Path, string Body, Dictionary<string, string> Settings)[]
{
    ("hanging upstream, 2 s attempt timeout, 1 retry, fallback", "/hang/v1", ChatBody, new(noBreaker) { ["Upstream__TimeoutMs"] = "2000", ["Retry__MaxRetries"] = "1", ["Upstream__FallbackToEmbedded"] = "true" }),
    ("the same, no fallback", "/hang/v1", ChatBody, new(noBreaker) { ["Upstream__TimeoutMs"] = "2000", ["Retry__MaxRetries"] = "1", ["Upstream__FallbackToEmbedded"] = "false" }),
    ("the same with the circuit breaker (default settings), fallback", "/hang/v1", ChatBody, new() { ["Upstream__TimeoutMs"] = "2000", ["Retry__MaxRetries"] = "1", ["Upstream__FallbackToEmbedded"] = "true" }),
    ("upstream sending 1 GiB of JSON", "/endless/v1", ChatBody, new(noBreaker) { ["Retry__MaxRetries"] = "0", ["Upstream__FallbackToEmbedded"] = "false" }),
    ("upstream streaming 1 GiB of chunks", "/endless/v1", StreamBody, new(noBreaker) { ["Retry__MaxRetries"] = "0", ["Upstream__FallbackToEmbedded"] = "false" }),
};

// SCENARIOS=1,4 runs some of them (numbered from 1).
if (Environment.GetEnvironmentVariable("SCENARIOS") is { Length: > 0 } chosen)
{
    var numbers = chosen.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToHashSet();
    scenarios = scenarios.Where((_, i) => numbers.Contains(i + 1)).ToArray();
}

Console.WriteLine($"gateway: {gatewayDll}");
Console.WriteLine($"{requests} requests per scenario, {concurrency} at a time; machine: {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine();
Console.WriteLine("| scenario | statuses | p50 | p99 | max | gateway RSS after start | gateway peak RSS |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var (name, path, body, settings) in scenarios)
{
    settings["Upstream__BaseUrl"] = upstream.Address + path;
    settings["Gateway__ApiKeys"] = ApiKey;
    settings["Logging__LogLevel__Default"] = "Error";
    await using var gateway = await GatewayProcess.StartAsync(gatewayDll, settings);
    var idleRss = gateway.Resident("VmRSS") / 1024;
    var (latencies, statuses) = await DriveAsync(gateway.Url, body);
    var peakRss = gateway.Resident("VmHWM") / 1024;
    latencies.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}"))} | {Ms(Percentile(latencies, 0.50))} | {Ms(Percentile(latencies, 0.99))} | {Ms(latencies[^1])} | {idleRss / 1024.0:0} MiB | {peakRss / 1024.0:0} MiB |"));
}

return 0;

async Task<(List<double> Latencies, ConcurrentDictionary<string, int> Statuses)> DriveAsync(string address, string body)
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
    var latencies = new List<double>();
    var statuses = new ConcurrentDictionary<string, int>();
    var next = 0;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) <= requests)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            var clock = Stopwatch.StartNew();
            string outcome;
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var text = await response.Content.ReadAsStringAsync();
                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)
                    + (response.Content.Headers.ContentType?.MediaType == "text/event-stream" && text.Contains("\"error\"", StringComparison.Ordinal) ? " + error event" : string.Empty)
                    + (Regex.Match(text, "\"code\":\"([a-z_]+)\"") is { Success: true } code ? $" {code.Groups[1].Value}" : string.Empty);
            }
            catch (Exception exception)
            {
                outcome = exception.GetType().Name;
            }

            var elapsed = clock.Elapsed.TotalMilliseconds;
            lock (latencies)
            {
                latencies.Add(elapsed);
            }

            statuses.AddOrUpdate(outcome, 1, (_, count) => count + 1);
        }
    }));
    return (latencies, statuses);
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

static string Ms(double milliseconds) => milliseconds >= 1000
    ? string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1000:0.00} s")
    : string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0} ms");

/// <summary>The misbehaving upstream.</summary>
internal sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Upstream(WebApplication app)
    {
        _app = app;
    }

    public string Address { get; private set; } = string.Empty;

    public static async Task<Upstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new Upstream(app);
        app.MapPost("/hang/v1/chat/completions", async (HttpContext context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        });
        app.MapPost("/endless/v1/chat/completions", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var streaming = (await reader.ReadToEndAsync()).Contains("\"stream\":true", StringComparison.Ordinal);
            context.Response.ContentType = streaming ? "text/event-stream" : "application/json";
            const string Chunk = "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more\"},\"finish_reason\":null}]}\n\n";
            var piece = Encoding.UTF8.GetBytes(streaming ? string.Concat(Enumerable.Repeat(Chunk, 512)) : new string('x', 64 * 1024));
            try
            {
                if (!streaming)
                {
                    await context.Response.Body.WriteAsync("{\"id\":\""u8.ToArray(), context.RequestAborted);
                }

                for (long sent = 0; sent < 1L << 30 && !context.RequestAborted.IsCancellationRequested; sent += piece.Length)
                {
                    await context.Response.Body.WriteAsync(piece, context.RequestAborted);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException)
            {
            }
        });
        await app.StartAsync();
        upstream.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
