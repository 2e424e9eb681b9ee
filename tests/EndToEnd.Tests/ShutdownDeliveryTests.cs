using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// Delivery on shutdown and after a crash, with the sample gateway as a real process: stopped by
/// SIGTERM, every span queued at that moment reaches a real OTLP receiver (third-party decoder) when
/// it is up, and the stop still ends within <c>TracedLlm:Export:ShutdownTimeout</c> when the
/// collector hangs; killed by SIGKILL while the collector is down, every span its disk buffer held
/// reaches the receiver through the next process started on the same directory.
/// </summary>
public sealed class ShutdownDeliveryTests(ITestOutputHelper output)
{
    // A gateway process and its collector: a minute at most, the diagnostics endpoint asked every 25 ms.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    private const string ApiKey = "sk-e2e-shutdown-7c2d";

    // Seven spans a request (server, auth, pre-call, LLM, two guardrails, one attempt): 350 queued.
    private const int Requests = 50;

    [Fact]
    public async Task SigtermDeliversTheQueuedSpansToARunningCollector()
    {
        var (receiver, port) = await SampleGatewayProcess.StartReceiverAsync();
        using var _ = receiver;
        using var gateway = SampleGatewayProcess.Start(
            Settings(
                $"http://127.0.0.1:{port}",
                shutdownTimeout: "00:00:30",
                new()
                {
                    // Nothing leaves before the stop: no scheduled export for ten minutes, no full batch.
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "600000",
                    ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] = "4096",
                    ["OTEL_BSP_MAX_QUEUE_SIZE"] = "8192",
                }));
        var url = await SampleGatewayProcess.UrlAsync(gateway);
        using var http = new HttpClient();
        await SendAsync(http, url, Requests);
        var queued = await StoppedSpansAsync(http, url, Requests * 7);
        Assert.Equal(0, Spans(receiver));

