using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;
using static TracedLlm.OpenTelemetry.Tests.RouterSpans;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// The router on spans recorded as the runtime records them (a TracedLlm server span carrying its
/// caller, its children by context, another library's spans by parent object): which request each
/// span belongs to, each destination's ratio, scope and content, the bound on open destinations,
/// idle ones closed, and what a hostile parent cannot do.
/// </summary>
public sealed class TraceRouterTests : IAsyncLifetime
{
    private static readonly ActivitySource Foreign = new("Tests.Foreign");
    private readonly ConcurrentQueue<string> _warnings = new();
    private ScriptedOtlpEndpoint _a = null!;
    private ScriptedOtlpEndpoint _b = null!;
    private ScriptedOtlpEndpoint _platform = null!;

    public async Task InitializeAsync()
    {
        _a = await ScriptedOtlpEndpoint.StartAsync();
        _b = await ScriptedOtlpEndpoint.StartAsync();
        _platform = await ScriptedOtlpEndpoint.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Fact]
    public void ASpanOfAnotherLibraryGoesWithTheRequestItRunsInAndOneOutsideAnyToTheDefault()
    {
        using (var provider = Provider(Options()))
        {
            // ASP.NET Core's request span, parent of the server span (as the runtime places it), and an HttpClient span
            // under the attempt.
            using (var hosting = Foreign.StartActivity("HTTP POST", ActivityKind.Server)!)
            {
                using var server = Server(new LlmCaller { TeamId = "team-a" }, hosting.Context);
                using var attempt = Child("raw_gen_ai_request", server);
                using (Foreign.StartActivity("POST upstream", ActivityKind.Client))
                {
                }
            }

            // Its request span left in another trace, linked (a metadata join): it goes with the request too.
            using (var hosting = Foreign.StartActivity("HTTP POST linked", ActivityKind.Server)!)
            {
                Activity.Current = null;
                using var server = Server(
                    new LlmCaller { TeamId = "team-b" },
                    default,
                    new ActivityLink(hosting.Context));
                Activity.Current = hosting;
            }

            using (Foreign.StartActivity("background job", ActivityKind.Internal))
            {
            }
        }

        Assert.Equal(
            new[] { "HTTP POST", "POST upstream", "Received Proxy Server Request", "raw_gen_ai_request" },
            Names(_a));
        Assert.Equal(new[] { "HTTP POST linked", "Received Proxy Server Request" }, Names(_b));
        Assert.Equal(new[] { "background job" }, Names(_platform));
    }

    [Fact]
    public void AServerSpanJoiningARemoteContextNeverJoinsAnotherRequestWhoseSpanIdItNames()
    {
        using (var provider = Provider(Options()))
        {
            using var teamA = Server(new LlmCaller { TeamId = "team-a" });

            // Team B names team A's running server span as its parent (a traceparent, an existing_trace_id with
            // parent_observation_id).
            var named = new ActivityContext(teamA.TraceId, teamA.SpanId, ActivityTraceFlags.Recorded, isRemote: true);
            using (var teamB = Server(new LlmCaller { TeamId = "team-b" }, named))
            using (Child("litellm_request", teamB))
            {
            }
        }

        Assert.Equal(new[] { "Received Proxy Server Request" }, Names(_a));
        Assert.Equal(new[] { "Received Proxy Server Request", "litellm_request" }, Names(_b));
    }

