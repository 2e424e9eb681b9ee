using System.Diagnostics.Tracing;
using BenchmarkDotNet.Running;
using TracedLlm.Benchmarks;

// `alloc [mode]`: bytes per request of each implementation, and which types the runtime's
// allocation sampling saw, to find what an implementation allocates beyond the others.
if (args is ["alloc", ..])
{
    var mode = args.Length > 1 ? Enum.Parse<Listener>(args[1], ignoreCase: true) : Listener.None;
    var benchmarks = new PipelineBenchmarks { Mode = mode };
    benchmarks.Setup();
    var runs = new (string Name, Func<Task> Run)[] { ("Untraced", benchmarks.Untraced), ("Generated", benchmarks.Generated), ("HandWritten", benchmarks.HandWritten) };
    foreach (var (name, run) in runs)
    {
        for (var i = 0; i < 20_000; i++)
        {
            await run();
        }

        const int Iterations = 200_000;
        using var sampler = new AllocationSampler();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            await run();
        }

        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;
        Console.WriteLine($"{name}: {bytes:F0} B per request ({mode}); sampled: {string.Join(", ", sampler.Types.OrderByDescending(p => p.Value).Take(40).Select(p => $"{p.Key} x{p.Value}"))}");
    }

    benchmarks.Cleanup();
    return;
}

// `loop mode method seconds`: one implementation in a loop, for a profiler to attach to.
if (args is ["loop", var loopMode, var method, var seconds])
{
    var benchmarks = new PipelineBenchmarks { Mode = Enum.Parse<Listener>(loopMode, ignoreCase: true) };
    benchmarks.Setup();
    Func<Task> run = method switch { "Untraced" => benchmarks.Untraced, "HandWritten" => benchmarks.HandWritten, _ => benchmarks.Generated };
    var until = DateTime.UtcNow.AddSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine($"looping {method} ({loopMode}), pid {Environment.ProcessId}");
    while (DateTime.UtcNow < until)
    {
        for (var i = 0; i < 10_000; i++)
        {
            await run();
        }
    }

    benchmarks.Cleanup();
    return;
}

BenchmarkRunner.Run<PipelineBenchmarks>(args: args);

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
