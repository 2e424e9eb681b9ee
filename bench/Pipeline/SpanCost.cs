using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.Pipeline;
using TracedLlm.Telemetry;

namespace TracedLlm.Benchmarks;

/// <summary>
/// `spancost [rounds] [requests]` (issue 39.3): what recording and serialising one span costs,
/// TracedLlm's pipeline against OpenTelemetry .NET's own floor for spans with the same tags.
/// (a) floor-rec: the request's span tree started and stopped with explicit parents on a source the
/// SDK records (AlwaysOnSampler, no processor); (b) floor-ser: the same with OpenTelemetry's
/// OtlpTraceExporter (HTTP/protobuf into an in-process handler that takes the bytes), run on the
/// measuring thread in batches of 32 spans, and (b') behind OpenTelemetry's BatchActivityExportProcessor,
/// its thread's CPU time added; (c) ours-rec: the generated pipeline recorded, minus the same request
/// untraced; (d) ours-ser: the same with the BoundedExportProcessor AddTracedLlmOtlpExporter builds,
/// to a loopback receiver (otlp-count.py), its export thread's CPU time added. The floor is also
/// timed, and serialised for its wire bytes, without the attributes a backend may not read. CPU is
/// each thread's own (CLOCK_THREAD_CPUTIME_ID, /proc/self/task/{tid}/schedstat for an export
/// thread), not wall time.
/// </summary>
internal static class SpanCost
{
    private const string FloorSourceName = "SpanCost.Floor";
    private const string FloorOtlpSourceName = "SpanCost.FloorOtlp";
    private const int FloorBatch = 32;
    private const int FlushEvery = 512;
    private const string FloorBatchSourceName = "SpanCost.FloorBatch";

