using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Request-scoped tail sampling (<see cref="TailSamplingOptions"/>): the decision waits for the
/// request's local root, keeps whole requests or none, always keeps failures, guardrail
/// interventions, slow requests and joined callers, keeps the ratio of the rest by trace id, never
/// queues what it does not keep, and leaves the metrics counting every request. The fault matrix
/// (<see cref="FaultMatrixTests"/>) checks every failure cell's whole trace through it at a ratio of 0.
/// </summary>
public sealed class TailSamplingTests : IDisposable
{
    private static readonly ActivitySource Source = new("TracedLlm.Tests.TailSampling");
    private readonly ActivityListener _listener;

    public TailSamplingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source == Source,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void AtARatioOfZeroOnlyTheRequestsThatMustBeKeptAreExportedWhole()
    {
        var exported = new ConcurrentQueue<Activity>();
        var processor = Processor(
            exported,
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 0,
                LatencyThreshold = TimeSpan.FromMilliseconds(300)
            });
        using var provider = Provider(processor);

        var plain = Request("plain");
        var failedChild = Request(
            "failed-child",
            child => child.SetStatus(ActivityStatusCode.Error, "upstream failed"));
        var failedRoot = Request("failed-root", root: root => root.SetStatus(ActivityStatusCode.Error));
        var intervened = Request(
            "intervened",
            child => child.SetTag(AttributeNames.GuardrailStatus, GuardrailStatuses.Intervened));
        var guardrailPassed = Request(
            "guardrail-passed",
            child => child.SetTag(AttributeNames.GuardrailStatus, "success"));
        var slow = Request("slow", root: _ => Thread.Sleep(400));
        var joined = Request(
            "joined",
            parent: new ActivityContext(
                ActivityTraceId.CreateRandom(),
                ActivitySpanId.CreateRandom(),
                ActivityTraceFlags.Recorded,
                isRemote: true));

        Assert.True(provider.ForceFlush(10_000));
        var byTrace = exported
            .GroupBy(s => s.TraceId)
            .ToDictionary(g => g.Key, g => g.Select(s => s.DisplayName).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(
            new[] { failedChild, failedRoot, intervened, slow, joined }.Select(t => t.TraceId.ToHexString()).Order(),
            byTrace.Keys.Select(k => k.ToHexString()).Order());
        foreach (var kept in new[] { failedChild, failedRoot, intervened, slow, joined })
        {
            // The whole request: its root and its three children, the one that ended late included.
            Assert.Equal(new[] { "auth", "llm", "root", "tool" }, byTrace[kept.TraceId]);
        }

        Assert.DoesNotContain(plain.TraceId, byTrace.Keys);
        Assert.DoesNotContain(guardrailPassed.TraceId, byTrace.Keys);

        // Sampling out is no drop, and nothing is held once the requests have ended.
        Assert.Equal(0, processor.DroppedSpans);
        Assert.Equal(0, processor.HeldBytes);
        Assert.Equal(0, processor.RunningSpans);
    }

    [Fact]
    public void JoinedRequestsAreKeptOnlyWhileKeepJoinedTracesIsOn()
    {
        var exported = new ConcurrentQueue<Activity>();
        using var provider = Provider(
            Processor(
                exported,
                new TailSamplingOptions
                {
                    Enabled = true,
                    Ratio = 0,
                    KeepJoinedTraces = false
                }));

        Request(
            "joined",
            parent: new ActivityContext(
                ActivityTraceId.CreateRandom(),
                ActivitySpanId.CreateRandom(),
                ActivityTraceFlags.Recorded,
                isRemote: true));
        var failed = Request(
            "joined-failed",
            root: root => root.SetStatus(ActivityStatusCode.Error),
            parent: new ActivityContext(
                ActivityTraceId.CreateRandom(),
                ActivitySpanId.CreateRandom(),
                ActivityTraceFlags.Recorded,
                isRemote: true));

        Assert.True(provider.ForceFlush(10_000));
        Assert.All(exported, s => Assert.Equal(failed.TraceId, s.TraceId));
        Assert.Equal(4, exported.Count);
    }

