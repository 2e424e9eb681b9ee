using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.AspNetCore.Http;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>What a load request is: healthy, one cell (maybe timed), a pair of faults in two components.</summary>
public enum LoadKind
{
    Healthy,

    /// <summary>A healthy request whose client leaves while its body is still arriving.</summary>
    LeftWhileSending,
    Cell,
    TimedCell,

    /// <summary>A streamed during-call guardrail cell that fails at a random moment beside the paced stream.</summary>
    GuardrailAtRandom,
    Pair,
}

/// <summary>
/// One request of the fault matrix under load: its run (the faults, where a timed cell lands, the
/// upstream's pace), how its client behaves, and the outcomes the contract allows it: the cells
/// whose fault may decide it (one, or two when their components race), a client that may leave
/// at a random moment, a one-second deadline that may pass first on a busy machine.
/// </summary>
public sealed record LoadRequest(
    int Index,
    LoadKind Kind,
    WireFormat Format,
    bool Stream,
    FaultRun Run,
    IReadOnlyList<FaultCell> Deciders,
    ClientLeaves Leaves,
    TimeSpan Moment)
{
    /// <summary>The route prefix: the one-second deadline for a request with a deadline cell.</summary>
    public string Prefix =>
        Run.Cells.Any(c => c.Fault == Fault.ServerRequestTimeout) ? FaultMatrixHost.Deadline : string.Empty;

    /// <summary>The client leaves at a moment of its own (not when a component waits).</summary>
    public bool LeavesAtRandom => Leaves == ClientLeaves.AtMoment;

    /// <summary>The faulty failure logger fails (an event on the failure span).</summary>
    public bool LoggerFails => Run.For(FaultSite.FailureLogger) is not null;

    public override string ToString()
    {
        var what = Run.Cells.Count == 0
            ? $"healthy {Format} {(Stream ? "stream" : "whole")}"
            : string.Join(" + ", Run.Cells);
        var landing = Run.Landing is { } at ? $" at {at}"
            : Run.GuardrailFailsAfter is { } after ? $", the guardrail failing after {after.TotalMilliseconds:0} ms"
            : string.Empty;
        var leaves = Leaves is ClientLeaves.AtMoment or ClientLeaves.WhileSending
            ? $", client leaves {(Leaves == ClientLeaves.WhileSending ? "while sending, " : string.Empty)}"
                + $"{Moment.TotalMilliseconds:0} ms after arriving"
            : string.Empty;
        return $"#{Index} {what}{landing}, chunks {Run.ChunkGap.TotalMilliseconds:0} ms apart{leaves}";
    }

    /// <summary>
    /// Checks the request against the single-cell matrix's contract (<see cref="FaultContract"/>) and the outcome it
    /// may have.
    /// </summary>
    public void AssertContract(ClientView client, RequestRecord server, IReadOnlyList<Activity> spans)
    {
        Assert.Null(server.Escaped);
        var failed = spans.Where(s => s.DisplayName == SpanNames.Failure).ToList();
        if (failed.Count == 0)
        {
            Assert.True(
                Deciders.Count == 0, $"no failure recorded, where {string.Join(" or ", Deciders)} fails the request");
            FaultContract.AssertHealthy(Format, Stream, client, server, spans, Run.Logged, Run.FaultyLoggerCalls);
            return;
        }

        var status = Assert.IsType<int>(Assert.Single(failed).GetTagItem(AttributeNames.HttpResponseStatusCode));
        var errorType = (string?)failed[0].GetTagItem(AttributeNames.ErrorType);
        var outcomes = Outcomes().ToList();
        var match = outcomes.FirstOrDefault(o => o.Expected.Status == status && o.Expected.ErrorType == errorType);
        Assert.True(
            match.Cell is not null,
            $"recorded {status} {errorType}, where the contract allows "
                + $"{string.Join(", ", outcomes.Select(o => $"{o.Expected.Status} {o.Expected.ErrorType}"))}");
        var (cell, expected) = (match.Cell!, match.Expected);
        if (!match.Exact && expected.Answer is not (Answer.Nothing or Answer.ErrorResultsOwn))
        {
            // When it landed decided the answer's form: the contract is that it matches what was sent by then
            // (an error result is its own answer, written before any chunk, whenever it lands).
            expected = expected with
            {
                Answer = client.ContentType == "text/event-stream" ? Answer.StreamErrorEvent : Answer.Json
            };
        }

        if (expected.Status == 499)
        {
            // Nothing is written once the client is gone; a client that stayed is never recorded as gone.
            Assert.True(client.Left, "recorded as a client that left, but the client stayed");
            var events = client.ContentType == "text/event-stream" ? StreamingTests.ParseEvents(client.Body) : new();
            Assert.DoesNotContain(events, e => e.Name is "error" or "message_stop"
                || e.Data == "[DONE]"
                || e.Data.Contains("\"error\"", StringComparison.Ordinal));
            if (cell.Fault == Fault.DisconnectBeforeResponse)
            {
                Assert.False(server.Started, "something was written to a client that had left");
            }
        }
        else if (client.Left)
        {
            // The client left after the failure was decided: what it read is the beginning of that answer.
            Assert.True(client.Error is null, $"the connection broke under the client before it left: {client.Error}");
            Assert.True(
                client.Status is 0 or 200 || client.Status == expected.Status,
                $"status {client.Status} for a {expected.Status} failure");
        }
        else
        {
            FaultContract.AssertAnswer(cell, expected, client, server);
        }

        FaultContract.AssertSpans(
            cell,
            expected,
            spans,
            LoggerFails,
            blocks: Math.Max(1, Run.Cells.Count(c => c.Fault == Fault.Block && c.Site != FaultSite.Authenticator)));
        FaultContract.AssertLoggedOnce(cell, expected, Run.Logged, Run.FaultyLoggerCalls);
    }

    /// <summary>
    /// The outcomes the contract allows, each with the cell that decides it, and whether its answer's form is the
    /// cell's own.
    /// </summary>
    private IEnumerable<(FaultCell? Cell, Expected Expected, bool Exact)> Outcomes()
    {
        // The answer's form is the cell's own only when nothing else can shift the moment it lands.
        var exact = Deciders.Count == 1 && !LeavesAtRandom && Prefix.Length == 0 && Run.GuardrailFailsAfter is null;
        foreach (var decider in Deciders)
        {
            yield return (
                decider,
                Run.Landing is { } landing ? new TimedCell(decider, landing).Expected : decider.Expected,
                exact);
        }

        if (LeavesAtRandom)
        {
            var departure = new FaultCell(FaultSite.Upstream, Fault.DisconnectAfterResponseStarted, Format, Stream);
            yield return (departure, departure.Expected, false);
        }

        if (Prefix.Length > 0)
        {
            // A one-second deadline may pass before any other fault on a busy machine.
            var deadline = new FaultCell(FaultSite.Upstream, Fault.ServerRequestTimeout, Format, Stream);
            yield return (deadline, deadline.Expected, false);
        }
    }
}