    public static async Task RunAsync(int rounds, int requests)
    {
        Console.WriteLine($"spancost: {rounds} rounds of {requests:N0} requests, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {File.ReadAllText("/proc/loadavg").Trim()}");
        using var gateway = new SpanCostGateway();

        // The tags the floor gets are the pipeline's own, read back from one recorded request.
        var tree = RecordedTree.Capture(gateway);
        Console.WriteLine($"one request: {tree.Spans.Length} spans, {tree.Spans.Sum(s => s.Tags.Length)} attributes");
        foreach (var span in tree.Spans)
        {
            Console.WriteLine($"  {span.Name} ({span.Kind}, parent {(span.Parent < 0 ? "none" : tree.Spans[span.Parent].Name)}): {string.Join(", ", span.Tags.Select(t => $"{t.Key}={Show(t.Value)}"))}");
        }

        var spansPerRequest = tree.Spans.Length;
        var results = new Dictionary<string, Sample>();

        // Phase 1: (a), (b) and (c) in the same rounds, taken in turn, so that they share the machine's state.
        using (var floorSource = new ActivitySource(FloorSourceName))
        using (var floorOtlpSource = new ActivitySource(FloorOtlpSourceName))
        {
            var sink = new ByteSink();
            using var floorProvider = Sdk.CreateTracerProviderBuilder().AddSource(FloorSourceName).SetSampler(new AlwaysOnSampler()).Build();
            using var floorOtlpProvider = Sdk.CreateTracerProviderBuilder().AddSource(FloorOtlpSourceName).SetSampler(new AlwaysOnSampler())
                .AddProcessor(new BatchOnThisThread(NewExporter(sink), FloorBatch)).Build();
            using var oursProvider = Sdk.CreateTracerProviderBuilder().AddTracedLlm().SetSampler(new AlwaysOnSampler()).Build();
            var floorRec = new Implementation("floor-rec", () => tree.Run(floorSource));
            var floorSer = new Implementation("floor-ser", () => tree.Run(floorOtlpSource));
            var untraced = new Implementation("untraced", gateway.Untraced);
            var generated = new Implementation("ours-rec", gateway.Generated);
            // The floor again without the attributes a backend may not read (WireBytes lists them).
            var trimmed = tree.Without(IsCandidate);
            var trimmedRec = new Implementation("floor-rec-trim", () => trimmed.Run(floorSource));
            var trimmedSer = new Implementation("floor-ser-trim", () => trimmed.Run(floorOtlpSource));
            var rawSamples = await Measure(rounds, requests, untraced, generated, floorRec, floorSer, trimmedRec, trimmedSer);
            var samples = rawSamples.ToDictionary(p => p.Key, p => Sample.Median(p.Value));

            // The same rounds' ratio, round by round: the load moves both sides of it alike.
            var ratios = Enumerable.Range(0, rounds).Select(r => (rawSamples["ours-rec"][r].Microseconds - rawSamples["untraced"][r].Microseconds) / rawSamples["floor-rec"][r].Microseconds).ToList();
            Console.WriteLine($"ours-rec ÷ floor-rec, round by round: {string.Join(" ", ratios.Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}; median {Sample.MedianOf(ratios):F2}");
            results["floor-rec"] = samples["floor-rec"].PerSpan(spansPerRequest);
            results["floor-ser"] = samples["floor-ser"].PerSpan(spansPerRequest);
            results["ours-rec"] = (samples["ours-rec"] - samples["untraced"]).PerSpan(spansPerRequest);
            results["untraced (per request)"] = samples["untraced"];
            var fewer = tree.Count(IsCandidate);
            results[$"floor-rec, {fewer} fewer attributes"] = samples["floor-rec-trim"].PerSpan(spansPerRequest);
            results[$"floor-ser, {fewer} fewer attributes"] = samples["floor-ser-trim"].PerSpan(spansPerRequest);
            Console.WriteLine($"floor-ser wire: {sink.Bytes / (double)sink.Spans:F0} B a span ({sink.Exports:N0} exports of {FloorBatch} spans)");
        }

        // Phase 2: (c) again with a bare ActivityListener that records all (the `RecordsAll` mode), for comparison.
        using (var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        })
        {
            ActivitySource.AddActivityListener(listener);
            var samples = (await Measure(rounds, requests, new Implementation("untraced", gateway.Untraced), new Implementation("ours-rec", gateway.Generated))).ToDictionary(p => p.Key, p => Sample.Median(p.Value));
            results["ours-rec, bare listener"] = (samples["ours-rec"] - samples["untraced"]).PerSpan(spansPerRequest);
        }

