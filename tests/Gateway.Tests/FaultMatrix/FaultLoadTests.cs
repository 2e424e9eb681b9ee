using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The fault matrix under load (docs/reliability/fault-matrix.md, "The matrix under load"): the matrix's cells,
/// timed cells and pairs of faults run concurrently with healthy requests and with clients that
/// leave at random moments, against paced upstreams, on one Kestrel host; every request is checked
/// against the single-cell matrix's contract (<see cref="FaultContract"/>). The seed is fixed here
/// and printed on failure; <c>TRACEDLLM_FAULT_LOAD_SEED</c> replays a run (or takes <c>random</c>),
/// <c>TRACEDLLM_FAULT_LOAD_REQUESTS</c> and <c>TRACEDLLM_FAULT_LOAD_CONCURRENCY</c> size it
/// (bench/faultload runs it larger, with random seeds).
/// </summary>
public sealed partial class FaultLoadTests : IClassFixture<FaultMatrixHost>
{
    public const int DefaultSeed = 20261124;
    public const int DefaultRequests = 5000;
    public const int DefaultConcurrency = 64;

    private readonly FaultMatrixHost _host;
    private readonly ITestOutputHelper _output;

    public FaultLoadTests(FaultMatrixHost host, ITestOutputHelper output)
    {
        _host = host;
        _output = output;
    }

    [Fact]
    public async Task EveryRequestHoldsTheContractUnderLoad()
    {
        var seed = Setting("TRACEDLLM_FAULT_LOAD_SEED", DefaultSeed);
        var count = Setting("TRACEDLLM_FAULT_LOAD_REQUESTS", DefaultRequests);
        var concurrency = Setting("TRACEDLLM_FAULT_LOAD_CONCURRENCY", DefaultConcurrency);
        var requests = LoadScenario.Generate(seed, count);
        var failures = new ConcurrentQueue<(LoadRequest Request, string Message)>();
        var statuses = new ConcurrentDictionary<string, int>();
        var traces = new ConcurrentQueue<(LoadRequest Request, IReadOnlyList<Activity> Spans)>();
        var clock = Stopwatch.StartNew();
        using (var spans = new RunSpans(_host.Plan))
        using (var client = FaultClient.Create(_host.Address, concurrency))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency };
            await Parallel.ForEachAsync(requests, parallel, async (request, _) =>
            {
                _host.Plan.Add(request.Run);
                try
                {
                    using var message =
                        FaultClient.Request(request.Prefix, request.Format, request.Stream, request.Run);
                    var view = await FaultClient.RunAsync(client, message, request.Run, request.Leaves, request.Moment);
                    var server = await request.Run.Finished.Task.WaitAsync(FaultClient.Generous);
                    var taken = spans.Take(request.Run);
                    var failed = taken.FirstOrDefault(s => s.DisplayName == Telemetry.SpanNames.Failure);
                    statuses.AddOrUpdate(
                        failed?.GetTagItem(Telemetry.AttributeNames.HttpResponseStatusCode)?.ToString() ?? "200",
                        1,
                        (_, n) => n + 1);
                    request.AssertContract(view, server, taken);
                    traces.Enqueue((request, taken));
                }
                catch (Exception exception)
                {
                    // Whatever the check met (a body that is not JSON, a request that never ended): this request's
                    // failure.
                    failures.Enqueue((
                        request,
                        (exception is XunitException ? string.Empty : exception.GetType().Name + ": ")
                            + exception.Message));
                }
                finally
                {
                    _host.Plan.Remove(request.Run);
                }
            });

            Assert.True(spans.Unclaimed == 0, $"{spans.Unclaimed} spans belong to no request's trace");
        }

        var summary = string.Create(
                CultureInfo.InvariantCulture,
                $"seed {seed}: {count} requests at concurrency {concurrency} in {clock.Elapsed.TotalSeconds:0.0} s; ")
            + string.Join(", ", requests.GroupBy(r => r.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"))
            + $", {requests.Count(r => r.LeavesAtRandom)} clients leaving at random; recorded statuses "
            + string.Join(
                ", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x {p.Value}"));
        _output.WriteLine(summary);
        // By what broke (a request's first line, its numbers left out), then the first requests in full.
        var byKind = failures
            .GroupBy(f => $"{f.Request.Kind}: " + Digits().Replace(f.Message.Split('\n')[0], "N"))
            .OrderByDescending(g => g.Count());
        Assert.True(failures.IsEmpty, $"{failures.Count} of {count} requests broke the contract ({summary}; replay: "
            + $"TRACEDLLM_FAULT_LOAD_SEED={seed} TRACEDLLM_FAULT_LOAD_REQUESTS={count} "
            + $"TRACEDLLM_FAULT_LOAD_CONCURRENCY={concurrency}):\n"
            + string.Join("\n", byKind.Select(g => $"{g.Count()} x {g.Key}")) + "\nfirst ones:\n"
            + string.Join(
                "\n", failures.OrderBy(f => f.Request.Index).Take(20).Select(f => $"{f.Request}: {f.Message}")));
        await AssertNoFailureSampledOutAsync(traces);
    }

    // The host's tail sampler keeps no request it may drop (ratio 0, no latency or join reason): under
    // load too, every request with a failed span or a guardrail intervention arrives whole, and the
    // others do not arrive at all (so the sampler did sample).
    private async Task AssertNoFailureSampledOutAsync(
        IReadOnlyCollection<(LoadRequest Request, IReadOnlyList<Activity> Spans)> traces)
    {
        var mustKeep = traces
            .Where(t => t.Spans.Any(s => s.Status == ActivityStatusCode.Error
                || s.GetTagItem(Telemetry.AttributeNames.GuardrailStatus) as string
                    == Telemetry.GuardrailStatuses.Intervened))
            .ToList();
        HashSet<ActivitySpanId> exported = new();
        var incomplete = mustKeep;
        await Eventually.TryAsync(
            () =>
            {
                Assert.True(_host.FlushSampled());
                exported = _host.Sampled.Snapshot().Select(s => s.SpanId).ToHashSet();
                incomplete = mustKeep.Where(t => !t.Spans.All(s => exported.Contains(s.SpanId))).ToList();
                return incomplete.Count == 0;
            },
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(50));

        var sampledOut = traces.Count - mustKeep.Count;
        _output.WriteLine($"tail sampling at a ratio of 0: {mustKeep.Count} requests kept whole (a failure or an "
            + $"intervention), {sampledOut} sampled out");
        Assert.True(incomplete.Count == 0,
            $"tail sampling left out spans of {incomplete.Count} of {mustKeep.Count} failed requests, first: "
            + string.Join("; ", incomplete.Take(5).Select(t =>
                $"{t.Request}: {t.Spans.Count(s => !exported.Contains(s.SpanId))} of {t.Spans.Count}")));
        Assert.True(sampledOut > 0, "no request of the load was one tail sampling may drop");
        var leaked = traces.Except(mustKeep).SelectMany(t => t.Spans).Count(s => exported.Contains(s.SpanId));
        Assert.True(leaked == 0, $"{leaked} spans of requests tail sampling may drop were exported");
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    /// <summary>A number from the environment (<c>random</c> picks a seed), else the default.</summary>
    private static int Setting(string name, int fallback) => Environment.GetEnvironmentVariable(name) switch
    {
        null or "" => fallback,
        "random" => Random.Shared.Next(),
        var text => int.Parse(text, CultureInfo.InvariantCulture),
    };
}