/// <summary>
/// Generates the load mode's requests from a seed: 52 % healthy (an eighth of their streaming
/// clients and a twentieth of the others leave at a random moment), 4 % healthy ones whose client
/// leaves while sending its body, 16 % one cell of the matrix, 6 % a timed cell, 5 % a streamed
/// during-call guardrail failing at a random moment, 10 % a pair of faults in two components, 7 %
/// one cell whose client also leaves at a random moment; every upstream paced.
/// </summary>
public static class LoadScenario
{
    /// <summary>The answer's words: each a chunk.</summary>
    private const int Chunks = 3;

    public static IReadOnlyList<LoadRequest> Generate(int seed, int count)
    {
        var random = new Random(seed);
        // The typed routes' cells: the relay's upstream has no chunk gaps or landings to hold at (its cells run one at
        // a time, FaultMatrixTests).
        var cells = FaultCell.All.Where(c => c.Route == RouteKind.Typed).ToList();
        var timed = TimedCell.All.ToList();
        var departing = cells.Where(c => !c.Hangs && c.Site != FaultSite.FailureLogger).ToList();
        var requests = new List<LoadRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var roll = random.NextDouble();
            requests.Add(roll switch
            {
                < 0.52 => Healthy(i, random),
                < 0.56 => LeftWhileSending(i, random),
                < 0.72 => OneCell(i, random, cells, leavesAtRandom: false),
                < 0.78 => Timed(i, random, timed),
                < 0.83 => GuardrailAtRandom(i, random, cells),
                < 0.93 => Pair(i, random, cells),
                _ => OneCell(i, random, departing, leavesAtRandom: true),
            });
        }