        // Phase 3: (d), TracedLlm's export with its default settings to a loopback receiver. A gateway's
        // export thread keeps up with requests that come at the rate a core serves them; this loop makes
        // spans faster than that, so it flushes every FlushEvery requests (3,584 spans, 7 batches of 512),
        // which keeps the queue within its default 16,384 spans, and the drops are counted.
        using (var receiver = await OtlpReceiver.StartAsync())
        {
            // What AddTracedLlmOtlpExporter builds with default options (no tail sampling, every span),
            // held here for its counts of spans exported and dropped.
            var processor = new BoundedExportProcessor(new OtlpExporterOptions { Endpoint = receiver.Endpoint, Protocol = OtlpExportProtocol.HttpProtobuf }, new ExportQueueOptions());
            using var provider = Sdk.CreateTracerProviderBuilder().AddTracedLlm().SetSampler(new AlwaysOnSampler()).AddProcessor(processor).Build();
            Action flush = () => provider.ForceFlush();
            var export = ThreadCpu.Find("TracedLlm span ") ?? throw new InvalidOperationException("The export thread was not found in /proc/self/task.");
            var untraced = new Implementation("untraced", gateway.Untraced);
            var generated = new Implementation("ours-ser", gateway.Generated, export, flush, FlushEvery);

            // (b) off the request thread, as OpenTelemetry exports by default: its BatchActivityExportProcessor
            // (a queue of 16,384 spans and batches of 512, as ours) and the same exporter on its own thread.
            using var floorBatchSource = new ActivitySource(FloorBatchSourceName);
            var batchSink = new ByteSink();
            var counting = new CountingExporter(NewExporter(batchSink));
            using var floorBatchProvider = Sdk.CreateTracerProviderBuilder().AddSource(FloorBatchSourceName).SetSampler(new AlwaysOnSampler())
                .AddProcessor(new BatchActivityExportProcessor(counting, maxQueueSize: 16_384, maxExportBatchSize: 512)).Build();
            var floorThread = ThreadCpu.Find("OpenTelemetry-B") ?? throw new InvalidOperationException("OpenTelemetry's export thread was not found in /proc/self/task.");
            var floorRuns = 0L;
            var floorBatch = new Implementation("floor-bat", () => { floorRuns++; return tree.Run(floorBatchSource); }, floorThread, () => floorBatchProvider.ForceFlush(), FlushEvery);
            var samples = (await Measure(rounds, requests, untraced, generated, floorBatch)).ToDictionary(p => p.Key, p => Sample.Median(p.Value));
            results["floor-ser, OTel batch thread"] = samples["floor-bat"].PerSpan(spansPerRequest);
            var request = (samples["ours-ser"] - samples["untraced"]).PerSpan(spansPerRequest);
            results["ours-ser"] = request;
            results["ours-ser: request thread"] = request with { OtherMicroseconds = 0, OtherBytes = 0 };
            receiver.Settle();
            Console.WriteLine($"floor-ser on OpenTelemetry's batch thread: {counting.Spans:N0} spans exported of {floorRuns * spansPerRequest:N0} made; wire {batchSink.Bytes / (double)counting.Spans:F0} B a span");
            Console.WriteLine($"ours-ser wire: {receiver.Bytes / (double)processor.ExportedSpans:F0} B a span; {receiver.Exports:N0} exports, {processor.ExportedSpans:N0} spans, {receiver.Bytes:N0} B; spans dropped: {processor.DroppedSpans:N0}");
        }

        Console.WriteLine();
        Console.WriteLine($"medians of {rounds} rounds of {requests:N0} requests; per span ({spansPerRequest} a request) unless named");
        Console.WriteLine($"{"",-30} {"µs this thread",14} {"µs export thread",16} {"µs total",9} {"B this thread",14} {"B other threads",16}");
        foreach (var (name, s) in results)
        {
            Console.WriteLine($"{name,-30} {s.Microseconds,14:F3} {s.OtherMicroseconds,16:F3} {s.Microseconds + s.OtherMicroseconds,9:F3} {s.Bytes,14:F0} {s.OtherBytes,16:F0}");
        }

        var floorRecSpan = results["floor-rec"];
        var floorSerSpan = results["floor-ser"];
        var oursRecSpan = results["ours-rec"];
        var oursSerSpan = results["ours-ser"];
        Console.WriteLine($"ours ÷ floor, recording: {oursRecSpan.Microseconds / floorRecSpan.Microseconds:F2}× CPU, {oursRecSpan.Bytes / floorRecSpan.Bytes:F2}× bytes");
        Console.WriteLine($"ours ÷ floor, recording + serialisation: {(oursSerSpan.Microseconds + oursSerSpan.OtherMicroseconds) / floorSerSpan.Microseconds:F2}× CPU, {(oursSerSpan.Bytes + oursSerSpan.OtherBytes) / floorSerSpan.Bytes:F2}× bytes");
        Console.WriteLine($"serialisation alone (ser - rec): floor {floorSerSpan.Microseconds - floorRecSpan.Microseconds:F3} µs {floorSerSpan.Bytes - floorRecSpan.Bytes:F0} B; ours {oursSerSpan.Microseconds + oursSerSpan.OtherMicroseconds - oursRecSpan.Microseconds:F3} µs {oursSerSpan.Bytes + oursSerSpan.OtherBytes - oursRecSpan.Bytes:F0} B");

