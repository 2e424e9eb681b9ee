// What team- and key-based destinations cost a process: requests of seven spans, recorded as the
// runtime records them (a TracedLlm server span naming its authenticated caller, six children, ten
// attributes each), at a steady rate, each request from one of N teams in turn, each team with its
// own OTLP destination (AddTracedLlmDestinations). The collector is a second process (this program,
// mode "collector") that counts the spans it receives, so the CPU measured is the gateway side's
// alone: recording, routing, serializing, sending.
//   dotnet run -c Release --project bench/destinations -- run TEAMS [MAX_LIVE] [RATE] [SECONDS]
//       TEAMS 0 is the baseline: one OTLP exporter for every request (AddTracedLlmOtlpExporter's processor);
//       TEAMS 1, 10, 100: that many teams, each its own destination; MAX_LIVE the live-destination bound
//       (default: TEAMS, at least 1, so none is closed; smaller closes the one used longest ago)
//   bench/destinations/run runs the set in turn, ROUNDS (3) times
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm;
using TracedLlm.Telemetry;

if (args.FirstOrDefault() == "collector")
{
    await Collector.Run();
    return;
}

if (args.Length < 2 || args[0] != "run")
{
    Console.Error.WriteLine("usage: Destinations run TEAMS [MAX_LIVE] [RATE] [SECONDS] | collector");
    Environment.Exit(2);
}

var teams = Arg(1, 1);
var maxLive = Arg(2, Math.Max(teams, 1));
var rate = Arg(3, 2000);
var seconds = Arg(4, 10);

using var collector = Collector.Start();
var endpoint = collector.Url;

var dropped = 0L;
using var drops = new MeterListener
{
    InstrumentPublished = (instrument, listener) =>
    {
        if (instrument.Meter.Name == TracedLlmTelemetry.SourceName && instrument.Name == "tracedllm.export.dropped_spans")
        {
            listener.EnableMeasurementEvents(instrument);
        }
    },
};
drops.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
drops.Start();

var builder = Sdk.CreateTracerProviderBuilder().AddSource(TracedLlmTelemetry.SourceName);
var callers = new LlmCaller[Math.Max(teams, 1)];
if (teams == 0)
{
    builder.AddProcessor(new BoundedExportProcessor(
        new OtlpExporterOptions { Endpoint = new Uri(endpoint + "team-0/v1/traces"), Protocol = OtlpExportProtocol.HttpProtobuf },
        new ExportQueueOptions { Warn = _ => { } }));
}
else
{
    builder.AddTracedLlmDestinations(routing =>
    {
        routing.MaxLiveDestinations = maxLive;
        routing.DenyUnmatched = true;
        for (var team = 0; team < teams; team++)
        {
            var destination = new TraceDestinationOptions { Kind = TraceDestinationKind.Otlp, Endpoint = $"{endpoint}team-{team}/v1/traces" };
            destination.Teams.Add($"team-{team}");
            routing.Destinations[$"team-{team}"] = destination;
        }
    });
}

for (var team = 0; team < callers.Length; team++)
{
    callers[team] = new LlmCaller { TeamId = $"team-{team}", TeamAlias = $"Team {team}", KeyAlias = $"team-{team}-key-1" };
}

using var provider = builder.Build()!;
var sent = 0L;

// Warm-up (JIT, connections, every destination opened), then the measured window: the requests at
// the rate, then until the collector has every span (or 30 s), the process's CPU over both.
// Tiered compilation runs on a thread of its own for seconds after start (it took over half the
// window's CPU after a 3 s warm-up, profiled with perf): the warm-up goes on, a second at a time
// (at most 15 more), until a second passes in which the JIT spent under 10 ms; what it spent in the
// window is reported.
Load(Math.Min(seconds, 3));
for (var more = 0; more < 15; more++)
{
    var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
    Load(1);
    if (System.Runtime.JitInfo.GetCompilationTime() - jitBefore < TimeSpan.FromMilliseconds(10))
    {
        break;
    }
}

Delivered(sent, TimeSpan.FromSeconds(30));
var jit0 = System.Runtime.JitInfo.GetCompilationTime();
var (cpu0, received0, dropped0, posts0) = (Process.GetCurrentProcess().TotalProcessorTime, collector.Spans(), Interlocked.Read(ref dropped), collector.Requests());
var wall = Stopwatch.StartNew();
var requests = Load(seconds);
var complete = Delivered(sent, TimeSpan.FromSeconds(30));
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
var received = collector.Spans() - received0;
var posts = collector.Requests() - posts0;
var jit = System.Runtime.JitInfo.GetCompilationTime() - jit0;
GC.Collect();
GC.WaitForPendingFinalizers();
using var self = Process.GetCurrentProcess();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"destinations teams={teams} max_live={maxLive} rate={rate}/s: {cpu.TotalMicroseconds / requests:0.0} µs CPU a request, {requests} requests in {wall.Elapsed.TotalSeconds:0.0} s; "
    + $"received {received} of {requests * 7} spans in {posts} OTLP requests{(complete ? string.Empty : " (incomplete)")}, dropped {Interlocked.Read(ref dropped) - dropped0}; "
    + $"managed heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB, working set {self.WorkingSet64 / 1048576.0:0.0} MiB (peak {self.PeakWorkingSet64 / 1048576.0:0.0}), {self.Threads.Count} threads; JIT {jit.TotalMilliseconds:0} ms in the window"));
