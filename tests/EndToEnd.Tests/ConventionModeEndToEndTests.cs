using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway with <c>OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental</c> and an environment name
/// Langfuse would refuse.
/// </summary>
public sealed class ConventionModeEnvironment : SampleGatewayEnvironment
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() => new Dictionary<string, string?>
    {
        ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "http,gen_ai_latest_experimental",
        ["LANGFUSE_TRACING_ENVIRONMENT"] = "Langfuse-Staging",
        ["TRACEDLLM_CAPTURE_MESSAGE_CONTENT"] = "true",
        ["OTEL_METRICS_EXPORTER"] = "otlp",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };
}

/// <summary>The sample gateway exporting each request's generation only (<c>TracedLlm:Export:Scope</c>).</summary>
public sealed class GenerationsOnlyEnvironment : SampleGatewayEnvironment
{
    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() => new Dictionary<string, string?>
    {
        ["TracedLlm__Export__Scope"] = "GenerationsOnly",
    };
}

/// <summary>
/// Issue 40 items 4 and 5 on the wire: the sample gateway as a process, its OTLP export decoded by
/// the receiver the other end-to-end tests use, the exported attributes read back.
/// </summary>
public sealed class ConventionModeEndToEndTests(ConventionModeEnvironment environment)
    : IClassFixture<ConventionModeEnvironment>
{
    [Fact]
    public async Task TheLatestModeExportsThe141NamesTheAppRootAndTheFoldedEnvironment()
    {
        var traceId = await PostInNewTraceAsync(
            environment,
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello mode"}],"metadata":"""
            + """{"trace_user_id":"user-7","session_id":"conv-42"}}""");

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var server = Assert.Single(spans, s => s.Kind == "SERVER");
        var llm = Assert.Single(spans, s => s.Name == "chat gpt-4o-mini");
        Assert.Equal(("CLIENT", server.SpanId), (llm.Kind, llm.ParentSpanId));
        Assert.False(llm.Attributes.ContainsKey("gen_ai.request.stream")); // set only when the request streams
        Assert.Equal("conv-42", llm.Text("gen_ai.conversation.id"));
        Assert.Equal("generation", llm.Text("langfuse.observation.type"));

        // Langfuse v4: the gateway joined another service's trace, so its server span is the app root.
        Assert.Equal(System.Text.Json.JsonValueKind.True, server.Attributes["langfuse.internal.is_app_root"].ValueKind);
        Assert.Equal("traceparent", server.Text("langfuse.observation.metadata.tracedllm.trace_join"));
        Assert.All(
            spans,
            s =>
            {
                Assert.Equal("user-7", s.Text("user.id"));
                Assert.Equal("conv-42", s.Text("session.id"));
                Assert.Equal("staging", s.Text("langfuse.environment"));
            });
        Assert.All(
            spans.Where(s => s.Name == "guardrail"),
            g => Assert.Equal(g.Text("guardrail_name"), g.Text("langfuse.observation.metadata.guardrail_name")));
        Assert.DoesNotContain(spans, s => s.Name == "litellm_request");

        // Each guardrail's run is a gen_ai.evaluation.result event on the LLM span.
        var results = llm.EventDetails.Where(e => e.Name == "gen_ai.evaluation.result").ToList();
        Assert.Equal(2, results.Count);
        Assert.Equal(
            spans
                .Where(s => s.Name == "guardrail")
                .Select(g => g.Text("guardrail_name"))
                .Order(System.StringComparer.Ordinal),
            results.Select(e => e.Attributes["gen_ai.evaluation.name"].GetString()).Order(System.StringComparer.Ordinal)
        );
        Assert.All(results, e => Assert.Equal("pass", e.Attributes["gen_ai.evaluation.score.label"].GetString()));
    }

    [Fact]
    public async Task TheLatestModeExportsPerAttemptClientMetricsWithTheConventionsBoundaries()
    {
        const string model = "attempt-metrics-e2e";
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.PostAsync(
                "/v1/chat/completions",
                $$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"stream per attempt"}]}""",
                traceparent: null));

        var histograms = await ExportedHistograms.WaitAsync(
            environment,
            model,
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.token.usage");

        // gen_ai.client.operation.duration's advice in the conventions (1.41), and the same for the time to first
        // chunk.
        var durations = new[]
        {
            0.01,
            0.02,
            0.04,
            0.08,
            0.16,
            0.32,
            0.64,
            1.28,
            2.56,
            5.12,
            10.24,
            20.48,
            40.96,
            81.92
        };
        Assert.Equal(durations, histograms["gen_ai.client.operation.duration"]);
        Assert.Equal(durations, histograms["gen_ai.client.operation.time_to_first_chunk"]);
        Assert.Equal(
            new double[] { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864 },
            histograms["gen_ai.client.token.usage"]);
    }

    [Fact]
    public async Task TheLatestModeExportsTheStructuredMessagesWithCaptureOn()
    {
        var traceId = await PostInNewTraceAsync(
            environment,
            """{"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},"""
            + """{"role":"user","content":"structured please"}]}""");

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var llm = Assert.Single(spans, s => s.Name == "chat gpt-4o-mini");
        var input = System.Text.Json.Nodes.JsonNode.Parse(llm.Text("gen_ai.input.messages")!)!;
        Assert.True(
            System.Text.Json.Nodes.JsonNode.DeepEquals(
                System.Text.Json.Nodes.JsonNode.Parse(
                    """[{"role":"system","parts":[{"type":"text","content":"be brief"}]},{"role":"user","parts":"""
                    + """[{"type":"text","content":"structured please"}]}]"""),
                input),
            input.ToJsonString());
        var output = Assert.Single(
            System.Text.Json.Nodes.JsonNode.Parse(llm.Text("gen_ai.output.messages")!)!.AsArray()
        )!;
        Assert.Equal("assistant", (string?)output["role"]);
        Assert.Equal("stop", (string?)output["finish_reason"]);
        Assert.Contains("structured please", (string?)output["parts"]![0]!["content"], System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLatestModeExportsAStreamedAnswerAsAnOutputMessage()
    {
        var traceId = await PostInNewTraceAsync(
            environment,
            """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"stream me"}]}""");

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var llm = Assert.Single(spans, s => s.Name == "chat gpt-4o-mini");
        Assert.Equal(System.Text.Json.JsonValueKind.True, llm.Attributes["gen_ai.request.stream"].ValueKind);
        var output = Assert.Single(
            System.Text.Json.Nodes.JsonNode.Parse(llm.Text("gen_ai.output.messages")!)!.AsArray()
        )!;
        Assert.Contains("stream me", (string?)output["parts"]![0]!["content"], System.StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 70, item 6. The latest mode sets both Langfuse's keys and the conventions' messages; Langfuse reads
    /// its own keys first and as a pair (LangfuseView.InputAndOutput restates its ranking), so every span that
    /// carries the conventions' messages must carry both of Langfuse's, or Langfuse shows that side empty even
    /// though the messages are on the span. What Langfuse shows is then the request and the answer.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LangfuseShowsItsOwnKeysOverTheConventionsMessagesAndBothAreThere(bool stream)
    {
        var prompt = stream ? "ranked stream" : "ranked answer";
        var traceId = await PostInNewTraceAsync(
            environment,
            $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":"""
            + $$"""[{"role":"system","content":"be brief"},{"role":"user","content":"{{prompt}}"}]}""");

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var withMessages = spans
            .Where(s =>
                s.Attributes.ContainsKey("gen_ai.input.messages") || s.Attributes.ContainsKey("gen_ai.output.messages"))
            .ToList();
        Assert.Contains(withMessages, s => s.Name == "chat gpt-4o-mini");
        Assert.All(
            withMessages,
            span =>
            {
                var (input, output) = LangfuseView.InputAndOutput(span);
                Assert.Equal(span.Text("langfuse.observation.input"), input);
                Assert.Equal(span.Text("langfuse.observation.output"), output);
                Assert.Contains(prompt, input, System.StringComparison.Ordinal);
                // The embedded provider answers with the prompt.
                Assert.Contains(prompt, output, System.StringComparison.Ordinal);
            });
    }

    /// <summary>
    /// Posts a chat request under a new caller trace (a <c>traceparent</c> of another service) and returns its trace
    /// id.
    /// </summary>
    internal static async Task<string> PostInNewTraceAsync(SampleGatewayEnvironment environment, string json)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.PostAsync("/v1/chat/completions", json, $"00-{traceId}-a1b2c3d4e5f60718-01"));
        return traceId;
    }
}

