// The export thread under pressure, measured from /proc: its CPU time (and the process's) over a
// window around a full export queue. Two collectors on loopback: a slow one (each export answered
// 200 after one second) and one that accepts and never answers.
//   dotnet run -c Release --project bench/export -- flush-full   # a flush asked while the queue is full, then idle
//   dotnet run -c Release --project bench/export -- hang-full    # spans keep coming, the collector hangs
//   dotnet run -c Release --project bench/export -- offer        # the request path's cost: record and queue a span (exporter that discards)
//   dotnet run -c Release --project bench/export -- cost MODE [requests]  # the whole process's CPU a request (7 spans) recorded and
//       exported to a loopback collector: MODE direct (OpenTelemetry's exporter sends each batch of 512 itself: the path before
//       issue 30), pieces (TracedLlm's delivery, serialized 32 spans at a time), piecesN (the same, N spans a piece: pieces512 is one piece a batch);
//       bench/export/cost runs them in turn
//   dotnet run -c Release --project bench/export -- serializer-calls [seconds]  # one serializer call (OpenTelemetry's OTLP exporter into
//       a capture, as a router's shared serializer makes it) for 7 spans against the same spans in calls of 140: the fixed cost a call
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm;

var scenario = args.FirstOrDefault() ?? "flush-full";
var seconds = args.Length > 1 && scenario != "cost" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var source = new ActivitySource("TracedLlm.Bench.Export");
if (scenario == "offer")
{
    Offer(source);
    return;
}

if (scenario == "serializer-calls")
{
    SerializerCalls(source, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3);
    return;
}

if (scenario == "cost")
{
    await Cost(source, args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000);
    return;
}

using var collector = new TcpListener(IPAddress.Loopback, 0);
collector.Start();
var port = ((IPEndPoint)collector.LocalEndpoint).Port;
var held = new List<Socket>();
if (scenario == "flush-full")
{
    collector.Stop();
    var slow = WebApplication.CreateSlimBuilder();
    slow.WebHost.UseUrls($"http://127.0.0.1:{port}");
    slow.Logging.ClearProviders();
    var app = slow.Build();
    app.MapPost("/v1/traces", async (HttpContext context) =>
    {
        await context.Request.Body.CopyToAsync(Stream.Null);
        await Task.Delay(1000);
    });
    await app.StartAsync();
}
else
{
    _ = Task.Run(async () =>
    {
        while (true)
        {
            held.Add(await collector.AcceptSocketAsync());
        }
    });
}