        return requests;
    }

    /// <summary>
    /// Which cells may decide a pair's outcome: the earlier component's, or both when the during-call guardrail races
    /// the handler.
    /// </summary>
    public static IReadOnlyList<FaultCell> Deciders(FaultCell a, FaultCell b)
    {
        if (b.Site == FaultSite.FailureLogger)
        {
            return new[] { a };
        }

        if (a.Site == FaultSite.FailureLogger)
        {
            return new[] { b };
        }

        var (during, other) = a.Site == FaultSite.DuringCallGuardrail ? (a, b)
            : b.Site == FaultSite.DuringCallGuardrail ? (b, a)
            : (null, null);
        if (during is null)
        {
            return new[] { Rank(a.Site) < Rank(b.Site) ? a : b };
        }

        return other!.Site switch
        {
            // The during-call guardrails start after these and before the post-call ones.
            FaultSite.Authenticator or FaultSite.PreCallGuardrail => new[] { other },
            FaultSite.PostCallGuardrail => new[] { during },

            // Beside a stream the guardrail fails only once the stream is done, which the handler's fault prevents.
            _ when during.Stream && during.Fault is not (Fault.SyncThrow or Fault.DisconnectBeforeResponse) =>
                new[] { other },
            _ => new[] { during, other },
        };
    }

    private static int Rank(FaultSite site) => site switch
    {
        FaultSite.Authenticator => 0,
        FaultSite.PreCallGuardrail => 1,
        FaultSite.HandlerBeforeLlmCall => 2,
        FaultSite.TargetChooser => 3,
        FaultSite.Upstream => 4,
        FaultSite.StreamAfterFirstChunk => 5,
        FaultSite.PostCallGuardrail => 6,
        _ => 7,
    };

    private static LoadRequest Healthy(int index, Random random)
    {
        var format = Format(random);
        var stream = random.Next(10) < 4;
        var run = new FaultRun(Array.Empty<FaultCell>(), chunkGap: Gap(random, stream));
        var leaves = random.Next(stream ? 8 : 20) == 0;
        return new LoadRequest(
            index,
            LoadKind.Healthy,
            format,
            stream,
            run,
            Array.Empty<FaultCell>(),
            leaves ? ClientLeaves.AtMoment : ClientLeaves.Never,
            leaves ? Moment(random, run) : default);
    }

    private static LoadRequest OneCell(int index, Random random, IReadOnlyList<FaultCell> cells, bool leavesAtRandom)
    {
        var cell = cells[random.Next(cells.Count)];
        var run = new FaultRun(new[] { cell }, chunkGap: Gap(random, cell.Stream));
        return leavesAtRandom
            ? new LoadRequest(
                index, LoadKind.Cell, cell.Format, cell.Stream, run, new[] { cell }, ClientLeaves.AtMoment,
                Moment(random, run))
            : new LoadRequest(
                index, LoadKind.Cell, cell.Format, cell.Stream, run, new[] { cell }, FaultClient.LeavesFor(cell),
                default);
    }

    private static LoadRequest Timed(int index, Random random, IReadOnlyList<TimedCell> timed)
    {
        var (cell, landing) = timed[random.Next(timed.Count)];
        var run = new FaultRun(new[] { cell }, landing, Gap(random, stream: true));
        return new LoadRequest(
            index, LoadKind.TimedCell, cell.Format, true, run, new[] { cell }, FaultClient.LeavesFor(cell), default);
    }

    /// <summary>
    /// Two cells of one route in two components; the second never waits (a departure or a deadline is the first one's).
    /// </summary>
    private static LoadRequest Pair(int index, Random random, IReadOnlyList<FaultCell> cells)
    {
        var first = cells[random.Next(cells.Count)];
        while (first.Site == FaultSite.FailureLogger)
        {
            first = cells[random.Next(cells.Count)];
        }

        var partners = cells
            .Where(c => c.Format == first.Format && c.Stream == first.Stream && c.Site != first.Site && !c.Hangs)
            .ToList();
        var second = partners[random.Next(partners.Count)];
        var run = new FaultRun(new[] { first, second }, chunkGap: Gap(random, first.Stream));
        return new LoadRequest(
            index,
            LoadKind.Pair,
            first.Format,
            first.Stream,
            run,
            Deciders(first, second),
            FaultClient.LeavesFor(first),
            default);
    }

    private static WireFormat Format(Random random) => random.Next(2) == 0 ? WireFormat.OpenAI : WireFormat.Anthropic;

    /// <summary>The upstream's pace: up to 12 ms between a stream's chunks, up to 5 ms before a whole answer.</summary>
    private static TimeSpan Gap(Random random, bool stream) => TimeSpan.FromMilliseconds(random.Next(stream ? 13 : 6));

    /// <summary>A healthy request whose client sends half its body and leaves: 499, nothing written.</summary>
    private static LoadRequest LeftWhileSending(int index, Random random)
    {
        var format = Format(random);
        var stream = random.Next(2) == 0;
        var run = new FaultRun(Array.Empty<FaultCell>(), chunkGap: Gap(random, stream));
        var departure = new FaultCell(FaultSite.Upstream, Fault.DisconnectBeforeResponse, format, stream);
        return new LoadRequest(
            index,
            LoadKind.LeftWhileSending,
            format,
            stream,
            run,
            new[] { departure },
            ClientLeaves.WhileSending,
            TimeSpan.FromMilliseconds(random.Next(20)));
    }

    /// <summary>
    /// A streamed during-call guardrail that fails at a moment of its own while the paced stream runs: before, at or
    /// after the first chunk.
    /// </summary>
    private static LoadRequest GuardrailAtRandom(int index, Random random, IReadOnlyList<FaultCell> cells)
    {
        var choices = cells
            .Where(c => c is
            {
                Site: FaultSite.DuringCallGuardrail,
                Stream: true,
                Fault: Fault.AsyncThrow or Fault.OwnCancellation or Fault.OwnTimeout or Fault.Block
            })
            .ToList();
        var cell = choices[random.Next(choices.Count)];
        var gap = Gap(random, stream: true);
        var run = new FaultRun(
            new[] { cell },
            chunkGap: gap,
            guardrailFailsAfter: TimeSpan.FromMilliseconds(random.NextDouble() * gap.TotalMilliseconds * (Chunks + 1)));
        return new LoadRequest(
            index, LoadKind.GuardrailAtRandom, cell.Format, true, run, new[] { cell }, ClientLeaves.Never, default);
    }

    /// <summary>
    /// A moment from the request's arrival to a little after its whole answer: before, at and after the first chunk.
    /// </summary>
    private static TimeSpan Moment(Random random, FaultRun run) =>
        TimeSpan.FromMilliseconds(random.NextDouble() * ((run.ChunkGap.TotalMilliseconds * (Chunks + 1)) + 10));
}

/// <summary>
/// Each load request's spans: a server span is its request's (the request is current when it starts), every other span
/// its trace's.
/// </summary>
internal sealed class RunSpans : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<ActivityTraceId, ConcurrentQueue<Activity>> _byTrace = new();
    private readonly ConcurrentDictionary<string, ActivityTraceId> _traceOf = new(StringComparer.Ordinal);

    public RunSpans(FaultPlan plan)
    {
        var requests = new HttpContextAccessor();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.DisplayName == SpanNames.Server && requests.HttpContext is { } request)
                {
                    _traceOf[plan.Of(request).Id] = activity.TraceId;
                }

                _byTrace.GetOrAdd(activity.TraceId, static _ => new ConcurrentQueue<Activity>()).Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The run's spans (removed from the index: a finished request starts no more).</summary>
    public IReadOnlyList<Activity> Take(FaultRun run) =>
        _traceOf.TryRemove(run.Id, out var trace) && _byTrace.TryRemove(trace, out var spans)
            ? spans.ToList()
            : Array.Empty<Activity>();

    /// <summary>Spans of traces no request took: a span started outside any request's trace.</summary>
    public int Unclaimed => _byTrace.Values.Sum(q => q.Count);

    public void Dispose() => _listener.Dispose();
}
