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
    Console.WriteLine($"looping {method} ({loopMode}), pid {Environment.ProcessId}");
    await RepeatFor(run, TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)));

    benchmarks.Cleanup();
    return;
}

// `counters mode [rounds]`: this thread's cycles and instructions per request, median of rounds
// taken in turn (see ThreadCounters); resolves the few-ns differences wall-clock means cannot.
if (args is ["counters", var counterMode, ..])
{
    var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 15;
    var benchmarks = Start(ParseMode(counterMode));
    var implementations = Implementations(benchmarks);
    foreach (var (_, run) in implementations)
    {
        // Past tiered compilation's promotions (call counting waits 100 ms after start-up activity).
        await RepeatFor(run, TimeSpan.FromSeconds(2));
    }

    const int Requests = 20_000;
    var samples = implementations.ToDictionary(i => i.Name, _ => new List<(double Cycles, double Instructions, double Nanoseconds)>());
    using var counters = ThreadCounters.Open();
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (name, run) in implementations)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (cycles, instructions) = counters.Read();
            RepeatSynchronously(run, Requests);
            var (cyclesAfter, instructionsAfter) = counters.Read();
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            samples[name].Add(((cyclesAfter - cycles) / (double)Requests, (instructionsAfter - instructions) / (double)Requests, elapsed.TotalNanoseconds / Requests));
        }
    }

    // The least disturbed round has the most cycles per wall-clock ns: that is the core's clock.
    var gigahertz = samples.Values.SelectMany(s => s).Max(s => s.Cycles / s.Nanoseconds);
    Console.WriteLine($"mode {counterMode}: {rounds} rounds of {Requests:N0} requests each, medians; clock {gigahertz:F2} GHz");
    var medians = samples.ToDictionary(p => p.Key, p => (Cycles: Median(p.Value.Select(s => s.Cycles)), Instructions: Median(p.Value.Select(s => s.Instructions))));
    foreach (var (name, (cycles, instructions)) in medians)
    {
        Console.WriteLine($"{name,-12} {cycles,8:F0} cycles {instructions,8:F0} instructions {cycles / gigahertz,7:F0} ns");
    }

    var untraced = medians["Untraced"];
    var generated = medians["Generated"];
    var handWritten = medians["HandWritten"];
    foreach (var (label, traced) in new[] { ("generated - untraced:   ", generated), ("hand-written - untraced:", handWritten) })
    {
        Console.WriteLine($"{label}   {traced.Cycles - untraced.Cycles,6:F0} cycles {traced.Instructions - untraced.Instructions,6:F0} instructions {(traced.Cycles - untraced.Cycles) / gigahertz,5:F0} ns");
    }

    Console.WriteLine($"generated / hand-written:  {generated.Cycles / handWritten.Cycles,6:F3} cycles {generated.Instructions / handWritten.Instructions,6:F3} instructions");
    benchmarks.Cleanup();
    return;
}

BenchmarkRunner.Run<PipelineBenchmarks>(args: args);

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// The counters count this thread only: a request that went asynchronous would hide work.
static void RepeatSynchronously(Func<Task> run, int times)
{
    for (var i = 0; i < times; i++)
    {
        var pending = run();
        if (!pending.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("A request completed asynchronously (or failed): per-thread counters would miss its work.");
        }
    }
}

static Listener ParseMode(string mode) => Enum.Parse<Listener>(mode, ignoreCase: true);

static PipelineBenchmarks Start(Listener mode)
{
    var benchmarks = new PipelineBenchmarks { Mode = mode };
    benchmarks.Setup();
    return benchmarks;
}

static (string Name, Func<Task> Run)[] Implementations(PipelineBenchmarks b) =>
    new (string, Func<Task>)[] { ("Untraced", b.Untraced), ("Generated", b.Generated), ("HandWritten", b.HandWritten) };

static async Task RepeatFor(Func<Task> run, TimeSpan duration)
{
    var until = DateTime.UtcNow + duration;
    while (DateTime.UtcNow < until)
    {
        await Repeat(run, 1_000);
    }
}

static async Task Repeat(Func<Task> run, int times)
{
    for (var i = 0; i < times; i++)
    {
        await run();
    }
}