    [Fact]
    public void ADestinationKeepsTheShareOfRequestsItsRatioSaysWholeAndTheRequestMayOnlyLowerIt()
    {
        var options = Options();
        options.Destinations["a"].SamplingRatio = 0.5;
        options.Destinations["b"].SamplingRatio = 0.5;
        options.Destinations["b"].Teams.Add("team-a");
        var lowered = new List<ActivityTraceId>();
        using (var provider = Provider(options))
        {
            for (var i = 0; i < 300; i++)
            {
                using var server = Server(new LlmCaller { TeamId = "team-a" }, sampleRate: i % 3 == 0 ? 0.1 : null);
                using (Child("litellm_request", server))
                {
                }

                if (i % 3 == 0)
                {
                    lowered.Add(server.TraceId);
                }
            }
        }

        var atA = ReceivedSpans.Of(_a).GroupBy(s => s.TraceId).ToList();
        var atB = ReceivedSpans.Of(_b).GroupBy(s => s.TraceId).ToList();

        // Whole requests, the same ones at both destinations; about half of those that asked for nothing lower.
        Assert.All(atA, trace => Assert.Equal(2, trace.Count()));
        Assert.Equal(atA.Select(t => t.Key).Order(), atB.Select(t => t.Key).Order());
        var unlowered = atA.Count(t => !lowered.Any(l => l.ToHexString() == t.Key));
        Assert.InRange(unlowered, 60, 140);

        // Those that asked for 0.1 get at most their 0.1 (never the destination's 0.5).
        var keptLowered = atA.Count(t => lowered.Any(l => l.ToHexString() == t.Key));
        Assert.InRange(keptLowered, 0, 25);
        Assert.All(
            atA.Where(t => lowered.Any(l => l.ToHexString() == t.Key)),
            t => Assert.True(TraceIdRatio.Keeps(ActivityTraceId.CreateFromString(t.Key), 0.1)));

        // A request asking for more than its destination's ratio gets the destination's.
        options = Options();
        options.Destinations["a"].SamplingRatio = 0;
        var before = ReceivedSpans.Of(_a).Count;
        using (var provider = Provider(options))
        using (Server(new LlmCaller { TeamId = "team-a" }, sampleRate: 0.99))
        {
        }

        Assert.Equal(before, ReceivedSpans.Of(_a).Count);
    }

    [Fact]
    public void ScopeAndContentAreEachDestinationsOwn()
    {
        var options = Options();
        options.Destinations["b"].Teams.Add("team-a");
        options.Destinations["b"].Scope = ExportScope.GenerationsOnly;
        options.Destinations["b"].CaptureContent = false;
        using (var provider = Provider(options))
        using (var server = Server(new LlmCaller { TeamId = "team-a" }))
        {
            server.SetTag(AttributeNames.LangfuseObservationInput, "the prompt");
            using var generation = Child(
                "litellm_request",
                server,
                (AttributeNames.LangfuseObservationType, "generation"),
                (AttributeNames.LangfuseObservationOutput, "the answer"));
        }

        var atA = ReceivedSpans.Of(_a);
        Assert.Equal(2, atA.Count);
        Assert.Equal(
            "the prompt",
            atA.Single(s => s.Name == SpanNames.Server).Text(AttributeNames.LangfuseObservationInput));
        Assert.Equal(
            "the answer",
            atA.Single(s => s.Name == "litellm_request").Text(AttributeNames.LangfuseObservationOutput));
        var atB = Assert.Single(ReceivedSpans.Of(_b));
        Assert.Equal("litellm_request", atB.Name);
        Assert.Null(atB.Text(AttributeNames.LangfuseObservationOutput));
    }

    [Fact]
    public void ADestinationAloneHasTheWholeBoundsAndManyShareThem()
    {
        var bounds = new ExportQueueOptions
        {
            MaxQueueSize = 1000,
            MaxQueueBytes = 4_000_000,
            MaxBufferedExportBytes = 8_000_000,
            ShutdownTimeout = TimeSpan.FromSeconds(1)
        };
        var alone = new TraceRoutingOptions();
        alone.Destinations["only"] = new TraceDestinationOptions { Endpoint = _a.Url, Default = true };
        var many = Options();
        var sharing = Options();
        for (var i = 0; i < 5; i++)
        {
            var key = $"x-api-key=team-{i}";
            many.Destinations["team-" + i] = new() { Endpoint = _b.Url, Headers = key, Teams = { "team-" + i } };
            sharing.Destinations["team-" + i] = new() { Endpoint = _b.Url, Teams = { "team-" + i } };
        }

        // One destination: no other to keep room for, so nothing less than an exporter of its own.
        using (var router = new TraceRouter(alone, bounds, _warnings.Enqueue))
        {
            Assert.Equal(
                (1000, 4_000_000L, 8_000_000L),
                (router.DestinationBounds.MaxQueueSize,
                    router.DestinationBounds.MaxQueueBytes,
                    router.DestinationBounds.MaxBufferedExportBytes));
        }

        // Three: a third each; eight (each team its own key): the configured quarter.
        using (var router = new TraceRouter(Options(), bounds, _warnings.Enqueue))
        {
            Assert.Equal(333, router.DestinationBounds.MaxQueueSize);
        }

        using (var router = new TraceRouter(many, bounds, _warnings.Enqueue))
        {
            Assert.Equal(
                (250, 1_000_000L, 2_000_000L),
                (router.DestinationBounds.MaxQueueSize,
                    router.DestinationBounds.MaxQueueBytes,
                    router.DestinationBounds.MaxBufferedExportBytes));
        }

        // Five teams sending to B's endpoint with its (no) credentials share B's queue: three queues, a third each.
        using (var router = new TraceRouter(sharing, bounds, _warnings.Enqueue))
        {
            Assert.Equal(333, router.DestinationBounds.MaxQueueSize);
        }
    }