        WireBytes(tree, gateway);
    }

    /// <summary>
    /// What the attributes a backend may not need weigh on the wire: the same tree serialised by
    /// OpenTelemetry's exporter with each group left out, bytes a request.
    /// </summary>
    private static void WireBytes(RecordedTree tree, SpanCostGateway gateway)
    {
        const int Requests = 3_200; // 700 batches of 32 spans

        var all = Serialise(tree, Requests);
        Console.WriteLine();
        Console.WriteLine($"wire bytes a request (OTLP/HTTP protobuf, batches of {FloorBatch} spans, {Requests:N0} requests): {all:F0} B with every attribute");

        // The replica against the pipeline's own spans through the same exporter: the floor's tags are the pipeline's.
        var sink = new ByteSink();
        using (Sdk.CreateTracerProviderBuilder().AddTracedLlm().SetSampler(new AlwaysOnSampler()).AddProcessor(new BatchOnThisThread(NewExporter(sink), FloorBatch)).Build())
        {
            for (var i = 0; i < Requests; i++)
            {
                gateway.Generated().GetAwaiter().GetResult();
            }
        }

        Console.WriteLine($"  the pipeline's own spans through the same exporter: {sink.Bytes / (double)Requests:F0} B a request");
        foreach (var (name, drop) in Candidates.Prepend(PerObservation))
        {
            var without = Serialise(tree.Without(drop), Requests);
            Console.WriteLine($"  {all - without,6:F0} B ({(all - without) / all:P1}) {tree.Count(drop)} attributes: {name}");
        }

        var none = Serialise(tree.Without(IsCandidate), Requests);
        Console.WriteLine($"  {all - none,6:F0} B ({(all - none) / all:P1}) {tree.Count(IsCandidate)} attributes: all of the above but the user and session");
    }

    private static readonly HashSet<string> TraceLevel = new(StringComparer.Ordinal)
    {
        AttributeNames.LangfuseTraceName, AttributeNames.LangfuseTraceTags, AttributeNames.LangfuseSessionId, AttributeNames.SessionId,
        "langfuse.user.id", "user.id", "langfuse.environment", "langfuse.release", "langfuse.version",
    };

    /// <summary>Attributes the contract writes that a backend may not read (bench/results/2026-11-25-spancost.md says who reads each).</summary>
    private static readonly (string Name, Func<RecordedSpan, KeyValuePair<string, object?>, bool> Drop)[] Candidates =
    {
        ("trace name, tags, metadata (langfuse.trace.*) on the spans other than the root", (span, tag) => span.Parent >= 0 && tag.Key.StartsWith("langfuse.trace.", StringComparison.Ordinal)),
        ("langfuse.session.id / langfuse.user.id beside session.id / user.id (same value)", (span, tag) => tag.Key is "langfuse.session.id" or "langfuse.user.id" && span.Has(tag.Key["langfuse.".Length..], tag.Value)),
        ("langfuse.observation.metadata.* mirrors of another attribute of the span", (span, tag) => tag.Key.StartsWith("langfuse.observation.metadata.", StringComparison.Ordinal) && span.Has(tag.Key["langfuse.observation.metadata.".Length..], tag.Value)),
        ("langfuse.observation.model.name equal to gen_ai.response.model or gen_ai.request.model", (span, tag) => tag.Key == "langfuse.observation.model.name" && (span.Has("gen_ai.response.model", tag.Value) || span.Has(AttributeNames.GenAiRequestModel, tag.Value))),
        ("openinference.span.kind beside langfuse.observation.type", (span, tag) => tag.Key == "openinference.span.kind" && span.Tags.Any(t => t.Key == AttributeNames.LangfuseObservationType)),
    };

    /// <summary>The user and session on every span: Langfuse filters observations by them (docs/langfuse.md), so weighed but not a candidate.</summary>
    private static readonly (string Name, Func<RecordedSpan, KeyValuePair<string, object?>, bool> Drop) PerObservation =
        ("user, session, environment, release, version on the spans other than the root (read per observation: not in the set)", (span, tag) => span.Parent >= 0 && TraceLevel.Contains(tag.Key) && !tag.Key.StartsWith("langfuse.trace.", StringComparison.Ordinal));

    private static bool IsCandidate(RecordedSpan span, KeyValuePair<string, object?> tag) => Candidates.Any(g => g.Drop(span, tag));

    private static double Serialise(RecordedTree tree, int requests)
    {
        var name = "SpanCost.Wire." + Guid.NewGuid().ToString("N");
        using var source = new ActivitySource(name);
        var sink = new ByteSink();
        using (Sdk.CreateTracerProviderBuilder().AddSource(name).SetSampler(new AlwaysOnSampler()).AddProcessor(new BatchOnThisThread(NewExporter(sink), FloorBatch)).Build())
        {
            for (var i = 0; i < requests; i++)
            {
                tree.Run(source).GetAwaiter().GetResult();
            }
        }

        return sink.Bytes / (double)requests;
    }

    private static OtlpTraceExporter NewExporter(ByteSink sink) => new(new OtlpExporterOptions
    {
        Endpoint = new Uri("http://127.0.0.1:4318/v1/traces"),
        Protocol = OtlpExportProtocol.HttpProtobuf,
        HttpClientFactory = () => new HttpClient(sink, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan },
    });

    private static async Task<Dictionary<string, List<Sample>>> Measure(int rounds, int requests, params Implementation[] implementations)
    {
        // Past tiered compilation's promotions (call counting waits 100 ms after start-up activity).
        foreach (var implementation in implementations)
        {
            var until = DateTime.UtcNow.AddSeconds(2);
            while (DateTime.UtcNow < until)
            {
                for (var i = 0; i < 512; i++)
                {
                    await implementation.Run();
                }

                if (implementation.FlushEvery > 0)
                {
                    implementation.Flush?.Invoke();
                }
            }

            implementation.Flush?.Invoke();
        }

        var samples = implementations.ToDictionary(i => i.Name, _ => new List<Sample>());
        var collections = implementations.ToDictionary(i => i.Name, _ => (Gen0: 0, Gen1: 0, Gen2: 0));
        for (var round = 0; round < rounds; round++)
        {
            foreach (var implementation in implementations)
            {
                var otherCpu = implementation.OtherThread?.Now() ?? TimeSpan.Zero;
                var allBytes = GC.GetTotalAllocatedBytes(precise: true);
                var cpu = ProcessCpu.ThreadNow();
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                for (var i = 0; i < requests; i++)
                {
                    if (!implementation.Run().IsCompletedSuccessfully)
                    {
                        throw new InvalidOperationException($"{implementation.Name}: a request completed asynchronously (or failed): this thread's CPU time would miss its work.");
                    }

                    if (implementation.FlushEvery > 0 && (i + 1) % implementation.FlushEvery == 0)
                    {
                        implementation.Flush?.Invoke();
                    }
                }

                collections[implementation.Name] = (collections[implementation.Name].Gen0 + GC.CollectionCount(0) - gen0, collections[implementation.Name].Gen1 + GC.CollectionCount(1) - gen1, collections[implementation.Name].Gen2 + GC.CollectionCount(2) - gen2);

                cpu = ProcessCpu.ThreadNow() - cpu;
                bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
                implementation.Flush?.Invoke();
                var other = implementation.OtherThread is { } thread ? thread.Now() - otherCpu : TimeSpan.Zero;
                var otherBytes = implementation.OtherThread is null ? 0 : GC.GetTotalAllocatedBytes(precise: true) - allBytes - bytes;
                samples[implementation.Name].Add(new Sample(cpu.TotalMicroseconds / requests, bytes / (double)requests, other.TotalMicroseconds / requests, otherBytes / (double)requests));
            }
        }

        foreach (var (name, list) in samples)
        {
            var (gen0, gen1, gen2) = collections[name];
            var thousands = rounds * requests / 1000.0;
            Console.WriteLine($"  {name,-14} µs a request, rounds: {string.Join(" ", list.Select(s => (s.Microseconds + s.OtherMicroseconds).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}; GC a 1,000 requests: gen0 {gen0 / thousands:F1}, gen1 {gen1 / thousands:F1}, gen2 {gen2 / thousands:F1}");
        }

        return samples;
    }

    private static string Show(object? value) => value is string[] array ? "[" + string.Join(",", array) + "]" : $"{value} ({value?.GetType().Name})";

    private sealed record Implementation(string Name, Func<Task> Run, ThreadCpu? OtherThread = null, Action? Flush = null, int FlushEvery = 0);

    /// <summary>CPU µs and bytes, of the measuring thread and of the others (the export thread's CPU; every other thread's bytes).</summary>
    private readonly record struct Sample(double Microseconds, double Bytes, double OtherMicroseconds, double OtherBytes)
    {
        public static Sample operator -(Sample a, Sample b) => new(a.Microseconds - b.Microseconds, a.Bytes - b.Bytes, a.OtherMicroseconds - b.OtherMicroseconds, a.OtherBytes - b.OtherBytes);

        public Sample PerSpan(int spans) => new(Microseconds / spans, Bytes / spans, OtherMicroseconds / spans, OtherBytes / spans);

        public static Sample Median(List<Sample> samples) => new(
            MedianOf(samples.Select(s => s.Microseconds)),
            MedianOf(samples.Select(s => s.Bytes)),
            MedianOf(samples.Select(s => s.OtherMicroseconds)),
            MedianOf(samples.Select(s => s.OtherBytes)));

        public static double MedianOf(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}

/// <summary>The seven-span route's gateway: the request untraced (the same stages, no spans) and through the generated pipeline.</summary>
internal sealed class SpanCostGateway : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly TracedLlmGateway _gateway;
    private readonly ILlmAuthenticator _auth;
    private readonly ILlmGuardrail[] _guardrails;

    public SpanCostGateway()
    {
        var services = BenchServices.Create(o => o.IgnoreContextPropagation = true);
        services.AddSingleton<ILlmAuthenticator, BenchAuthenticator>();
        services.AddSingleton<ILlmGuardrail, BenchGuardrail>();
        services.AddSingleton<ILlmGuardrail, BenchResponseGuardrail>();
        _services = services.BuildServiceProvider();
        _gateway = _services.GetRequiredService<TracedLlmGateway>();
        _auth = _services.GetRequiredService<ILlmAuthenticator>();
        _guardrails = _services.GetServices<ILlmGuardrail>().ToArray();
    }

    public async Task Untraced()
    {
        var context = PipelineBenchmarks.NewContext(_services);
        var body = await RequestStage.ReadBodyAsync(context, _gateway);
        var call = RequestStage.CreateCall(context, TracedLlm.Generated.TracedLlm_Benchmarks_SpanCostRoutes_Chat.Route, EmittedReader.Read(body, _gateway), _gateway, Stopwatch.GetTimestamp());
        var auth = await _auth.AuthenticateAsync(call, context.RequestAborted);
        if (!auth.Succeeded)
        {
            throw new InvalidOperationException();
        }

        var request = PreCallStage.ReadRequest(call, _gateway.GetTypeInfo<ChatRequest>());
        await _guardrails[0].CheckAsync(new GuardrailContext(call, GuardrailMode.PreCall, request, null), context.RequestAborted);
        var reply = SpanCostHandler.Handle(request, call);
        await _guardrails[1].CheckAsync(new GuardrailContext(call, GuardrailMode.PostCall, request, reply), context.RequestAborted);
        await ResultStage.WriteAsync(call, reply, _gateway.GetTypeInfo<Reply>());
    }

    public Task Generated() => TracedLlm.Generated.TracedLlm_Benchmarks_SpanCostRoutes_Chat.InvokeAsync(PipelineBenchmarks.NewContext(_services), _gateway);

    public void Dispose() => _services.Dispose();
}

