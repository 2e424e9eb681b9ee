// The export thread under pressure, measured from /proc: its CPU time (and the process's) over a
// window while the export queue is full. Two collectors on loopback: one that refuses connections
// (every export fails at once) and one that accepts and never answers.
//   dotnet run -c Release --project bench/export -- flush-full   # queue full when a flush is asked, then idle
//   dotnet run -c Release --project bench/export -- hang-full    # spans keep coming, the collector hangs
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.OpenTelemetry;

var scenario = args.FirstOrDefault() ?? "flush-full";
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var source = new ActivitySource("TracedLlm.Bench.Export");

using var collector = new TcpListener(IPAddress.Loopback, 0);
collector.Start();
var port = ((IPEndPoint)collector.LocalEndpoint).Port;
var held = new List<Socket>();
if (scenario == "flush-full")
{
    collector.Stop(); // refuses from now on
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
    // A flush asked while the queue is full (it cannot finish: the collector refuses), then nothing more.
    Emit(20_000);
    var flushed = provider.ForceFlush(100);
    Thread.Sleep(2000);
    var (thread0, process0, wall) = (ThreadCpu(exportThread), Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.StartNew());
    Thread.Sleep(TimeSpan.FromSeconds(seconds));
    measured = Report(exportThread, thread0, process0, wall.Elapsed, $"flush returned {flushed}; idle after it");
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