    [Fact]
    public async Task OpenDestinationsAreBoundedAndIdleOnesClosedEachDeliveringFirst()
    {
        var options = Options();
        options.MaxLiveDestinations = 2;
        options.IdleTimeout = TimeSpan.FromMilliseconds(300);
        options.Destinations["platform"].Users.Add("u-3");
        using (var provider = Provider(options))
        {
            var router = Router!;
            var most = 0;
            for (var i = 0; i < 30; i++)
            {
                using (Server(
                        i % 3 == 0 ? new LlmCaller { TeamId = "team-a" }
                        : i % 3 == 1 ? new LlmCaller { TeamId = "team-b" }
                        : new LlmCaller { UserId = "u-3" })
                ) { }

                most = Math.Max(most, router.OpenDestinations.Count);
            }

            Assert.Equal(2, most);

            // Idle for the timeout: every destination closes, its spans delivered; a span later opens one again.
            await Eventually.HoldsAsync(
                () => router.OpenDestinations.Count == 0,
                "the idle destinations closed",
                TimeSpan.FromSeconds(10));
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count == 10,
                "team A's spans, delivered as its destination closed",
                TimeSpan.FromSeconds(10));
            using (Server(new LlmCaller { TeamId = "team-a" })) { }

            Assert.Equal(new[] { "a" }, router.OpenDestinations);
        }