var warnings = 0;
var processor = new BoundedExportProcessor(
    new OtlpTraceExporter(new OtlpExporterOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/v1/traces"), Protocol = OtlpExportProtocol.HttpProtobuf, TimeoutMilliseconds = 600_000 }),
    new ExportQueueOptions { MaxQueueSize = 2048, MaxBatchSize = 512, ScheduledDelay = TimeSpan.FromSeconds(1), Warn = _ => Interlocked.Increment(ref warnings) });
using var provider = Sdk.CreateTracerProviderBuilder().AddSource(source.Name).AddProcessor(processor).Build()!;

void Emit(int spans)
{
    for (var i = 0; i < spans; i++)
    {
        using var span = source.StartActivity("span", ActivityKind.Server);
        span?.SetTag("gen_ai.request.model", "gpt-4o-mini");
    }
}

// Fill the queue: a burst far faster than any exporter.
Emit(20_000);
Thread.Sleep(200);
var exportThread = ExportThread();
string measured;
if (scenario == "flush-full")
{
    // A flush asked while the queue is full (it cannot finish in 100 ms: the collector is slow),
    // then nothing more; the window starts once the queue has been delivered (four batches, 1 s each).
    Emit(20_000);
    var flushed = provider.ForceFlush(100);
    Thread.Sleep(8000);
    var (thread0, process0, wall) = (ThreadCpu(exportThread), Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.StartNew());
    Thread.Sleep(TimeSpan.FromSeconds(seconds));
    measured = Report(exportThread, thread0, process0, wall.Elapsed, $"the flush returned {flushed}; idle after the queue was delivered");
}
else
{
    // Spans keep coming at 20,000 a second while the collector hangs: the queue stays full.
    var (thread0, process0, wall) = (ThreadCpu(exportThread), Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.StartNew());
    var produce = Stopwatch.StartNew();
    var producing = TimeSpan.Zero;
    for (var tick = 0; tick < seconds * 20; tick++)
    {
        var start = Stopwatch.GetTimestamp();
        Emit(1000);
        producing += Stopwatch.GetElapsedTime(start);
        var next = TimeSpan.FromMilliseconds(50 * (tick + 1)) - produce.Elapsed;
        if (next > TimeSpan.Zero)
        {
            Thread.Sleep(next);
        }
    }

    measured = Report(exportThread, thread0, process0, wall.Elapsed, $"{seconds * 20_000} spans offered, {producing.TotalMilliseconds * 1e6 / (seconds * 20_000):0} ns each to record and offer");
}

Console.WriteLine($"{scenario}: {measured}; dropped {processor.DroppedSpans}, exported {processor.ExportedSpans}, {warnings} warning(s)");
Environment.Exit(0); // the export thread may still wait for the hanging collector

string Report(int thread, TimeSpan thread0, TimeSpan process0, TimeSpan wall, string what)
{
    var threadCpu = ThreadCpu(thread) - thread0;
    var processCpu = Process.GetCurrentProcess().TotalProcessorTime - process0;
    return $"{what}: export thread {threadCpu.TotalMilliseconds:0} ms CPU in {wall.TotalSeconds:0.0} s ({100 * threadCpu / wall:0.0} % of a core), process {processCpu.TotalMilliseconds:0} ms ({100 * processCpu / wall:0.0} %)";
}

// Seven spans a request with ten attributes each, as a traced request records them, into a queue
// large enough to hold every span between two batches; the exporter discards. Best of five rounds.
static void Offer(ActivitySource source)
{
    var processor = new BoundedExportProcessor(new Discarding(), new ExportQueueOptions { MaxQueueSize = 65_536, MaxBatchSize = 512, Warn = _ => { } });
    using var provider = Sdk.CreateTracerProviderBuilder().AddSource(source.Name).AddProcessor(processor).Build()!;
    var best = double.MaxValue;
    for (var round = 0; round < 6; round++)
    {
        var start = Stopwatch.GetTimestamp();
        for (var request = 0; request < 20_000; request++)
        {
            using var server = source.StartActivity("Received Proxy Server Request", ActivityKind.Server)!;
            Tag(server);
            for (var child = 0; child < 6; child++)
            {
                using var span = source.StartActivity("litellm_request", ActivityKind.Client)!;
                Tag(span);
            }
        }

        var perSpan = Stopwatch.GetElapsedTime(start).TotalNanoseconds / (20_000 * 7);
        best = round == 0 ? best : Math.Min(best, perSpan); // round 0 warms up
        provider.ForceFlush();
    }

    Console.WriteLine($"offer: {best:0} ns a span to record ten attributes and queue it (best of five rounds of 140,000); dropped {processor.DroppedSpans}");
}

// Requests of seven spans (ten attributes each) recorded and exported as fast as one thread ends
// them, to a collector in this process that reads each body and answers 200; after a warm-up of
// the same size, the process's CPU time (recording, serializing, sending and the collector's
// reading alike) over the requests and the flush that delivers them.
static async Task Cost(ActivitySource source, string mode, int requests)
{
    if (mode.StartsWith("pieces", StringComparison.Ordinal) && mode.Length > "pieces".Length)
    {
        AppContext.SetData("TracedLlm.Export.PieceSize", mode["pieces".Length..]);
    }

    var collector = WebApplication.CreateSlimBuilder();
    collector.WebHost.UseUrls("http://127.0.0.1:0");
    collector.Logging.ClearProviders();
    var app = collector.Build();
    long bytes = 0;
    app.MapPost("/v1/traces", async (HttpContext context) =>
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        Interlocked.Add(ref bytes, body.Length);
    });
    await app.StartAsync();
    var otlp = new OtlpExporterOptions { Endpoint = new Uri(app.Urls.Single() + "/v1/traces"), Protocol = OtlpExportProtocol.HttpProtobuf };
    var options = new ExportQueueOptions { MaxQueueSize = 65_536, MaxQueueBytes = 1L << 30, Warn = _ => { } };
    var processor = mode == "direct" ? new BoundedExportProcessor(new OtlpTraceExporter(otlp), options) : new BoundedExportProcessor(otlp, options);
    using var provider = Sdk.CreateTracerProviderBuilder().AddSource(source.Name).AddProcessor(processor).Build()!;
    long emitted = 0;
    void Run()
    {
        for (var request = 0; request < requests; request++)
        {
            using var server = source.StartActivity("Received Proxy Server Request", ActivityKind.Server)!;
            Tag(server);
            for (var child = 0; child < 6; child++)
            {
                using var span = source.StartActivity("litellm_request", ActivityKind.Client)!;
                Tag(span);
            }

            emitted += 7;
            if (request % 1000 == 999)
            {
                // At most about 30,000 spans ahead of the delivery, so that no bound refuses any.
                while (emitted - processor.ExportedSpans - processor.DroppedSpans > 30_000)
                {
                    Thread.Sleep(1);
                }
            }
        }

        provider.ForceFlush();
    }

    Run();
    var exported = processor.ExportedSpans;
    var (cpu, sent, thread, threadCpu) = (Process.GetCurrentProcess().TotalProcessorTime, Interlocked.Read(ref bytes), ExportThread(), TimeSpan.Zero);
    threadCpu = ThreadCpu(thread);
    var wall = Stopwatch.StartNew();
    Run();
    var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"cost {mode}: {used.TotalMicroseconds / requests:0.0} µs CPU a request (process), export thread {(ThreadCpu(thread) - threadCpu).TotalMicroseconds / requests:0.0} µs, {(double)(Interlocked.Read(ref bytes) - sent) / (requests * 7):0} bytes a span sent, {wall.Elapsed.TotalSeconds:0.0} s; exported {processor.ExportedSpans - exported} of {requests * 7}, dropped {processor.DroppedSpans}"));
    await app.StopAsync();
}