        await SampleGatewayProcess.TerminateAsync(gateway);
        var exit = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exit == 0, $"exit code {exit?.ToString() ?? "none: still running"}:\n{gateway.Output}");
        var delivered = await ArrivedAsync(receiver, queued);
        output.WriteLine($"spans queued at SIGTERM: {queued}; delivered: {delivered}");
        Assert.True(delivered >= queued * 0.99, $"{delivered} of {queued} spans delivered");
        Assert.Equal(queued, delivered);
        Assert.DoesNotContain("dropped", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigtermEndsWithinTheShutdownBoundWhenTheCollectorHangs()
    {
        // A collector that accepts connections and never answers.
        using var collector = new TcpListener(IPAddress.Loopback, 0);
        collector.Start();
        var held = new List<Socket>();
        using var stopAccepting = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stopAccepting.IsCancellationRequested)
            {
                var socket = await collector.AcceptSocketAsync(stopAccepting.Token);
                lock (held)
                {
                    held.Add(socket);
                }
            }
        });

        using var gateway = SampleGatewayProcess.Start(
            Settings(
                $"http://127.0.0.1:{((IPEndPoint)collector.LocalEndpoint).Port}",
                shutdownTimeout: "00:00:02",
                new()
                {
                    // The exporter itself would wait two minutes for an answer; a batch leaves at once.
                    ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "120000",
                    ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
                }));
        var url = await SampleGatewayProcess.UrlAsync(gateway);
        using var http = new HttpClient();
        await SendAsync(http, url, 10);
        await Eventually.HoldsAsync(
            () =>
            {
                lock (held)
                {
                    return held.Count > 0;
                }
            },
            "the gateway to connect to the collector",
            Patience,
            Poll);
        await SendAsync(http, url, 10);
        await StoppedSpansAsync(http, url, 20 * 7);

        var stopping = Stopwatch.StartNew();
        await SampleGatewayProcess.TerminateAsync(gateway);
        var exit = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(90));
        stopping.Stop();
        stopAccepting.Cancel();
        collector.Stop();
        await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        lock (held)
        {
            held.ForEach(socket => socket.Dispose());
        }

        output.WriteLine(
            $"SIGTERM to exit with a hanging collector and a 2 s bound: {stopping.Elapsed.TotalSeconds:0.0} s");
        Assert.True(exit == 0, $"exit code {exit?.ToString() ?? "none: still running"}:\n{gateway.Output}");

        // Without the bound the stop would wait for the exporter (120 s) or the host's own 30 s.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"stop took {stopping.Elapsed}:\n{gateway.Output}");
        Assert.Contains("TracedLlm export: the shut-down's 2 s ran out with", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterSigkillTheNextProcessDeliversWhatTheDiskBufferHeld()
    {
        var directory = Path.Combine(Path.GetTempPath(), "tracedllm-e2e-disk-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
        var settings = Settings($"http://127.0.0.1:{port}", shutdownTimeout: "00:00:05", new()
        {
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
            ["TracedLlm__Export__DiskBufferDirectory"] = directory,
            ["TracedLlm__Export__RetryInitialBackoff"] = "00:00:00.200",
            ["TracedLlm__Export__RetryMaxBackoff"] = "00:00:00.500",
        });
        try
        {
            // The collector is down (its port refuses): every batch waits in the disk buffer.
            long ended;
            using (var crashing = SampleGatewayProcess.Start(settings))
            {
                var url = await SampleGatewayProcess.UrlAsync(crashing);
                using var http = new HttpClient();
                await SendAsync(http, url, Requests);
                ended = await StoppedSpansAsync(http, url, Requests * 7);
                await Eventually.HoldsAsync(
                    () => SpansOnDisk(directory) == ended,
                    $"the disk buffer to hold {ended} spans",
                    Patience,
                    Poll);
                await SampleGatewayProcess.KillAsync(crashing);
                Assert.Equal(137, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            }

            // The collector comes back on its port; the next process delivers what the first one left.
            var (receiver, _) = await SampleGatewayProcess.StartReceiverAsync(port);
            using var __ = receiver;
            using var next = SampleGatewayProcess.Start(settings);
            await SampleGatewayProcess.UrlAsync(next);
            var delivered = await ArrivedAsync(receiver, ended, TimeSpan.FromSeconds(60));
            output.WriteLine($"spans ended before SIGKILL: {ended}; delivered after the restart: {delivered}");
            Assert.Equal(ended, delivered);
            Assert.Equal(ended, SpanIds(receiver).Distinct().Count());
            await Eventually.HoldsAsync(() => SpansOnDisk(directory) == 0, "the disk buffer to empty", Patience, Poll);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    // The spans in the disk buffer's batches, read from their file names ({ticks}-{sequence}-{bytes}-{spans}.otlp).
    private static long SpansOnDisk(string directory) =>
        !Directory.Exists(directory)
            ? 0
            : Directory
                .EnumerateFiles(directory, "*.otlp", SearchOption.AllDirectories)
                .Sum(file =>
                    long.Parse(
                        Path.GetFileNameWithoutExtension(file).Split('-')[^1],
                        System.Globalization.CultureInfo.InvariantCulture));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Dictionary<string, string?> Settings(
        string collector,
        string shutdownTimeout,
        Dictionary<string, string?> more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway__ApiKeys"] = ApiKey,
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-e2e-shutdown",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-e2e-shutdown-51ce",
            ["LANGFUSE_OTEL_HOST"] = collector,
            ["TracedLlm__Export__ShutdownTimeout"] = shutdownTimeout,
            ["Tracing__Console"] = "false",
            ["Diagnostics__CountActivities"] = "true",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static async Task SendAsync(HttpClient http, string url, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url + "/v1/chat/completions")
            {
                Content = new StringContent(
                    $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"shutdown {{i}}"}]}""",
                    Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    // Every span of the requests ended (a server span ends just after its response is sent): the number ended.
    private static async Task<long> StoppedSpansAsync(HttpClient http, string url, int expected)
    {
        long stopped = 0;
        await Eventually.HoldsAsync(async () =>
        {
            using var counts = JsonDocument.Parse(await http.GetStringAsync(url + "/tracedllm/diagnostics"));
            stopped = counts.RootElement.GetProperty("stopped").GetInt64();
            return stopped >= expected;
        }, $"{expected} spans to end", Patience, Poll);
        return stopped;
    }

    private static async Task<int> ArrivedAsync(ChildProcess receiver, long expected, TimeSpan? within = null)
    {
        // The receiver prints a request before it answers it, but its output reaches us a little later.
        // The count is returned either way: the callers assert it (fewer is what they report).
        await Eventually.TryAsync(
            () => Spans(receiver) >= expected,
            within ?? TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(50));
        return Spans(receiver);
    }

    private static int Spans(ChildProcess receiver) => SpanIds(receiver).Count();

    private static IEnumerable<string> SpanIds(ChildProcess receiver) =>
        receiver.Lines.Select(ExportRequest.TryParse).OfType<ExportRequest>()
            .Where(e => e.Path == "/api/public/otel/v1/traces" && e.Error is null)
            .SelectMany(e => e.Spans.Where(s => s.Service == "tracedllm-sample-gateway").Select(s => s.SpanId));
}
