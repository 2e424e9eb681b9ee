using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The sample gateway with the OpenTelemetry SDK set up the way most .NET services do it (Hosting,
/// <c>AddAspNetCoreInstrumentation()</c>, <c>AddHttpClientInstrumentation()</c>) and the in-memory
/// exporter: a request is one trace with one Server span, with or without a caller's traceparent;
/// a metadata join into another trace keeps one Server span per trace, linked both ways; upstream
/// HTTP calls nest under their attempt. Without the instrumentation, the server span is the Server span.
/// </summary>
public sealed class AspNetCoreInstrumentationTests
{
    private const string HostingSource = "Microsoft.AspNetCore";
    private const string CallerTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpanId = "b7ad6b7169203331";
    private const string Traceparent = $"00-{CallerTraceId}-{CallerSpanId}-01";
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""";

    [Theory]
    [InlineData(null)]
    [InlineData(Traceparent)]
    public async Task WithTheInstrumentationTheHostingSpanIsTheOneServerSpanAndTheTreeNestsUnderIt(string? traceparent)
    {
        var exported = new ExportedSpans();
        using var host = Host(exported, instrumentation: true);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", Body, traceparent: traceparent));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var hosting = await exported.WaitForAsync(spans => spans.SingleOrDefault(s => s.Source.Name == HostingSource));
        Assert.Equal(ActivityKind.Server, hosting.Kind);
        Assert.Equal("POST /v1/chat/completions", hosting.DisplayName);
        Assert.Equal("/v1/chat/completions", hosting.GetTagItem("http.route"));
        Assert.Equal(
            traceparent is null ? default : ActivitySpanId.CreateFromString(CallerSpanId),
            hosting.ParentSpanId);
        if (traceparent is not null)
        {
            Assert.Equal(CallerTraceId, hosting.TraceId.ToHexString());
        }

        var spans = exported.Snapshot();
        Assert.All(spans, s => Assert.Equal(hosting.TraceId, s.TraceId));
        Assert.Same(hosting, Assert.Single(spans, s => s.Kind == ActivityKind.Server));
        Assert.All(spans, s => Assert.Empty(s.Links));

        var server = Assert.Single(spans, s => s.DisplayName == SpanNames.Server);
        Assert.Equal(ActivityKind.Internal, server.Kind);
        Assert.Equal(hosting.SpanId, server.ParentSpanId);
        Assert.Equal(traceparent is null ? "none" : "traceparent", server.GetTagItem(AttributeNames.TraceJoin));
        AssertTracedLlmTreeUnder(server, spans);
    }

    [Fact]
    public async Task UnderTheHostingSpanTheTreeKeepsTheTraceStateTheJoinRead()
    {
        // ASP.NET Core keeps the header as it came on its own span; TracedLlm's spans get it read and bounded
        // (TraceStateHeader).
        var members = Enumerable.Range(0, 30).Select(i => $"k{i:D2}={new string('v', 30)}").ToArray();
        var exported = new ExportedSpans();
        using var host = Host(exported, instrumentation: true);
        var request = GatewayHost.Post("/v1/chat/completions", Body, traceparent: Traceparent);
        request.Headers.TryAddWithoutValidation("tracestate", string.Join(",", members));
        using var response = await host.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var hosting = await exported.WaitForAsync(spans => spans.SingleOrDefault(s => s.Source.Name == HostingSource));
        var server = Assert.Single(exported.Snapshot(), s => s.DisplayName == SpanNames.Server);
        Assert.Equal(hosting.SpanId, server.ParentSpanId);
        Assert.All(
            exported.Snapshot().Where(s => s.Source.Name == TracedLlmTelemetry.SourceName),
            s => Assert.Equal(string.Join(",", members[..14]), s.TraceStateString));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Traceparent)]
    public async Task WithoutTheInstrumentationTheServerSpanIsTheServerSpan(string? traceparent)
    {
        var exported = new ExportedSpans();
        using var host = Host(exported, instrumentation: false);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", Body, traceparent: traceparent));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var server = await exported.WaitForAsync(spans =>
            spans.SingleOrDefault(s => s.DisplayName == SpanNames.Server));
        var spans = exported.Snapshot();
        Assert.DoesNotContain(spans, s => s.Source.Name != TracedLlmTelemetry.SourceName);
        Assert.Same(server, Assert.Single(spans, s => s.Kind == ActivityKind.Server));
        Assert.Empty(server.Links);
        Assert.Equal(
            traceparent is null ? default : ActivitySpanId.CreateFromString(CallerSpanId),
            server.ParentSpanId);
        if (traceparent is not null)
        {
            Assert.Equal(CallerTraceId, server.TraceId.ToHexString());
        }

        AssertTracedLlmTreeUnder(server, spans);
    }

    /// <summary>
    /// The hard case: ASP.NET Core started its span (in the caller's traceparent trace, or a new one)
    /// before the body named another trace. The server span goes where the metadata says, as that
    /// trace's Server span; the hosting span stays the Server span of its own trace; each links the other.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(Traceparent)]
    public async Task AMetadataJoinIntoAnotherTraceKeepsOneServerSpanPerTraceLinkedBothWays(string? traceparent)
    {
        const string joinedTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string parentObservation = "00f067aa0ba902b7";
        var exported = new ExportedSpans();
        using var host = Host(exported, instrumentation: true);
        var body =
            $$$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"metadata":"""
            + $$$"""{"existing_trace_id":"{{{joinedTrace}}}","parent_observation_id":"{{{parentObservation}}}"}}""";
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions", body, traceparent: traceparent));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var hosting = await exported.WaitForAsync(spans => spans.SingleOrDefault(s => s.Source.Name == HostingSource));
        var spans = exported.Snapshot();
        var server = Assert.Single(spans, s => s.DisplayName == SpanNames.Server);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(joinedTrace, server.TraceId.ToHexString());
        Assert.Equal(parentObservation, server.ParentSpanId.ToHexString());
        Assert.Equal("metadata", server.GetTagItem(AttributeNames.TraceJoin));
        if (traceparent is not null)
        {
            Assert.Equal(CallerTraceId, hosting.TraceId.ToHexString());
        }

        Assert.NotEqual(hosting.TraceId, server.TraceId);
        Assert.Equal(hosting.Context, Assert.Single(server.Links).Context);
        Assert.Equal(server.Context, Assert.Single(hosting.Links).Context);

        // Two traces, each with its Server span: the hosting span alone, and the whole TracedLlm tree.
        Assert.Equal(new[] { hosting }, spans.Where(s => s.TraceId == hosting.TraceId));
        Assert.Equal(
            new[] { hosting.TraceId, server.TraceId }.Select(t => t.ToHexString()).Order(),
            spans.Select(s => s.TraceId.ToHexString()).Distinct().Order());
        Assert.Same(server, Assert.Single(spans, s => s.TraceId == server.TraceId && s.Kind == ActivityKind.Server));
        AssertTracedLlmTreeUnder(server, spans);
    }

    [Fact]
    public async Task UpstreamHttpCallsNestUnderTheirAttemptSpans()
    {
        await using var upstream = await UpstreamStub.StartAsync(503, 200);
        var exported = new ExportedSpans();
        using var host = Host(exported, instrumentation: true)
            .With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .With("Retry:MaxRetries", "1")
            .With("Retry:BaseDelayMs", "1")
            .WithServices(services => services.AddHttpClient(nameof(OpenAiCompatibleProvider))

                // The sample turns HttpClient's propagator off (its attempts write the traceparent):
                // a gateway that wants HttpClient's spans keeps the default one.
                .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler()));
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", Body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var gatewayHosting = await exported.WaitForAsync(spans =>
            spans.SingleOrDefault(s => s.Source.Name == HostingSource && s.ParentSpanId == default));
        var spans = exported.Snapshot().Where(s => s.TraceId == gatewayHosting.TraceId).ToList();
        var attempts = spans
            .Where(s => s.DisplayName == SpanNames.UpstreamAttempt)
            .OrderBy(s => s.StartTimeUtc)
            .ToList();
        Assert.Equal(2, attempts.Count);
        var calls = attempts
            .Select(attempt =>
                Assert.Single(spans, s => s.Source.Name == "System.Net.Http" && s.ParentSpanId == attempt.SpanId))
            .ToList();
        Assert.All(calls, call => Assert.Equal(ActivityKind.Client, call.Kind));
        Assert.All(calls, call => Assert.Equal("POST", call.DisplayName));
        Assert.Equal(new object[] { 503, 200 }, calls.Select(call => call.GetTagItem("http.response.status_code")));

        // HttpClient's propagator replaces the traceparent the attempt wrote with its own span's, so
        // the upstream's spans nest one level deeper, under the HTTP call of their attempt.
        Assert.Equal(calls.Select(c => c.Id), upstream.Received.Select(r => r.Traceparent));

        // The stub runs in this process, so the same provider records its ASP.NET Core span too: the
        // upstream's Server span, under the HTTP call it answered. The gateway's own: one.
        Assert.Equal(
            new[] { default(ActivitySpanId) }.Concat(calls.Select(c => c.SpanId)),
            spans.Where(s => s.Kind == ActivityKind.Server).OrderBy(s => s.StartTimeUtc).Select(s => s.ParentSpanId));
    }

    /// <summary>
    /// The TracedLlm spans under the server span, as the span contract says, all ended, none outliving its parent.
    /// </summary>
    private static void AssertTracedLlmTreeUnder(Activity server, IReadOnlyList<Activity> spans)
    {
        var traced = spans.Where(s => s.Source.Name == TracedLlmTelemetry.SourceName).ToList();
        Assert.All(traced, s => Assert.True(s.IsStopped));
        Assert.All(traced, s => Assert.Equal(server.TraceId, s.TraceId));
        Assert.Equal(
            new[] { SpanNames.Auth, SpanNames.LlmRequest, SpanNames.PreCall },
            server.Children(spans).Select(s => s.DisplayName).Order(StringComparer.Ordinal));
        var llm = Assert.Single(traced, s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Contains(SpanNames.UpstreamAttempt, llm.Children(spans).Select(s => s.DisplayName));
        Assert.All(
            traced.Where(s => s != server),
            s =>
                Assert.Contains(
                    spans,
                    p => p.SpanId == s.ParentSpanId && p.StartTimeUtc + p.Duration >= s.StartTimeUtc + s.Duration));
    }

    private static GatewayHost Host(ExportedSpans exported, bool instrumentation) =>
        new GatewayHost().WithServices(services =>
            services
                .AddOpenTelemetry()
                .WithTracing(tracing =>
                {
                    tracing.AddSource(TracedLlmTelemetry.SourceName);
                    if (instrumentation)
                    {
                        tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                    }

            tracing.AddInMemoryExporter(exported);
        }));
}
