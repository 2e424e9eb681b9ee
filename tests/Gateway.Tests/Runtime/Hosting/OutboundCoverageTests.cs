using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using TracedLlm.Gateway.SeenRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>Outbound coverage through a real host (tests/Gateway.SeenRoutes).</summary>
/// <remarks>
/// A model request a traced route sends with a plain <c>new HttpClient()</c> outside every attempt is
/// counted on <c>tracedllm.coverage.unattempted_requests</c> by host and operation, warned once with the
/// calling method, and listed by the served manifest; a send inside an attempt, through a client whose
/// sends are attempts, outside any traced request, or to an API that is not a model's is not, unless declared.
/// </remarks>
public sealed class OutboundCoverageTests
{
    private const string Metric = "tracedllm.coverage.unattempted_requests";
    private const string PlainRoute = "TracedLlm.Gateway.SeenRoutes.CoverageRoutes.SendsOutsideAnAttempt";
    private const string SharedRoute = "TracedLlm.Gateway.SeenRoutes.CoverageRoutes.SendsThroughASharedClient";

    [Fact]
    public async Task APlainClientsModelRequestOutsideEveryAttemptIsCountedWarnedOnceAndListed()
    {
        await using var host = await StartAsync();
        using var counted = new Measurements();

        await PostAsync(host, "/v1/chat/completions/gap-plain");
        await PostAsync(host, "/v1/chat/completions/gap-plain");

        // Counted once a request, by host and operation.
        Assert.Equal(2, counted.Of("localhost", "chat"));

        // Warned once for the host and operation, naming the method that sent it (a new HttpClient's first send
        // runs on a stack without its caller: the route's handler is named then).
        var warnings = host.Logs.Entries.Where(e => e.Category == OutboundCoverageSink.LoggerCategory).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("chat at localhost", warning.Message, StringComparison.Ordinal);
        Assert.Contains(PlainRoute, warning.Message, StringComparison.Ordinal);

        // Listed by the served manifest, with the count and the calling code.
        var listed = Assert.Single(await UnattemptedAsync(host));
        Assert.Equal("localhost", (string?)listed["host"]);
        Assert.Equal("chat", (string?)listed["operation"]);
        Assert.Equal(2, (long)listed["count"]!);
        Assert.Contains(PlainRoute, (string?)listed["location"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWarningNamesTheSendingMethodAndItsLine()
    {
        await using var host = await StartAsync();

        // The shared client's first send, outside any traced request: its next ones run on their caller's stack.
        using (await CoverageRoutes.Shared.PostAsync(host.Upstream.Address + "/warm-up", new StringContent("{}")))
        {
        }

        await PostAsync(host, "/v1/chat/completions/gap-shared");

        var warning = Assert.Single(host.Logs.Entries, e => e.Category == OutboundCoverageSink.LoggerCategory);
        Assert.Contains("embeddings at localhost", warning.Message, StringComparison.Ordinal);
        Assert.Contains("from " + SharedRoute + " (CoverageRoutes.cs:", warning.Message, StringComparison.Ordinal);
        var listed = Assert.Single(await UnattemptedAsync(host));
        Assert.StartsWith(SharedRoute + " (CoverageRoutes.cs:", (string?)listed["location"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions/gap-attempt")]
    [InlineData("/v1/chat/completions/gap-attempts-client")]
    [InlineData("/v1/chat/completions/gap-users")]
    public async Task ASendInsideAnAttemptOrToAnotherApiIsNotCounted(string route)
    {
        await using var host = await StartAsync();
        using var counted = new Measurements();

        await PostAsync(host, route);

        Assert.Equal(0, counted.All);
        Assert.Empty(await UnattemptedAsync(host));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Category == OutboundCoverageSink.LoggerCategory);
    }

    [Fact]
    public async Task ASendOutsideATracedRequestIsNotCounted()
    {
        await using var host = await StartAsync();
        using var counted = new Measurements();

        // An endpoint of the app that is no traced route, and the test's own code.
        using var client = new HttpClient { BaseAddress = new Uri(host.Address) };
        using var untraced = await client.PostAsync(SeenRoutesHost.UntracedSend, new StringContent("{}"));
        Assert.Equal(HttpStatusCode.OK, untraced.StatusCode);
        var upstream = CoverageRoutes.Host(new SeenUpstream(host.Upstream.Address));
        using var direct = await client.PostAsync(upstream + "/v1/chat/completions", new StringContent("{}"));

        Assert.Equal(0, counted.All);
        Assert.Empty(await UnattemptedAsync(host));
    }

    [Fact]
    public async Task ADeclaredPathOrNamedClientIsCountedWhateverItsPath()
    {
        await using var host = await StartAsync();
        using var counted = new Measurements();

        await PostAsync(host, "/v1/chat/completions/gap-declared-path");
        await PostAsync(host, "/v1/chat/completions/gap-declared-client");

        Assert.Equal(1, counted.Of("localhost", ModelOperations.Other));
        Assert.Equal(1, counted.Of("127.0.0.1", ModelOperations.Other));
        Assert.Equal(
            new[] { ("127.0.0.1", "other"), ("localhost", "other") },
            (await UnattemptedAsync(host)).Select(g => ((string)g["host"]!, (string)g["operation"]!)));
    }

    [Fact]
    public async Task CoverageOffCountsNothing()
    {
        await using var host = await StartAsync(options => options.OutboundCoverage.Enabled = false);
        using var counted = new Measurements();

        await PostAsync(host, "/v1/chat/completions/gap-plain");

        Assert.Equal(0, counted.All);
        Assert.Empty(await UnattemptedAsync(host));
    }

    /// <summary>
    /// From the spans alone (LlmCall.Current not flowing): a request's own span is a gap, an attempt's is not, an ended
    /// request's is not.
    /// </summary>
    [Fact]
    public void TheSpansTellAGapFromAnAttempt()
    {
        using var spans = new SpanCollector();
        var source = TracedLlmTelemetry.Source;
        using var server = source.StartActivity(SpanNames.Server, ActivityKind.Server)!;
        using var llm = source.StartActivity(SpanNames.LlmRequest, ActivityKind.Client)!;
        using (var http = new Activity("System.Net.Http.HttpRequestOut").Start())
        {
            Assert.True(OutboundCoverage.InSpans(http));
        }

        using (var attempt = source.StartActivity(SpanNames.UpstreamAttempt, ActivityKind.Client)!)
        using (var sdk = new Activity("chat gpt").Start())
        {
            Assert.False(OutboundCoverage.InSpans(sdk));
        }

        llm.Stop();
        Assert.False(OutboundCoverage.InSpans(llm));
        Assert.False(OutboundCoverage.InSpans(new Activity("untraced")));
    }

    [Theory]
    [InlineData("/v1/chat/completions", "chat")]
    [InlineData("/openai/deployments/gpt-4o/chat/completions", "chat")]
    [InlineData("/v1/completions", "text_completion")]
    [InlineData("/v1/embeddings", "embeddings")]
    [InlineData("/v1/responses", "chat")]
    [InlineData("/v1/messages", "chat")]
    [InlineData("/v1beta/models/gemini-2.0-flash:generateContent", "generate_content")]
    [InlineData("/v1beta/models/gemini-2.0-flash:streamGenerateContent", "generate_content")]
    [InlineData("/v1beta/models/text-embedding-004:embedContent", "embeddings")]
    [InlineData("/api/chat", "chat")]
    [InlineData("/api/embed", "embeddings")]
    [InlineData("/model/anthropic.claude-v2/invoke", "chat")]
    [InlineData("/api/users", null)]
    [InlineData("/v1/threads/t1/messages", null)]
    [InlineData("/v1/models", null)]
    [InlineData("/invoke", null)]
    public void AnOperationIsReadFromItsPath(string path, string? operation) =>
        Assert.Equal(operation, ModelOperations.Of(path));

    private static async Task<SeenRoutesHost> StartAsync(Action<TracedLlmOptions>? options = null)
    {
        var host = new SeenRoutesHost { Options = options };
        await host.InitializeAsync();
        return host;
    }

    private static async Task PostAsync(SeenRoutesHost host, string route)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.Address) };
        const string Body = """{"model":"gpt","messages":[{"role":"user","content":"hello"}]}""";
        using var response = await client.PostAsync(route, new StringContent(Body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<IReadOnlyList<JsonNode>> UnattemptedAsync(SeenRoutesHost host)
    {
        using var client = new HttpClient { BaseAddress = new Uri(host.Address) };
        var manifest = JsonNode.Parse(await client.GetStringAsync("/tracedllm/manifest"))!;
        return manifest["unattemptedModelRequests"]!.AsArray().Select(g => g!).ToList();
    }

    /// <summary>The counter's measurements while it lives, by host and operation.</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string? Host, string? Operation, long Value)> _values = new();

        public Measurements()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName && instrument.Name == Metric)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? host = null, operation = null;
                foreach (var tag in tags)
                {
                    host = tag.Key == AttributeNames.ServerAddress ? tag.Value as string : host;
                    operation = tag.Key == AttributeNames.GenAiOperationName ? tag.Value as string : operation;
                }

                _values.Enqueue((host, operation, value));
            });
            _listener.Start();
        }

        public long All => _values.Sum(v => v.Value);

        public long Of(string host, string operation) =>
            _values.Where(v => v.Host == host && v.Operation == operation).Sum(v => v.Value);

        public void Dispose() => _listener.Dispose();
    }
}