// A thousand quiet teams' channels each serialize one request's 7 spans a call; one channel of a busy destination
// serializes 32 and more. The same 140 recorded spans, serialized 7 or 140 a call through OpenTelemetry's OTLP exporter
// into a handler that reads the body (what SharedSerializer does), alternately for the given seconds each, four times:
// the process's CPU a span and a call.
static void SerializerCalls(ActivitySource source, int seconds)
{
    using var listener = new ActivityListener
    {
        ShouldListenTo = s => s == source,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };
    ActivitySource.AddActivityListener(listener);
    var spans = new Activity[140];
    for (var i = 0; i < spans.Length; i++)
    {
        using var span = source.StartActivity(i % 7 == 0 ? "Received Proxy Server Request" : "litellm_request")!;
        Tag(span);
        spans[i] = span;
    }

    using var capture = new ReadingHandler();
    using var exporter = new OtlpTraceExporter(new OtlpExporterOptions
    {
        Protocol = OtlpExportProtocol.HttpProtobuf,
        Endpoint = new Uri("http://localhost/v1/traces"),
        HttpClientFactory = () => new HttpClient(capture, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan },
    });
    foreach (var perCall in new[] { 7, 140, 7, 140, 7, 140, 7, 140 })
    {
        var pieces = Enumerable.Range(0, spans.Length / perCall).Select(p => spans[(p * perCall)..((p + 1) * perCall)]).ToArray();
        var (calls, cpu, wall) = (0L, Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.StartNew());
        while (wall.Elapsed.TotalSeconds < seconds)
        {
            foreach (var piece in pieces)
            {
                exporter.Export(new Batch<Activity>(piece, perCall));
                calls++;
            }
        }

        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serializer-calls {perCall,3} spans a call: {used / (calls * perCall):0.000} µs CPU a span, {used / calls:0.00} µs a call ({calls:N0} calls)"));
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

// The export thread's id: its name, cut to the kernel's 15 characters.
static int ExportThread() =>
    Directory.GetDirectories("/proc/self/task")
        .Select(task => (Id: int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), Name: File.ReadAllText(Path.Combine(task, "comm")).Trim()))
        .Single(task => task.Name == "TracedLlm span").Id;

// User + system time of one thread, from /proc (clock ticks of 10 ms).
static TimeSpan ThreadCpu(int thread)
{
    var stat = File.ReadAllText($"/proc/self/task/{thread}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return TimeSpan.FromMilliseconds(10 * (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)));
}

/// <summary>An exporter that accepts and discards every batch.</summary>
internal sealed class Discarding : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
}

/// <summary>A transport that reads each request's body and answers 200, as the router's capture does.</summary>
internal sealed class ReadingHandler : HttpMessageHandler
{
    private readonly byte[] _body = new byte[1 << 20];

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var body = request.Content!.ReadAsStream(cancellationToken);
        body.ReadExactly(_body.AsSpan(0, (int)(request.Content.Headers.ContentLength ?? body.Length)));
        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent([]) };
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(Send(request, cancellationToken));
}