/// <summary>The generations-only export scope on the wire: one exported span a request.</summary>
public sealed class GenerationsOnlyEndToEndTests(GenerationsOnlyEnvironment environment)
    : IClassFixture<GenerationsOnlyEnvironment>
{
    [Fact]
    public async Task OnlyTheGenerationIsExportedWithTheTraceLevelAttributesOnIt()
    {
        var traceId = await ConventionModeEndToEndTests.PostInNewTraceAsync(
            environment,
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"one span"}],"metadata":"""
            + """{"trace_name":"scoped","session_id":"s-9"}}""");
        await ArrivesAsync(traceId);

        // The server span never comes. The export queue is first in, first out, and every span of the
        // first request ended before a later request's generation did: once that generation is on
        // the wire, anything of the first request would be too.
        var later = await ConventionModeEndToEndTests.PostInNewTraceAsync(
            environment,
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a later one"}]}""");
        await ArrivesAsync(later);
        Assert.Single(Trace(later));
        var generation = Assert.Single(Trace(traceId));
        Assert.Equal("litellm_request", generation.Name);
        Assert.Equal("generation", generation.Text("langfuse.observation.type"));
        Assert.Equal("scoped", generation.Text("langfuse.trace.name"));
        Assert.Equal("s-9", generation.Text("langfuse.session.id"));
    }

    private Task ArrivesAsync(string traceId) =>
        TracedLlm.Tests.Eventually.HoldsAsync(() => Trace(traceId).Count > 0, $"a span of trace {traceId}");

    private List<ExportedSpan> Trace(string traceId) =>
        environment
            .LangfuseExports()
            .SelectMany(e => e.Spans)
            .Where(s => s.TraceId == traceId && s.Service == "tracedllm-sample-gateway")
            .ToList();
}