provider.Shutdown(5000);
return;

// Requests at the rate for the seconds given, in ticks of 10 ms; each from the next team in turn.
int Load(int duration)
{
    var perTick = Math.Max(1, rate / 100);
    var clock = Stopwatch.StartNew();
    var count = 0;
    for (var tick = 0; tick < duration * 100; tick++)
    {
        for (var i = 0; i < perTick; i++)
        {
            Request(callers[(int)(sent / 7 % callers.Length)]);
            sent += 7;
            count++;
        }

        var next = TimeSpan.FromMilliseconds(10 * (tick + 1)) - clock.Elapsed;
        if (next > TimeSpan.Zero)
        {
            Thread.Sleep(next);
        }
    }

    return count;
}

bool Delivered(long expected, TimeSpan timeout)
{
    provider.ForceFlush((int)timeout.TotalMilliseconds);
    var clock = Stopwatch.StartNew();
    while (collector.Spans() + Interlocked.Read(ref dropped) < expected && clock.Elapsed < timeout)
    {
        Thread.Sleep(20);
    }

    return collector.Spans() + Interlocked.Read(ref dropped) >= expected;
}

int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

// One request as the runtime records it: the server span carries its authenticated caller.
static void Request(LlmCaller caller)
{
    using var server = TracedLlmTelemetry.Source.StartActivity(SpanNames.Server, ActivityKind.Server)!;
    server.SetCustomProperty(LlmCaller.ActivityPropertyName, caller);
    Tag(server);
    for (var child = 0; child < 6; child++)
    {
        using var span = TracedLlmTelemetry.Source.StartActivity("litellm_request", ActivityKind.Client)!;
        Tag(span);
    }
}

static void Tag(Activity span)
{
    span.SetTag("gen_ai.operation.name", "chat");
    span.SetTag("gen_ai.provider.name", "openai");
    span.SetTag("gen_ai.request.model", "gpt-4o-mini");
    span.SetTag("gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    span.SetTag("gen_ai.usage.input_tokens", 12L);
    span.SetTag("gen_ai.usage.output_tokens", 34L);
    span.SetTag("http.route", "/v1/chat/completions");
    span.SetTag("langfuse.observation.type", "generation");
    span.SetTag("langfuse.trace.tags", new[] { "a", "b" });
    span.SetTag("user_api_key_hash", "9f86d081884c7d659a2feaa0c55ad015");
}

/// <summary>
/// The collector, in a process of its own: every <c>POST /{team}/v1/traces</c> answered 200 and its
/// spans counted (OTLP/HTTP protobuf read just deep enough to count them); <c>GET /count</c> the total,
/// <c>GET /requests</c> the OTLP requests received.
/// </summary>
internal sealed class Collector : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client = new();

    private Collector(Process process, string url) => (_process, Url) = (process, url);

    public string Url { get; }

    public static Collector Start()
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Collector).Assembly.Location);
        }

        start.ArgumentList.Add("collector");
        var process = Process.Start(start)!;
        var url = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The collector did not start.");
        return new Collector(process, url);
    }

    public long Spans() => long.Parse(_client.GetStringAsync(Url + "count").GetAwaiter().GetResult(), CultureInfo.InvariantCulture);

    public long Requests() => long.Parse(_client.GetStringAsync(Url + "requests").GetAwaiter().GetResult(), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _client.Dispose();
    }

    public static async Task Run()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        long spans = 0;
        long requests = 0;
        app.MapPost("/{team}/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Interlocked.Add(ref spans, CountSpans(body.GetBuffer().AsSpan(0, (int)body.Length)));
            Interlocked.Increment(ref requests);
        });
        app.MapGet("/count", () => Interlocked.Read(ref spans).ToString(CultureInfo.InvariantCulture));
        app.MapGet("/requests", () => Interlocked.Read(ref requests).ToString(CultureInfo.InvariantCulture));
        await app.StartAsync();
        Console.WriteLine(app.Urls.Single() + "/");
        await app.WaitForShutdownAsync();
    }

    // ExportTraceServiceRequest: resource_spans (1) { scope_spans (2) { spans (2) } }.
    private static long CountSpans(ReadOnlySpan<byte> message) => Fields(message, 1, static resource => Fields(resource, 2, static scope => Fields(scope, 2, static _ => 1)));

    private delegate long Nested(ReadOnlySpan<byte> field);

    private static long Fields(ReadOnlySpan<byte> message, int wanted, Nested nested)
    {
        long total = 0;
        var at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            var (field, type) = ((int)(key >> 3), (int)(key & 7));
            switch (type)
            {
                case 0:
                    Varint(message, ref at);
                    break;
                case 1:
                    at += 8;
                    break;
                case 5:
                    at += 4;
                    break;
                case 2:
                    var length = (int)Varint(message, ref at);
                    if (field == wanted)
                    {
                        total += nested(message.Slice(at, length));
                    }

                    at += length;
                    break;
                default:
                    throw new InvalidDataException($"Wire type {type} is not OTLP's.");
            }
        }

        return total;
    }

    private static ulong Varint(ReadOnlySpan<byte> message, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