        Assert.Equal(11, ReceivedSpans.Of(_a).Count);
        Assert.Equal(10, ReceivedSpans.Of(_b).Count);
        Assert.Equal(10, ReceivedSpans.Of(_platform).Count);
        Assert.Equal(0, Router!.RunningSpans);
    }

    /// <summary>Under memory pressure, a quiet team's batch goes once it holds a quarter of its reserve.</summary>
    /// <remarks>
    /// Not after its delay: sealed in a buffer of at most twice its bytes, it fits about the reserve a channel may
    /// always hold, so the batches of many quiet teams built over a long delay leave as they grow and none is dropped
    /// while the backends take them.
    /// </remarks>
    [Fact]
    public async Task UnderPressureAQuietTeamsBatchGoesBeforeItsDelay()
    {
        // Ten teams with keys of their own, a reserve of 400,000 / 10 bytes each, and a delay no test waits for: their
        // 415 kB of spans, sealed together at the end, would take 640 KiB of buffers.
        const int teams = 10, requests = 100;
        var options = new TraceRoutingOptions { DenyUnmatched = true };
        for (var i = 0; i < teams; i++)
        {
            options.Destinations["team-" + i] =
                new() { Endpoint = _b.Url, Headers = $"x-api-key=team-{i}", Teams = { "team-" + i } };
        }

        var bounds = new ExportQueueOptions
        {
            ScheduledDelay = TimeSpan.FromMinutes(1),
            MaxBufferedExportBytes = 400_000,
            ShutdownTimeout = TimeSpan.FromSeconds(5)
        };
        using (Provider(options, bounds))
        {
            // In twenty waves, as a steady rate of requests would come.
            for (var i = 0; i < requests * teams; i++)
            {
                using (var server = Server(new LlmCaller { TeamId = "team-" + (i % teams) }))
                {
                    server.SetTag("app.note", new string('x', 300));
                }

                if (i % (requests * teams / 20) == 0)
                {
                    await Task.Delay(50);
                }
            }

            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_b).Count >= requests * teams / 4,
                "the teams' batches, sent before their delay",
                TimeSpan.FromSeconds(10));
        }

        Assert.True(
            requests * teams == ReceivedSpans.Of(_b).Count,
            $"{ReceivedSpans.Of(_b).Count} delivered in {_b.Requests.Count} requests ("
            + string.Join(", ", _b.Requests.Select(r => r.Body.Length)) + "); " + string.Join(" | ", _warnings));

        // Each team's batches left as they grew (a piece at a time, more at once when the export catches up), not
        // one a team at the end.
        Assert.True(_b.Requests.Count > teams, $"{_b.Requests.Count} OTLP request(s)");
        Assert.DoesNotContain(_warnings, warning => warning.Contains("dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AllDestinationsTogetherHoldNoMoreThanTheBoundsAndAHealthyOneKeepsItsRoom()
    {
        // Team A's and team B's backends hang; each destination may hold all of the 2 MiB buffer alone.
        _a.Otherwise = ScriptedOtlpEndpoint.Hang();
        _b.Otherwise = ScriptedOtlpEndpoint.Hang();
        var options = Options();
        options.DestinationShare = 1;
        foreach (var destination in options.Destinations.Values)
        {
            destination.TimeoutMilliseconds = 60_000;
        }

        var bounds = new ExportQueueOptions
        {
            MaxBatchSize = 4,
            MaxBufferedExportBytes = 2L * 1024 * 1024,
            MaxConcurrentExports = 1,
            ScheduledDelay = TimeSpan.FromMilliseconds(20),
            ShutdownTimeout = TimeSpan.FromSeconds(1)
        };
        var big = new string('x', 50_000);
        var most = 0L;
        using (var provider = Provider(options, bounds))
        {
            for (var i = 0; i < 60; i++)
            {
                foreach (var caller in new[]
                    {
                        new LlmCaller { TeamId = "team-a" },
                        new LlmCaller { TeamId = "team-b" },
                        null
                    })
                {
                    using var server = Server(caller);
                    server.SetTag("payload", big);
                }

                await Task.Delay(5);
                most = Math.Max(most, Router!.Held.Buffered);
            }

            // The healthy default delivers everything while the others hang.
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_platform).Count == 60,
                "the default destination's 60 spans",
                TimeSpan.FromSeconds(20));
            most = Math.Max(most, Router!.Held.Buffered);
            Assert.True(
                Router.BufferedBytes("a") + Router.BufferedBytes("b")
                    <= bounds.MaxBufferedExportBytes + 2 * TraceRouter.DestinationReserve,
                $"{Router.BufferedBytes("a")} + {Router.BufferedBytes("b")} bytes held");
        }

        Assert.InRange(most, 1, bounds.MaxBufferedExportBytes + 3 * TraceRouter.DestinationReserve);
    }

    [Theory]
    // A tenth of a batch in the scheduled delay: ten delays, then at most the limit (4).
    [InlineData(1000, 100, 512, 5120)]
    [InlineData(1000, 256, 512, 2000)] // half a batch: twice the delay
    [InlineData(1000, 0, 512, 4000)]
    [InlineData(2500, 512, 512, 2500)] // full after 2.5 s: that long again
    [InlineData(300, 512, 512, 1000)] // full before the scheduled delay: the scheduled delay
    public void AQuietDestinationsNextBatchWaitsAsLongAsAFullBatchWouldTakeWithinTheLimit(
        int waitedMs,
        int spans,
        int batch,
        int expectedMs)
    {
        var scheduled = TimeSpan.FromSeconds(1);
        var limit = BoundedExportProcessor.QuietDelayLimit(scheduled, routed: true);
        Assert.Equal(TimeSpan.FromSeconds(4), limit);
        Assert.Equal(scheduled, BoundedExportProcessor.QuietDelayLimit(scheduled, routed: false));
        var next = BoundedExportProcessor.NextDelay(
            TimeSpan.FromMilliseconds(waitedMs),
            spans,
            batch,
            scheduled,
            limit);
        Assert.Equal(TimeSpan.FromMilliseconds(Math.Min(expectedMs, 4000)), next);
    }

    [Theory]
    [InlineData(1_000, 4_000, 1_000, 5_000)] // due on the grid already: unchanged
    [InlineData(1_130, 4_000, 1_000, 5_000)] // due at 5,130: the grid before
    [InlineData(1_130, 4_000, 0, 5_130)] // a plain exporter's (no grid): exactly its delay
    [InlineData(1_130, 800, 1_000, 1_930)] // a delay within one grid: exactly its delay
    [InlineData(long.MaxValue - 10, 4_000, 1_000, long.MaxValue)] // past the clock's end: never
    public void ABatchIsDueOnTheSealGridNeverLaterThanItsDelayAndNotAGridSooner(
        long openedAt, long delay, long grid, long expected)
    {
        Assert.Equal(expected, BoundedExportProcessor.DueAt(openedAt, delay, grid));
    }

    // Quiet destinations' batches opened apart within one grid (a quarter of the scheduled delay) are
    // sealed and sent together, not each at its own time: a send alone wakes a pool thread that spins.
    [Fact]
    public async Task QuietDestinationsBatchesOpenedWithinOneGridAreSentTogetherWithinTheirDelay()
    {
        // Sends start on the thread pool: in a fresh test host on two cores, one waited for the pool to add a thread
        // (about 500 ms), and the batches came late together or apart (7 of 24 runs alone; 0 of 17 with this).
        System.Threading.ThreadPool.GetMinThreads(out var workers, out var ports);
        System.Threading.ThreadPool.SetMinThreads(Math.Max(workers, 16), ports);
        var scheduled = TimeSpan.FromMilliseconds(800);
        var bounds = new ExportQueueOptions { ScheduledDelay = scheduled, ShutdownTimeout = TimeSpan.FromSeconds(5) };
        static long Ticks(TimeSpan span) => (long)(span.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        var grid = Ticks(scheduled) / BoundedExportProcessor.SealGridsPerDelay;
        using (var provider = Provider(Options(), bounds))
        {
            // Team a's batch opens when its span is serialized (its hold, 100 ms, later), and is due a
            // delay after that: begun early in a grid, team b's, 120 ms later, falls due in the same one.
            var opens = Ticks(BoundedExportProcessor.SpanHold + scheduled);
            while ((Stopwatch.GetTimestamp() + opens) % grid > Ticks(TimeSpan.FromMilliseconds(30)))
            {
                await Task.Delay(1);
            }

            var ended = DateTime.UtcNow;
            using (Server(new LlmCaller { TeamId = "team-a" }))
            {
            }

            await Task.Delay(120);
            using (Server(new LlmCaller { TeamId = "team-b" }))
            {
            }

            await Eventually.HoldsAsync(
                () => _a.Requests.Count == 1 && _b.Requests.Count == 1,
                "each team's batch, without a flush",
                TimeSpan.FromSeconds(5));
            var (a, b) = (_a.Requests[0].At, _b.Requests[0].At);

            // Apart they would come 120 ms apart; together, within a few milliseconds (60 allowed for a
            // busy machine). Neither waits for its quiet limit (four delays): its due time is exact (the test
            // above), and the wall clock here allows a loaded machine a second more.
            Assert.InRange((b - a).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(60));
            var bound = BoundedExportProcessor.SpanHold + scheduled + TimeSpan.FromSeconds(1);
            Assert.InRange(a - ended, TimeSpan.Zero, bound);
        }

        Assert.Equal([SpanNames.Server], Names(_a));
        Assert.Equal([SpanNames.Server], Names(_b));
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task AQuietDestinationSendsFewerLargerBatchesAndLosesNothing()
    {
        var bounds = new ExportQueueOptions
        {
            ScheduledDelay = TimeSpan.FromMilliseconds(100),
            MaxBatchSize = 40,
            ShutdownTimeout = TimeSpan.FromSeconds(5)
        };
        var clock = Stopwatch.StartNew();
        TimeSpan sending;
        using (var provider = Provider(Options(), bounds))
        {
            // About 160 spans a second: a batch of 40 fills in 250 ms, so at the scheduled delay of 100 ms
            // each batch would hold 16; the destination learns to wait for full ones.
            for (var i = 0; i < 80; i++)
            {
                using (var server = Server(new LlmCaller { TeamId = "team-a" }))
                {
                    for (var child = 0; child < 3; child++)
                    {
                        using (Child("litellm_request", server))
                        {
                        }
                    }
                }

                await Task.Delay(25);
            }

            sending = clock.Elapsed;

            // Delivered without a flush, within the limit (4 delays) of the last span.
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count == 320,
                "every span, without a flush",
                TimeSpan.FromSeconds(10));
        }

        var batches = _a.Requests.Select(r => ReceivedSpans.Decode(r.Body).Count).ToList();
        Assert.Equal(320, batches.Sum());

        // At the scheduled delay there would be about one batch per 100 ms of sending; learned, at most
        // one per 200 ms (and the first, at the scheduled delay), full ones among them.
        Assert.InRange(batches.Count, 2, (int)(sending.TotalMilliseconds / 200) + 2);
        Assert.Contains(40, batches);
        Assert.Empty(_warnings);
    }

    // Quiet teams with keys of their own, on one backend: each request's spans are serialized after their hold (then
    // they wait as bytes in their team's open batch, not as Activity objects), and each team's batch still goes
    // whole, alone in its OTLP request, with its own key, when its delay has passed.
    [Fact]
    public async Task QuietTeamsSpansWaitSerializedAndEachTeamsBatchGoesWholeAloneWithItsOwnKey()
    {
        var options = new TraceRoutingOptions { DenyUnmatched = true };
        foreach (var team in new[] { "a", "b", "c" })
        {
            options.Destinations[team] =
                new() { Endpoint = _a.Url, Headers = $"x-api-key=key-{team}", Teams = { "team-" + team } };
        }

        var bounds = new ExportQueueOptions
        {
            ScheduledDelay = TimeSpan.FromSeconds(3),
            ShutdownTimeout = TimeSpan.FromSeconds(5)
        };
        using (var provider = Provider(options, bounds))
        {
            for (var i = 0; i < 5; i++)
            {
                foreach (var team in new[] { "a", "b", "c" })
                {
                    using var server = Server(new LlmCaller { TeamId = "team-" + team });
                    server.SetTag("app.team", team);
                    using (Child("litellm_request", server, ("app.team", team)))
                    {
                    }
                }
            }

            // Serialized, not sent: no span queued, no batch sealed, no request yet (due seconds later).
            await Eventually.HoldsAsync(
                () => Router!.Held == (0, 0),
                "the teams' spans serialized into their open batches",
                TimeSpan.FromSeconds(2));
            Assert.Empty(_a.Requests);
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count == 30,
                "each team's batch after its delay, without a flush",
                TimeSpan.FromSeconds(10));
        }

        Assert.Equal(3, _a.Requests.Count);
        foreach (var request in _a.Requests)
        {
            var teams = ReceivedSpans.Decode(request.Body).Select(s => s.Text("app.team")).Distinct().ToList();
            var team = Assert.Single(teams);
            Assert.Equal("key-" + team, request.Headers["x-api-key"]);
            Assert.Equal(10, ReceivedSpans.Decode(request.Body).Count);
        }

        Assert.Empty(_warnings);
    }

    // The shared export thread (ExportWorkers): a turn takes one piece at most, so a destination's
    // backlog delays another's due batch by a piece, not by the backlog.
    [Fact]
    public async Task ABacklogAtOneDestinationDelaysAnothersDueBatchByOnePieceAtMost()
    {
        var options = Options();
        options.DestinationShare = 1;
        var bounds = BacklogBounds(TimeSpan.FromMilliseconds(50));
        const int Backlog = 150_000;
        DateTime released;
        using (var provider = Provider(options, bounds))
        {
            // Team A's backlog and team B's one span, queued while no turn can serialize.
            using (Router!.Serializer.Hold())
            {
                for (var i = 0; i < Backlog / 5; i++)
                {
                    using var server = Server(new LlmCaller { TeamId = "team-a" });
                    for (var child = 0; child < 4; child++)
                    {
                        using (Child("litellm_request", server))
                        {
                        }
                    }
                }

                using (Server(new LlmCaller { TeamId = "team-b" }))
                {
                }

                released = DateTime.UtcNow;
            }

            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_b).Count == 1,
                "team B's span",
                TimeSpan.FromSeconds(20));
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count == Backlog,
                "team A's backlog",
                TimeSpan.FromSeconds(60));
        }

        // B's batch went while A's backlog was still being serialized, within its delay (and the
        // learned limit, 4 delays) and a margin for a shared machine, not after the backlog.
        var bAt = _b.Requests[0].At;
        var aLast = _a.Requests.Max(r => r.At);
        Assert.True(bAt < aLast, $"team B's batch at {bAt:HH:mm:ss.fff}, team A's last at {aLast:HH:mm:ss.fff}");
        Assert.True(
            bAt - released < TimeSpan.FromSeconds(1),
            $"team B's batch {(bAt - released).TotalMilliseconds:0} ms after the release");
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task ADestinationClosedWhileTheSharedThreadDrainsItDeliversItsQueueAndReopens()
    {
        var options = Options();
        options.DestinationShare = 1;
        options.MaxLiveDestinations = 1;
        var bounds = BacklogBounds(TimeSpan.FromMilliseconds(20));
        const int Backlog = 20_000;
        using (var provider = Provider(options, bounds))
        {
            using (Router!.Serializer.Hold())
            {
                for (var i = 0; i < Backlog; i++)
                {
                    using (Server(new LlmCaller { TeamId = "team-a" }))
                    {
                    }
                }
            }

            // The shared thread drains A; team B's span opens B, which closes A (one open at most)
            // mid-drain; then team A's span opens A again.
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count > 0,
                "A's first batch",
                TimeSpan.FromSeconds(20));
            using (Server(new LlmCaller { TeamId = "team-b" })) { }

            Assert.Equal(new[] { "b" }, Router.OpenDestinations);
            using (Server(new LlmCaller { TeamId = "team-a" }))
            {
            }

            Assert.Equal(new[] { "a" }, Router.OpenDestinations);
            await Eventually.HoldsAsync(
                () => ReceivedSpans.Of(_a).Count == Backlog + 1,
                "every span of A's",
                TimeSpan.FromSeconds(60));
        }

        Assert.Equal(Backlog + 1, ReceivedSpans.Of(_a).Count);
        Assert.Single(ReceivedSpans.Of(_b));
        Assert.Equal(0, Router!.RunningSpans);
        Assert.Empty(_warnings);
    }

    // Room for a backlog of 150,000 small spans at one destination, delivered within a generous shut-down.
    private static ExportQueueOptions BacklogBounds(TimeSpan delay) => new()
    {
        ScheduledDelay = delay,
        MaxQueueSize = 200_000,
        MaxQueueBytes = 512L * 1024 * 1024,
        MaxQueueBytesPerRequest = 1024 * 1024,
        ShutdownTimeout = TimeSpan.FromSeconds(30),
    };

    private TraceRouter? Router { get; set; }

    private static IReadOnlyList<string> Names(ScriptedOtlpEndpoint endpoint) =>
        ReceivedSpans.Of(endpoint).Select(s => s.Name).Order(StringComparer.Ordinal).ToList();

    private TraceRoutingOptions Options()
    {
        var options = new TraceRoutingOptions();
        options.Destinations["a"] = new TraceDestinationOptions { Endpoint = _a.Url, Teams = { "team-a" } };
        options.Destinations["b"] = new TraceDestinationOptions { Endpoint = _b.Url, Teams = { "team-b" } };
        options.Destinations["platform"] = new TraceDestinationOptions { Endpoint = _platform.Url, Default = true };
        return options;
    }

    // A provider with only the router (disposed: delivered); both sources recorded.
    private TracerProvider Provider(TraceRoutingOptions options, ExportQueueOptions? bounds = null)
    {
        var provider = RouterSpans.Provider(options, _warnings.Enqueue, out var router, bounds, Foreign.Name);
        Router = router;
        return provider;
    }
}