/// <summary>One span of a recorded request: its name, kind, parent (an index, or -1) and attributes as recorded.</summary>
internal sealed record RecordedSpan(string Name, ActivityKind Kind, int Parent, KeyValuePair<string, object?>[] Tags)
{
    public bool Has(string key, object? value) => Tags.Any(t => t.Key == key && Equals(t.Value, value));
}

/// <summary>A recorded request's span tree, in start order, replayed on any source with the same tags.</summary>
internal sealed class RecordedTree
{
    private readonly Activity?[] _open;
    private readonly int[] _steps;

    private RecordedTree(RecordedSpan[] spans)
    {
        Spans = spans;
        _open = new Activity?[spans.Length];
        _steps = Steps(spans);
    }

    public RecordedSpan[] Spans { get; }

    /// <summary>Runs one request of the generated pipeline with a listener that records everything, and keeps its spans.</summary>
    public static RecordedTree Capture(SpanCostGateway gateway)
    {
        var stopped = new List<Activity>();
        using (var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        })
        {
            ActivitySource.AddActivityListener(listener);
            gateway.Generated().GetAwaiter().GetResult();
        }

        // Parents start before their children (the auth span's start is moved back to its real
        // time after the server span started, so order by the order of creation: the span ids'
        // parents first).
        var ordered = new List<Activity>();
        void Add(Activity? parent)
        {
            foreach (var child in stopped.Where(s => parent is null ? !stopped.Any(p => p.SpanId == s.ParentSpanId) : s.ParentSpanId == parent.SpanId).OrderBy(s => s.StartTimeUtc))
            {
                ordered.Add(child);
                Add(child);
            }
        }

