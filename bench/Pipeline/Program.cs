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

// `spans method`: the spans one request of an implementation records, with their attributes.
if (args is ["spans", var spansMethod])
{
    var stopped = new List<System.Diagnostics.Activity>();
    using var listener = new System.Diagnostics.ActivityListener
    {
        ShouldListenTo = source => source.Name == TracedLlm.Telemetry.TracedLlmTelemetry.SourceName,
        Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = stopped.Add,
    };
    System.Diagnostics.ActivitySource.AddActivityListener(listener);
    var benchmarks = Start(Listener.None);
    await Implementations(benchmarks).Single(i => i.Name == spansMethod).Run();
    foreach (var span in stopped)
    {
        Console.WriteLine($"{span.DisplayName}: {string.Join(", ", span.TagObjects.Select(t => $"{t.Key}={(t.Value is string[] a ? string.Join("|", a) : t.Value)}"))}");
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

// `cpu mode [rounds] [requests]`: the whole process's CPU time and allocated bytes per request
// (export thread, exporter and GC included), rounds of requests (2,000: 10,000 spans, within a
// 16,384-span export queue) taken in turn, medians. For the recorded path's cost where hardware
// counters are not available; each round ends with a flush, so its spans' export is in it.
if (args is ["cpu", var cpuMode, ..])
{
    var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 9;
    var benchmarks = Start(ParseMode(cpuMode));
    var implementations = Implementations(benchmarks).Where(i => i.Name != "HandWritten").ToArray();
    foreach (var (_, run) in implementations)
    {
        await RepeatFor(run, TimeSpan.FromSeconds(3));
    }

    benchmarks.Flush();

    // The warm-up overflows the export queue; an OTLP sink that logs arrival times (otlp-count.py) counts from here.
    Console.WriteLine($"rounds from {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} ms");
    var requests = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2_000;
    var samples = implementations.ToDictionary(i => i.Name, _ => new List<(double Microseconds, double Bytes)>());
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (name, run) in implementations)
        {
            var cpu = ProcessCpu.Now();
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            RepeatSynchronously(run, requests);
            benchmarks.Flush();
            samples[name].Add(((ProcessCpu.Now() - cpu).TotalMicroseconds / requests, (GC.GetTotalAllocatedBytes(precise: true) - bytes) / (double)requests));
        }
    }

    Console.WriteLine($"mode {cpuMode}: {rounds} rounds of {requests:N0} requests each, medians of process CPU time and allocated bytes");
    var cpuMedians = samples.ToDictionary(p => p.Key, p => (Microseconds: Median(p.Value.Select(s => s.Microseconds)), Bytes: Median(p.Value.Select(s => s.Bytes))));
    foreach (var (name, (microseconds, bytes)) in cpuMedians)
    {
        Console.WriteLine($"{name,-12} {microseconds,8:F2} µs CPU {bytes,8:F0} B   (rounds: {string.Join(" ", samples[name].Select(s => s.Microseconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))})");
    }

    Console.WriteLine($"generated - untraced: {cpuMedians["Generated"].Microseconds - cpuMedians["Untraced"].Microseconds,8:F2} µs CPU {cpuMedians["Generated"].Bytes - cpuMedians["Untraced"].Bytes,8:F0} B");
    Console.WriteLine($"traced requests handled (warm-up included): {Handler.Calls:N0}");
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

// `spancost [rounds] [requests]`: recording and serialising one span, the generated pipeline's
// seven-span request against OpenTelemetry .NET's floor for spans with the same tags (SpanCost.cs).
if (args is ["spancost", ..])
{
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 9;
    var requests = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20_000;

    // `spancost R N piece=512`: the export serialised in pieces of that many spans (the AppContext
    // switch the processor reads for measurements), to show what the default pieces of 32 cost.
    if (args.Length > 3 && args[3].StartsWith("piece=", StringComparison.Ordinal))
    {
        AppContext.SetData("TracedLlm.Export.PieceSize", args[3]["piece=".Length..]);
    }

    await SpanCost.RunAsync(rounds, requests);
    return;
}

// `tracestate [rounds]`: the caller's tracestate read by the runtime beside OpenTelemetry.Api's
// TraceContextPropagator.Extract alone: what each keeps of the behaviour tests' headers, then ns and bytes per header.
if (args is ["tracestate", ..])
{
    TraceStateCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

// `coverage-idle on|off [rounds] [sends]`: outbound coverage's cost to an HttpClient send outside any traced request.
if (args is ["coverage-idle", var coverageMode, ..])
{
    await CoverageIdle.RunAsync(
        coverageMode == "on",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 15,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
    return;
}

// `envelope [BenchmarkDotNet args]`: the route's body reader alone, over four body shapes.
if (args is ["envelope", ..])
{
    BenchmarkRunner.Run<EnvelopeBenchmarks>(args: args[1..]);
    return;
}

// `envelope-cpu [rounds]`: the same, in this thread's CPU time (which a busy machine's waits do not
// inflate), median of rounds that alternate the bare token pass and the reader; ns per body read.
if (args is ["envelope-cpu", ..])
{
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21;
    foreach (var body in new[] { "chat", "conversation", "wide", "long" })
    {
        var envelope = new EnvelopeBenchmarks { Body = body };
        envelope.Setup();
        var reads = body switch { "chat" => 20_000, "conversation" => 2_000, _ => 100 };
        var until = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < until)
        {
            envelope.Tokens();
            envelope.ReadEnvelope();
        }

        var tokens = new List<double>();
        var reader = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var start = ProcessCpu.ThreadNow();
            for (var i = 0; i < reads; i++)
            {
                envelope.Tokens();
            }

            var middle = ProcessCpu.ThreadNow();
            for (var i = 0; i < reads; i++)
            {
                envelope.ReadEnvelope();
            }

            var end = ProcessCpu.ThreadNow();
            tokens.Add((middle - start).TotalNanoseconds / reads);
            reader.Add((end - middle).TotalNanoseconds / reads);
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread();
        envelope.ReadEnvelope();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        Console.WriteLine($"{body,-13} tokens {Median(tokens),11:F0} ns   ReadEnvelope {Median(reader),11:F0} ns   reader - tokens {Median(reader) - Median(tokens),11:F0} ns   ratio {Median(reader) / Median(tokens),5:F2}   {bytes,8} B");
        envelope.Cleanup();
    }

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

/// <summary>The process's CPU time over all its threads, to the nanosecond (clock_gettime; Process.TotalProcessorTime counts 10 ms ticks on Linux).</summary>
internal static partial class ProcessCpu
{
    private const int ProcessCpuTimeClock = 2; // CLOCK_PROCESS_CPUTIME_ID

    public static TimeSpan Now()
    {
        if (ClockGetTime(ProcessCpuTimeClock, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed.");
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    /// <summary>This thread's CPU time.</summary>
    public static TimeSpan ThreadNow()
    {
        if (ClockGetTime(ThreadCpuTimeClock, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
