// A bounded loopback load run against a running sample gateway: N requests at concurrency C, a
// tenth of them streaming clients that abort after the first chunk. Prints statuses, latency
// percentiles, and the gateway's span start/stop counts and memory before and after.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

var url = args.Length > 0 ? args[0] : "http://127.0.0.1:4000";
var requests = args.Length > 1 ? int.Parse(args[1]) : 20_000;
var concurrency = args.Length > 2 ? int.Parse(args[2]) : 64;
var rounds = args.Length > 3 ? int.Parse(args[3]) : 2;
const string Key = "sk-load-7c1e";

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

async Task<JsonElement> Diagnostics() => JsonDocument.Parse(await http.GetStringAsync("/tracedllm/diagnostics")).RootElement.Clone();

var failed = false;
var first = await Diagnostics();
for (var round = 1; round <= rounds; round++)
{
    Console.WriteLine($"round {round}:");
    failed |= await RunRound(await Diagnostics());
}

var last = await Diagnostics();
Console.WriteLine($"over {rounds} rounds: working set {first.GetProperty("working_set_bytes").GetInt64() / 1048576.0:F1} MiB at start, {last.GetProperty("working_set_bytes").GetInt64() / 1048576.0:F1} MiB at the end");
return failed ? 1 : 0;

async Task<bool> RunRound(JsonElement before)
{
    var statuses = new ConcurrentDictionary<int, int>();
    var latencies = new ConcurrentBag<double>();
    var aborted = 0;
    var clock = Stopwatch.StartNew();
    await Parallel.ForAsync(0, requests, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
    {
        var streaming = i % 10 == 0;
        var path = i % 2 == 0 ? "/v1/chat/completions" : "/v1/messages";
        var body = path == "/v1/messages"
            ? $$$"""{"model":"claude-sonnet","max_tokens":64,"stream":{{{(streaming ? "true" : "false")}}},"messages":[{"role":"user","content":"load test message number {{{i}}}"}],"litellm_metadata":{"trace_name":"load"}}"""
            : $$$"""{"model":"gpt-4o-mini","stream":{{{(streaming ? "true" : "false")}}},"messages":[{"role":"user","content":"load test message number {{{i}}}"}],"metadata":{"trace_name":"load"}}""";
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        if (streaming)
        {
            // Read the first event, then walk away mid-stream.
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await reader.ReadLineAsync();
            Interlocked.Increment(ref aborted);
        }
        else
        {
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    });
    var elapsed = clock.Elapsed;

    // Let aborted streams finish ending their spans, then compare the counts.
    JsonElement after;
    var settle = Stopwatch.StartNew();
    do
    {
        await Task.Delay(250);
        after = await Diagnostics();
    }
    while (after.GetProperty("started").GetInt64() != after.GetProperty("stopped").GetInt64() && settle.Elapsed < TimeSpan.FromSeconds(20));

    var sorted = latencies.OrderBy(l => l).ToArray();
    double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
    var started = after.GetProperty("started").GetInt64() - before.GetProperty("started").GetInt64();
    var stopped = after.GetProperty("stopped").GetInt64() - before.GetProperty("stopped").GetInt64();
    Console.WriteLine($"requests: {requests} at concurrency {concurrency} in {elapsed.TotalSeconds:F1} s ({requests / elapsed.TotalSeconds:F0} req/s); streaming clients that aborted mid-stream: {aborted}");
    Console.WriteLine($"statuses: {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key} x {p.Value}"))}");
    Console.WriteLine($"latency of non-streaming requests: p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms");
    Console.WriteLine($"spans started {started}, stopped {stopped}, leaked {started - stopped}");
    Console.WriteLine($"working set before {before.GetProperty("working_set_bytes").GetInt64() / 1048576.0:F1} MiB, after {after.GetProperty("working_set_bytes").GetInt64() / 1048576.0:F1} MiB; managed heap before {before.GetProperty("managed_heap_bytes").GetInt64() / 1048576.0:F1} MiB, after {after.GetProperty("managed_heap_bytes").GetInt64() / 1048576.0:F1} MiB");
    return statuses.Keys.Any(s => s >= 500) || started != stopped;
}
