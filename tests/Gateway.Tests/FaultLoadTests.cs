using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The fault matrix under load (docs/reliability.md, "The matrix under load"): the matrix's cells,
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
        var clock = Stopwatch.StartNew();
        using (var spans = new RunSpans(_host.Plan))
        using (var client = FaultClient.Create(_host.Address, concurrency))
        {
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (request, _) =>
            {
                _host.Plan.Add(request.Run);
                try
                {
                    using var message = FaultClient.Request(request.Prefix, request.Format, request.Stream, request.Run);
                    var view = await FaultClient.RunAsync(client, message, request.Run, request.Leaves, request.Moment);
                    var server = await request.Run.Finished.Task.WaitAsync(FaultClient.Generous);
                    var taken = spans.Take(request.Run);
                    var failed = taken.FirstOrDefault(s => s.DisplayName == Telemetry.SpanNames.Failure);
                    statuses.AddOrUpdate(failed?.GetTagItem(Telemetry.AttributeNames.HttpResponseStatusCode)?.ToString() ?? "200", 1, (_, n) => n + 1);
                    request.AssertContract(view, server, taken);
                }
                catch (Exception exception)
                {
                    // Whatever the check met (a body that is not JSON, a request that never ended): this request's failure.
                    failures.Enqueue((request, (exception is XunitException ? string.Empty : exception.GetType().Name + ": ") + exception.Message));
                }
                finally
                {
                    _host.Plan.Remove(request.Run);
                }
            });

            Assert.True(spans.Unclaimed == 0, $"{spans.Unclaimed} spans belong to no request's trace");
        }

        var summary = string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {count} requests at concurrency {concurrency} in {clock.Elapsed.TotalSeconds:0.0} s; ")
            + string.Join(", ", requests.GroupBy(r => r.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"))
            + $", {requests.Count(r => r.LeavesAtRandom)} clients leaving at random; recorded statuses "
            + string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x {p.Value}"));
        _output.WriteLine(summary);
        // By what broke (a request's first line, its numbers left out), then the first requests in full.
        var byKind = failures.GroupBy(f => $"{f.Request.Kind}: " + Digits().Replace(f.Message.Split('\n')[0], "N")).OrderByDescending(g => g.Count());
        Assert.True(failures.IsEmpty, $"{failures.Count} of {count} requests broke the contract ({summary}; replay: TRACEDLLM_FAULT_LOAD_SEED={seed} TRACEDLLM_FAULT_LOAD_REQUESTS={count} TRACEDLLM_FAULT_LOAD_CONCURRENCY={concurrency}):\n"
            + string.Join("\n", byKind.Select(g => $"{g.Count()} x {g.Key}")) + "\nfirst ones:\n"
            + string.Join("\n", failures.OrderBy(f => f.Request.Index).Take(20).Select(f => $"{f.Request}: {f.Message}")));
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