        Add(null);
        var spans = ordered.Select(a => new RecordedSpan(
            a.DisplayName,
            a.Kind,
            ordered.FindIndex(p => p.SpanId == a.ParentSpanId),
            a.TagObjects.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)).ToArray())).ToArray();
        return new RecordedTree(spans);
    }

    /// <summary>The same tree with the attributes <paramref name="drop"/> picks left out.</summary>
    public RecordedTree Without(Func<RecordedSpan, KeyValuePair<string, object?>, bool> drop) =>
        new(Spans.Select(s => s with { Tags = s.Tags.Where(t => !drop(s, t)).ToArray() }).ToArray());

    public int Count(Func<RecordedSpan, KeyValuePair<string, object?>, bool> drop) => Spans.Sum(s => s.Tags.Count(t => drop(s, t)));

    /// <summary>
    /// One request's spans on <paramref name="source"/>: each started with its explicit parent and
    /// its attributes appended (<see cref="Activity.AddTag(string, object?)"/>, no search), and
    /// stopped after its children, in the tree's order (a span ends before its next sibling starts).
    /// </summary>
    public Task Run(ActivitySource source)
    {
        foreach (var step in _steps)
        {
            if (step < 0)
            {
                _open[~step]!.Stop();
                _open[~step] = null;
                continue;
            }

            var span = Spans[step];
            var activity = source.StartActivity(span.Name, span.Kind, span.Parent < 0 ? default : _open[span.Parent]!.Context);
            if (activity is { IsAllDataRequested: true })
            {
                foreach (var tag in span.Tags)
                {
                    activity.AddTag(tag.Key, tag.Value);
                }
            }

            _open[step] = activity;
        }

        return Task.CompletedTask;
    }

    // Spans are in depth-first order: a start is the span's index, a stop its complement.
    private static int[] Steps(RecordedSpan[] spans)
    {
        var steps = new List<int>();
        void Visit(int span)
        {
            steps.Add(span);
            for (var child = 0; child < spans.Length; child++)
            {
                if (spans[child].Parent == span)
                {
                    Visit(child);
                }
            }

            steps.Add(~span);
        }

        for (var root = 0; root < spans.Length; root++)
        {
            if (spans[root].Parent < 0)
            {
                Visit(root);
            }
        }

        return steps.ToArray();
    }
}

