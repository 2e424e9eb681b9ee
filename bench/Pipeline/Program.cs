using System.Diagnostics.Tracing;
using BenchmarkDotNet.Running;
using TracedLlm.Benchmarks;

// `alloc [mode]`: bytes per request of each implementation, and which types the runtime's
// allocation sampling saw, to find what an implementation allocates beyond the others.
if (args is ["alloc", ..])
{
    var mode = args.Length > 1 ? ParseMode(args[1]) : Listener.None;
    var benchmarks = Start(mode);
    foreach (var (name, run) in Implementations(benchmarks))
    {
        await Repeat(run, 20_000);
        const int Iterations = 200_000;
        using var sampler = new AllocationSampler();
        var before = GC.GetAllocatedBytesForCurrentThread();
        await Repeat(run, Iterations);
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;
        Console.WriteLine($"{name}: {bytes:F0} B per request ({mode}); sampled: {string.Join(", ", sampler.Types.OrderByDescending(p => p.Value).Take(40).Select(p => $"{p.Key} x{p.Value}"))}");
    }

    benchmarks.Cleanup();
    return;
}

// `loop mode method seconds`: one implementation in a loop, for a profiler to attach to.
if (args is ["loop", var loopMode, var method, var seconds])
{
    var benchmarks = Start(ParseMode(loopMode));
    var run = Implementations(benchmarks).Single(i => i.Name == method).Run;
    var until = DateTime.UtcNow.AddSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine($"looping {method} ({loopMode}), pid {Environment.ProcessId}");
    while (DateTime.UtcNow < until)
    {
        await Repeat(run, 10_000);
    }

    benchmarks.Cleanup();
    return;
}

BenchmarkRunner.Run<PipelineBenchmarks>(args: args);

static Listener ParseMode(string mode) => Enum.Parse<Listener>(mode, ignoreCase: true);

static PipelineBenchmarks Start(Listener mode)
{
    var benchmarks = new PipelineBenchmarks { Mode = mode };
    benchmarks.Setup();
    return benchmarks;
}

static (string Name, Func<Task> Run)[] Implementations(PipelineBenchmarks b) =>
    new (string, Func<Task>)[] { ("Untraced", b.Untraced), ("Generated", b.Generated), ("HandWritten", b.HandWritten) };

static async Task Repeat(Func<Task> run, int times)
{
    for (var i = 0; i < times; i++)
    {
        await run();
    }
}

/// <summary>Counts the runtime's AllocationTick events (one per ~100 KB allocated) by type.</summary>
internal sealed class AllocationSampler : EventListener
{
    public Dictionary<string, int> Types { get; } = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (data.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && data.PayloadNames is { } names)
        {
            var type = data.Payload![names.IndexOf("TypeName")] as string ?? "?";
            lock (Types)
            {
                Types[type] = Types.GetValueOrDefault(type) + 1;
            }
        }
    }
}