    [Fact]
    public void TheRatioKeepsWholeRequestsChosenByTraceIdAlikeInEveryProcessor()
    {
        var first = new ConcurrentQueue<Activity>();
        var second = new ConcurrentQueue<Activity>();
        var sampling = new TailSamplingOptions { Enabled = true, Ratio = 0.25 };
        var one = Processor(first, sampling);
        var other = Processor(second, sampling);
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(Source.Name)
            .AddProcessor(one)
            .AddProcessor(other)
            .Build()!;

        const int Requests = 2000;
        for (var i = 0; i < Requests; i++)
        {
            Request($"r{i}");
        }

        Assert.True(provider.ForceFlush(10_000));
        var kept = first.GroupBy(s => s.TraceId).ToList();
        Assert.All(kept, trace => Assert.Equal(4, trace.Count()));
        Assert.InRange(kept.Count, Requests * 0.20, Requests * 0.30);
        Assert.Equal(
            first.Select(s => s.SpanId.ToHexString()).Order(),
            second.Select(s => s.SpanId.ToHexString()).Order());
        Assert.Equal(0, one.DroppedSpans + one.RunningSpans);
    }

    [Fact]
    public void SpansOfARequestNotKeptNeverReachTheQueueAndALateFailureIsKeptAlone()
    {
        var queued = new RecordingProcessor();
        using var provider = Provider(
            new TailSamplingProcessor(queued, new TailSamplingOptions { Enabled = true, Ratio = 0 }));

        Request("plain");
        var lateFailure = Request(
            "late-failure",
            late: tool => tool.SetStatus(ActivityStatusCode.Error, "the tool failed after the answer"));

        // The export queue saw nothing of the plain request, and of the other only the span that failed after the
        // decision.
        var span = Assert.Single(queued.Ended);
        Assert.Equal(("tool", lateFailure.TraceId), (span.DisplayName, span.TraceId));
    }

    [Fact]
    public void ARequestRunningPastTheLatencyThresholdStopsHoldingItsSpans()
    {
        var queued = new RecordingProcessor();
        var processor = new TailSamplingProcessor(
            queued,
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 0,
                LatencyThreshold = TimeSpan.FromMilliseconds(200)
            });
        using var provider = Provider(processor);

        var root = Source.StartActivity("root", ActivityKind.Server)!;
        Source.StartActivity("early")!.Stop();
        Assert.Empty(queued.Ended);
        Assert.True(processor.HeldBytes > 0);

        // Past the threshold the request is kept whatever happens: what was held and what ends now pass on at once.
        Thread.Sleep(250);
        Source.StartActivity("late")!.Stop();
        Assert.Equal(new[] { "early", "late" }, queued.Ended.Select(s => s.DisplayName));
        Assert.Equal(0, processor.HeldBytes);