/// <summary>Exports every <c>size</c> ended spans at once, on the thread that ended the last (the measuring thread).</summary>
internal sealed class BatchOnThisThread : BaseExportProcessor<Activity>
{
    private readonly Activity[] _batch;
    private int _count;

    public BatchOnThisThread(BaseExporter<Activity> exporter, int size)
        : base(exporter) => _batch = new Activity[size];

    protected override void OnExport(Activity data)
    {
        _batch[_count++] = data;
        if (_count == _batch.Length)
        {
            exporter.Export(new Batch<Activity>(_batch, _count));
            Array.Clear(_batch);
            _count = 0;
        }
    }
}

/// <summary>Counts the spans an exporter is handed, and hands them on.</summary>
internal sealed class CountingExporter(OtlpTraceExporter inner) : BaseExporter<Activity>
{
    private long _spans;

    public long Spans => Interlocked.Read(ref _spans);

    public override ExportResult Export(in Batch<Activity> batch)
    {
        Interlocked.Add(ref _spans, batch.Count);
        return inner.Export(batch);
    }

    protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);
}

/// <summary>An HTTP handler that takes an OTLP export's bytes, counts them and answers 200.</summary>
internal sealed class ByteSink : HttpMessageHandler
{
    private readonly byte[] _buffer = new byte[64 * 1024];