        root.Stop();
        Activity.Current = null;
        Assert.Equal(new[] { "early", "late", "root" }, queued.Ended.Select(s => s.DisplayName));
    }

    [Fact]
    public void AFullHeldBoundLetsTheSpansOfRequestsPastTheThresholdGoSoARootNeverEndedPinsNothing()
    {
        var queued = new RecordingProcessor();
        var processor = new TailSamplingProcessor(queued, new TailSamplingOptions
        {
            Enabled = true,
            Ratio = 0,
            // Long enough that the second request, started after the sleep, ends well within it on a loaded machine.
            LatencyThreshold = TimeSpan.FromSeconds(1),
            MaxHeldBytes = 3_000,
            MaxHeldBytesPerRequest = 3_000,
        });
        using var provider = Provider(processor);

        // A root that is never ended (a leak elsewhere) holds a child of about 2.4 KB.
        var leaked = Source.StartActivity("leaked-root", ActivityKind.Server)!;
        using (var child = Source.StartActivity("leaked-child")!)
        {
            child.SetTag("payload", new string('x', 1_000));
        }

        Activity.Current = null;
        Thread.Sleep(1_050);

        // Another request's span would pass the bound: the leaked request's span goes on instead of this one being
        // refused.
        var next = Source.StartActivity("next-root", ActivityKind.Server)!;
        using (var child = Source.StartActivity("next-child")!)
        {
            child.SetTag("payload", new string('x', 1_000));
        }

        Assert.Equal(new[] { "leaked-child" }, queued.Ended.Select(s => s.DisplayName));
        Assert.Equal(0, processor.DroppedSpans);
        Assert.InRange(processor.HeldBytes, 2_000, 3_000);

        next.Stop();
        leaked.Stop();
        Activity.Current = null;
        Assert.Equal(new[] { "leaked-child", "leaked-root" }, queued.Ended.Select(s => s.DisplayName));
        Assert.Equal(0, processor.HeldBytes);
    }

    [Fact]
    public void AtShutdownWhatIsStillHeldIsDecidedPassedOnOrSampledOutAndCounted()
    {
        using var drops = new DropCounter();
        var decisions = new ConcurrentQueue<string>();
        using var listener = Decisions(decisions);

        var exported = new ConcurrentQueue<Activity>();
        var processor = Processor(exported, new TailSamplingOptions { Enabled = true, Ratio = 0 });
        var provider = Provider(processor);

        // Two requests whose first span never ends before the shut-down: one with a failed child, one without.
        var failing = Source.StartActivity("failing-root", ActivityKind.Server)!;
        using (var child = Source.StartActivity("failed-child")!)
        {
            child.SetStatus(ActivityStatusCode.Error, "upstream failed");
        }

        Activity.Current = null;
        var plain = Source.StartActivity("plain-root", ActivityKind.Server)!;
        using (Source.StartActivity("plain-child"))
        {
        }

        Activity.Current = null;
        Assert.True(processor.HeldBytes > 0);
        Assert.True(processor.Shutdown(10_000));

        // The failed request's held span was delivered before the queue shut down; the other was sampled out.
        Assert.Equal(new[] { "failed-child" }, exported.Select(s => s.DisplayName));
        Assert.Equal(new[] { "drop/ratio", "keep/failure" }, decisions.Order(StringComparer.Ordinal));
        Assert.Equal(0, processor.HeldBytes);

        // A span that ends after the shut-down (the provider still listening) is passed on, and the queue counts it.
        failing.Stop();
        plain.Stop();
        Assert.Equal(2, drops.Count("shut_down"));
        provider.Dispose();
    }

    [Fact]
    public void AtShutdownARequestIsDecidedAsItsFirstSpansEndWouldDecideIt()
    {
        // The first span's own reasons count at the shut-down as at its end: a caller's trace it joined,
        // and the time it has run so far against the latency threshold.
        var decisions = new ConcurrentQueue<string>();
        using var listener = Decisions(decisions);
        var exported = new ConcurrentQueue<Activity>();
        var processor = Processor(
            exported,
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 0,
                LatencyThreshold = TimeSpan.FromMilliseconds(150)
            });
        using var provider = Provider(processor);

        var caller = new ActivityContext(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            ActivityTraceFlags.Recorded,
            isRemote: true);
        var joined = Source.StartActivity(ActivityKind.Server, caller, name: "joined-root")!;
        Source.StartActivity("joined-child")!.Stop();
        Activity.Current = null;
        var slow = Source.StartActivity("slow-root", ActivityKind.Server)!;
        Source.StartActivity("slow-child")!.Stop();
        Activity.Current = null;
        Thread.Sleep(250);

        Assert.True(processor.Shutdown(10_000));

        Assert.Equal(
            new[] { "joined-child", "slow-child" },
            exported.Select(s => s.DisplayName).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "keep/joined", "keep/latency" }, decisions.Order(StringComparer.Ordinal));
        joined.Stop();
        slow.Stop();
    }

    [Fact]
    public void SpansTheSamplerRefusesAreCountedUnderItsOwnReasons()
    {
        using var drops = new DropCounter();
        var exported = new ConcurrentQueue<Activity>();
        var processor = Processor(
            exported,
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 1,
                MaxHeldBytesPerRequest = 15_000,
                MaxHeldBytes = 20_000
            });
        using var provider = Provider(processor);

        // Request one: two children of about 10 KB; the second passes its share (15 KB).
        using (Source.StartActivity("first", ActivityKind.Server))
        {
            for (var i = 0; i < 2; i++)
            {
                using var child = Source.StartActivity("big")!;
                child.SetTag("payload", new string('x', 5_000));
            }

            // Request two, while the first still holds its 10 KB: its 12 KB child passes the 20 KB held by all.
            Activity.Current = null;
            using (Source.StartActivity("second", ActivityKind.Server))
            {
                using var child = Source.StartActivity("bigger")!;
                child.SetTag("payload", new string('y', 6_000));
            }
        }

        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(1, drops.Count("held_request_share"));
        Assert.Equal(1, drops.Count("held_bytes"));
        Assert.Equal(0, drops.Count("request_share") + drops.Count("queue_bytes"));
        Assert.Equal(2, processor.DroppedSpans);
    }

    [Fact]
    public void HeldSpansAreBoundedByTheRequestsShareAndRefusedNotEvicted()
    {
        var exported = new ConcurrentQueue<Activity>();
        var processor = Processor(
            exported,
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 1,
                MaxHeldBytesPerRequest = 30_000
            });
        using var provider = Provider(processor);

        // Twenty children of about 10 KB under one root: the first two fit the share, the rest are refused.
        using (var root = Source.StartActivity("root", ActivityKind.Server)!)
        {
            for (var i = 0; i < 20; i++)
            {
                using var child = Source.StartActivity($"child-{i}")!;
                child.SetTag("payload", new string('x', 5_000));
            }

            Assert.InRange(processor.HeldBytes, 20_000, 30_000);
        }

        Assert.True(provider.ForceFlush(10_000));
        Assert.Equal(
            new[] { "child-0", "child-1", "root" },
            exported.Select(s => s.DisplayName).Order(StringComparer.Ordinal));
        Assert.Equal(18, processor.DroppedSpans);
        Assert.Equal(0, processor.HeldBytes);
    }

    [Fact]
    public async Task ThroughTheGatewayFailuresAndJoinedCallersAreKeptSuccessesAreNotAndMetricsCountEveryRequest()
    {
        var exported = new ExportedSpans();
        var durations = new ConcurrentQueue<object?>();
        using var meter = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "gen_ai.server.request.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meter.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == AttributeNames.HttpResponseStatusCode)
                {
                    durations.Enqueue(tag.Value);
                }
            }
        });
        meter.Start();

        using var host = new GatewayHost().WithServices(services =>
            services
                .AddOpenTelemetry()
                .WithTracing(tracing =>
                    tracing
                        .AddSource(TracedLlmTelemetry.SourceName)
                        .AddAspNetCoreInstrumentation()
                        .AddProcessor(
                            new TailSamplingProcessor(
                                new BoundedExportProcessor(
                                    new InMemoryExporter<Activity>(exported),
                                    new ExportQueueOptions { ScheduledDelay = TimeSpan.FromMilliseconds(10) }),
                                new TailSamplingOptions { Enabled = true, Ratio = 0 }))));
        var client = host.CreateClient();
        const string Chat = "/v1/chat/completions";
        for (var i = 0; i < 20; i++)
        {
            using var ok = await client.SendAsync(GatewayHost.Post(Chat,
                $$"""{"model":"m","messages":[{"role":"user","content":"fine {{i}}"}]}"""));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var failures = new[]
        {
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"this is forbidden"}]}"""),
            GatewayHost.Post(Chat, """{"model":"m","messages":"""),
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"who am i"}]}""",
                apiKey: "sk-wrong"),
            GatewayHost.Post("/v1/messages",
                """{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"forbidden too"}]}""",
                anthropicKeyHeader: true),
        };
        var statuses = new List<HttpStatusCode>();
        foreach (var request in failures)
        {
            using var failed = await client.SendAsync(request);
            statuses.Add(failed.StatusCode);
        }

        Assert.Equal(
            new[]
            {
                HttpStatusCode.BadRequest,
                HttpStatusCode.BadRequest,
                HttpStatusCode.Unauthorized,
                HttpStatusCode.BadRequest
            },
            statuses);
        var callerTrace = ActivityTraceId.CreateRandom();
        using (var joined = await client.SendAsync(GatewayHost.Post(Chat,
            """{"model":"m","messages":[{"role":"user","content":"joined"}]}""",
            traceparent: $"00-{callerTrace}-{ActivitySpanId.CreateRandom()}-01")))
        {
            Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        }

        // Five requests kept, each with its server span (and ASP.NET Core's around it); none of the successes.
        IReadOnlyList<Activity> servers = Array.Empty<Activity>();
        await Eventually.HoldsAsync(
            () =>
            {
                host.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000);
                servers = exported.Snapshot().Where(s => s.DisplayName == SpanNames.Server).ToList();
                return servers.Count >= 5 && durations.Count >= 25;
            },
            "five kept server spans and 25 measured requests",
            poll: TimeSpan.FromMilliseconds(20));

        Assert.Equal(5, servers.Count);
        Assert.Equal(4, servers.Count(s => s.Status == ActivityStatusCode.Error));
        Assert.Single(servers, s => s.TraceId == callerTrace);
        var spans = exported.Snapshot();
        Assert.All(spans, s => Assert.Contains(servers, server => server.TraceId == s.TraceId));
        // ASP.NET Core's request span ends after the server span, as a root of its own (the server span's
        // parent by context): the decision follows it, so each kept request has it too, and no other does.
        bool FiveRequestSpans() =>
            exported.Snapshot().Count(s => s.DisplayName.StartsWith("POST ", StringComparison.Ordinal)) >= 5;
        await Eventually.HoldsAsync(
            () =>
                FiveRequestSpans()
                || (host.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000) && FiveRequestSpans()),
            "the five request spans");
        spans = exported.Snapshot();
        Assert.Equal(
            servers.Select(s => s.TraceId.ToHexString()).Order(),
            spans
                .Where(s => s.DisplayName.StartsWith("POST ", StringComparison.Ordinal))
                .Select(s => s.TraceId.ToHexString())
                .Order());
        Assert.Contains(
            spans,
            s =>
                s.DisplayName == SpanNames.Guardrail
                && (string?)s.GetTagItem(AttributeNames.GuardrailStatus) == GuardrailStatuses.Intervened);

        // The metrics are not sampled: all 25 requests are counted.
        Assert.Equal(25, durations.Count);
    }

    [Fact]
    public void ASpanTheScopeDoesNotSendIsNotHeldButItsReasonStillKeepsItsRequest()
    {
        // As AddTracedLlmOtlpExporter wires a generations-only scope: the queue sends only "llm" spans.
        var queued = new RecordingProcessor();
        var processor = new TailSamplingProcessor(
            queued,
            new TailSamplingOptions { Enabled = true, Ratio = 0 },
            sends: static span => span.DisplayName == "llm");
        using var provider = Provider(processor);

        var root = Source.StartActivity("root", ActivityKind.Server)!;
        using (var auth = Source.StartActivity("auth")!)
        {
            auth.SetStatus(ActivityStatusCode.Error, "the key store failed");
        }

        // Not sent by the scope, so not held: no bytes for it.
        Assert.Equal(0, processor.HeldBytes);
        Source.StartActivity("llm")!.Stop();
        var held = processor.HeldBytes;
        Assert.True(held > 0);
        Source.StartActivity("tool")!.Stop();
        Assert.Equal(held, processor.HeldBytes);

        // The failed auth span, never held, still keeps the request at a ratio of 0: what was held ("llm")
        // passes on, then the root; the spans the scope does not send were never held, so never passed on.
        root.Stop();
        Activity.Current = null;
        Assert.Equal(new[] { "llm", "root" }, queued.Ended.Select(s => s.DisplayName));
        Assert.Equal(0, processor.HeldBytes);
    }

    [Fact]
    public void BehindAGenerationsOnlyProcessorOnlyTheGenerationIsHeldSoTheOthersCannotCrowdItOut()
    {
        // Composed by hand, as the public constructors allow: the sampler holds what the scope sends.
        // The bound has room for about three spans; the request ends ten it will never send first.
        var queued = new RecordingProcessor();
        var bound = 3 * (SpanSize.Span + 64);
        var processor = new TailSamplingProcessor(
            new GenerationsOnlyProcessor(queued),
            new TailSamplingOptions
            {
                Enabled = true,
                Ratio = 1,
                MaxHeldBytes = bound,
                MaxHeldBytesPerRequest = bound
            });
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TracedLlmTelemetry.SourceName)
            .AddProcessor(processor)
            .Build()!;

        var generation = TracedRequest(others: 10);

        Assert.Equal(0, processor.DroppedSpans);
        Assert.Equal(new[] { generation }, queued.Ended.Select(s => s.SpanId));
        Assert.Equal(0, processor.HeldBytes);
    }

    [Fact]
    public async Task TheOtlpExporterWithTheGenerationsOnlyScopeAndTailSamplingDeliversTheGeneration()
    {
        // The wiring AddTracedLlmOtlpExporter builds from the options, on the wire: only the generation
        // is held against the sampler's bound, so it is delivered however many other spans ended first.
        await using var endpoint = await ScriptedOtlpEndpoint.StartAsync();
        var bound = 3 * (SpanSize.Span + 64);
        var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TracedLlmTelemetry.SourceName)
            .AddTracedLlmOtlpExporter(
                otlp => (otlp.Endpoint, otlp.Protocol) = (new Uri(endpoint.Url), OtlpExportProtocol.HttpProtobuf),
                queue =>
                {
                    queue.Scope = ExportScope.GenerationsOnly;
                    queue.ScheduledDelay = TimeSpan.FromMilliseconds(20);
                    queue.Warn = static _ => { };
                    queue.TailSampling = new TailSamplingOptions
                    {
                        Enabled = true,
                        Ratio = 1,
                        MaxHeldBytes = bound,
                        MaxHeldBytesPerRequest = bound
                    };
                })
            .Build()!;
        using (provider)
        {
            TracedRequest(others: 10);
            Assert.True(provider.ForceFlush(10_000));
        }

        Assert.Equal(new[] { "raw_gen_ai_request" }, endpoint.Delivered);
    }

    // A request on TracedLlm's own source: a root, some spans that are not generations, then the
    // generation (the span id returned).
    private static ActivitySpanId TracedRequest(int others)
    {
        using var traced = new ActivitySource(TracedLlmTelemetry.SourceName);
        var root = traced.StartActivity("litellm_request", ActivityKind.Server)!;
        for (var i = 0; i < others; i++)
        {
            traced.StartActivity("tool")!.Stop();
        }

        var generation = traced.StartActivity("raw_gen_ai_request")!;
        generation.SetTag(AttributeNames.LangfuseObservationType, LangfuseObservationTypes.Generation);
        generation.Stop();
        root.Stop();
        Activity.Current = null;
        return generation.SpanId;
    }

    private static (ActivityTraceId TraceId, string Name) Request(
        string name,
        Action<Activity>? child = null,
        Action<Activity>? root = null,
        ActivityContext parent = default,
        Action<Activity>? late = null)
    {
        var server = Source.StartActivity(ActivityKind.Server, parent, name: "root")!;
        server.SetTag("request", name);
        using (var auth = Source.StartActivity("auth")!)
        {
        }

        using (var llm = Source.StartActivity("llm")!)
        {
            child?.Invoke(llm);
        }

        // A child that ends after its root (a foreign instrumentation's span, say).
        var tool = Source.StartActivity("tool")!;
        root?.Invoke(server);
        server.Stop();
        late?.Invoke(tool);
        tool.Stop();

        // Stopping the late child made the stopped root current again: the next request is a root of its own.
        Activity.Current = null;
        return (server.TraceId, name);
    }

    // The sampling decisions counted while the listener lives, as "decision/reason".
    private static System.Diagnostics.Metrics.MeterListener Decisions(ConcurrentQueue<string> decisions)
    {
        var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = static (instrument, l) =>
            {
                if (instrument.Name == TailSamplingProcessor.DecisionsInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var tagged = tags.ToArray().ToDictionary(tag => tag.Key, tag => (string)tag.Value!);
            decisions.Enqueue($"{tagged["decision"]}/{tagged["reason"]}");
        });
        listener.Start();
        return listener;
    }

    private static TailSamplingProcessor Processor(ConcurrentQueue<Activity> exported, TailSamplingOptions sampling) =>
        new(
            new BoundedExportProcessor(
                new CollectingExporter(exported),
                new ExportQueueOptions { ScheduledDelay = TimeSpan.FromMilliseconds(10), Warn = static _ => { } }),
            sampling);

    private static TracerProvider Provider(BaseProcessor<Activity> processor) =>
        Sdk.CreateTracerProviderBuilder().AddSource(Source.Name).AddProcessor(processor).Build()!;

    // The export queue's place: what the sampler passes on, as it passes it.
    private sealed class RecordingProcessor : BaseProcessor<Activity>
    {
        public ConcurrentQueue<Activity> Ended { get; } = new();

        public override void OnEnd(Activity data) => Ended.Enqueue(data);
    }

    private sealed class CollectingExporter(ConcurrentQueue<Activity> exported) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var span in batch)
            {
                exported.Enqueue(span);
            }

            return ExportResult.Success;
        }
    }
}