    public long Bytes { get; private set; }

    public long Exports { get; private set; }

    public long Spans => Exports * 32;

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            using var body = content.ReadAsStream(cancellationToken);
            int read;
            while ((read = body.Read(_buffer)) > 0)
            {
                Bytes += read;
            }

            Exports++;
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent([]) };
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(Send(request, cancellationToken));
}

/// <summary>Another thread's CPU time, from /proc/self/task/{tid}/schedstat (ns on a CPU).</summary>
internal sealed class ThreadCpu(string path)
{
    /// <summary>The thread of this process whose name (as the kernel keeps it: 15 characters) is <paramref name="name"/>.</summary>
    public static ThreadCpu? Find(string name)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                if (File.Exists(Path.Combine(task, "comm")) && File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
                {
                    return new ThreadCpu(Path.Combine(task, "schedstat"));
                }
            }

            Thread.Sleep(20);
        }

        return null;
    }

    public TimeSpan Now()
    {
        var text = File.ReadAllText(path);
        return TimeSpan.FromTicks(long.Parse(text.AsSpan(0, text.IndexOf(' ')), System.Globalization.CultureInfo.InvariantCulture) / 100);
    }
}

/// <summary>bench/Pipeline/otlp-count.py on a free loopback port, in its own process (off this process's threads): answers 200, counts bytes.</summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly Process _process;
    private long _bytes;
    private long _exports;

    private OtlpReceiver(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Exports => Interlocked.Read(ref _exports);

    public static async Task<OtlpReceiver> StartAsync()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var script = Path.Combine(AppContext.BaseDirectory, "otlp-count.py");
        var process = Process.Start(new ProcessStartInfo("python3", $"{script} {port}") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("python3 did not start.");
        var receiver = new OtlpReceiver(process, new Uri($"http://127.0.0.1:{port}/v1/traces"));
        process.OutputDataReceived += (_, line) => receiver.Count(line.Data);
        process.BeginOutputReadLine();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return receiver;
            }
            catch (SocketException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Waits until the receiver's report lines stop arriving (they trail its answers).</summary>
    public void Settle()
    {
        long seen;
        do
        {
            seen = Exports;
            Thread.Sleep(300);
        }
        while (Exports != seen);
    }

    // "export <unix ms> <bytes>" per export; the script's threads print the text and its newline
    // apart, so two reports can share a line.
    private void Count(string? line)
    {
        foreach (System.Text.RegularExpressions.Match report in System.Text.RegularExpressions.Regex.Matches(line ?? "", @"export \d+ (\d+)"))
        {
            Interlocked.Add(ref _bytes, long.Parse(report.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Interlocked.Increment(ref _exports);
        }
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
