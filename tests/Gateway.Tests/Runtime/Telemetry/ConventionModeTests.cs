using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Issue 40, items 4 and 5 in process: the <c>gen_ai_latest_experimental</c> convention mode beside
/// the unchanged default, and the Langfuse v4 facts (app root, user and session everywhere,
/// filterable gateway metadata, folded environments, the generations-only export scope).
/// </summary>
public sealed class ConventionModeTests : IDisposable
{
    private const string Chat = "/v1/chat/completions";
    private const string Body =
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
        + """{"trace_user_id":"u-1","session_id":"s-1","environment":"Langfuse-Staging_EU"}}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Theory]
    [InlineData(null, SemanticConventionMode.Default)]
    [InlineData("", SemanticConventionMode.Default)]
    [InlineData("http", SemanticConventionMode.Default)]
    [InlineData("gen_ai_latest", SemanticConventionMode.Default)]
    [InlineData("gen_ai_latest_experimental", SemanticConventionMode.GenAiLatestExperimental)]
    [InlineData("http/dup, GEN_AI_LATEST_EXPERIMENTAL ", SemanticConventionMode.GenAiLatestExperimental)]
    public void TheOptInListSelectsTheModeByExactEntry(string? optIn, SemanticConventionMode expected) =>
        Assert.Equal(expected, SemanticConventions.FromOptIn(optIn));

    [Fact]
    public void TheOptInVariableSetsTheMode()
    {
        var options = new TracedLlmOptions();
        options.ReadVariables(name =>
            name == "OTEL_SEMCONV_STABILITY_OPT_IN" ? "database,gen_ai_latest_experimental" : null);
        Assert.Equal(SemanticConventionMode.GenAiLatestExperimental, options.SemanticConventions);
        options.ReadVariables(name => name == "OTEL_SEMCONV_STABILITY_OPT_IN" ? "database" : null);
        Assert.Equal(SemanticConventionMode.Default, options.SemanticConventions);
    }

    [Fact]
    public async Task TheDefaultModeKeepsTheContractNameAndAddsNoNewConventionAttribute()
    {
        using var host = new GatewayHost();
        var tree = await SendAsync(host, Body);
        var llm = tree.Single(SpanNames.LlmRequest);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiRequestStream));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiConversationId));
        Assert.DoesNotContain(llm.Events, e => e.Name == "gen_ai.evaluation.result");
    }

    [Fact]
    public async Task TheLatestModeNamesTheLlmSpanAfterOperationAndModelWithStreamAndConversation()
    {
        using var host = new GatewayHost().With("TracedLlm:SemanticConventions", "GenAiLatestExperimental");
        var tree = await SendAsync(host, Body);
        var llm = tree.Single("chat gpt-4o-mini");
        Assert.Equal(ActivityKind.Client, llm.Kind);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiRequestStream)); // set only when the request streams
        Assert.Equal("s-1", llm.GetTagItem(AttributeNames.GenAiConversationId));
        Assert.Equal("generation", llm.GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.DoesNotContain(tree.Spans, s => s.DisplayName == SpanNames.LlmRequest);

        // Each guardrail's run is an evaluation result on the span it judged, beside its own span.
        var guardrails = tree.All(SpanNames.Guardrail);
        Assert.NotEmpty(guardrails);
        var results = llm.Events.Where(e => e.Name == "gen_ai.evaluation.result").ToList();
        Assert.Equal(
            guardrails.Select(g => (string)g.GetTagItem(AttributeNames.GuardrailName)!).Order(StringComparer.Ordinal),
            results
                .Select(e => (string)e.Tags.Single(t => t.Key == "gen_ai.evaluation.name").Value!)
                .Order(StringComparer.Ordinal));
        Assert.All(
            results,
            e => Assert.Equal("pass", e.Tags.Single(t => t.Key == "gen_ai.evaluation.score.label").Value));
        Assert.All(guardrails, g => Assert.Equal(llm.SpanId, g.ParentSpanId));
    }

    [Fact]
    public async Task ABlockIsAFailedEvaluationResultInTheLatestMode()
    {
        using var host = new GatewayHost().With("TracedLlm:SemanticConventions", "GenAiLatestExperimental");
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post(Chat, """{"model":"m","messages":[{"role":"user","content":"forbidden"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var blocked = Assert.Single(
            tree.All(SpanNames.Guardrail),
            g => (string?)g.GetTagItem(AttributeNames.GuardrailStatus) == GuardrailStatuses.Intervened);
        var llm = tree.Single("chat m");
        var result = Assert.Single(
            llm.Events,
            e =>
                e.Name == "gen_ai.evaluation.result"
                && (string?)e.Tags.Single(t => t.Key == "gen_ai.evaluation.name").Value
                    == (string?)blocked.GetTagItem(AttributeNames.GuardrailName));
        Assert.Equal("fail", result.Tags.Single(t => t.Key == "gen_ai.evaluation.score.label").Value);
    }

    [Fact]
    public async Task AGenerationNameStillNamesTheLlmSpanInTheLatestMode()
    {
        using var host = new GatewayHost().With("TracedLlm:SemanticConventions", "GenAiLatestExperimental");
        var tree =
            await SendAsync(host,
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
                + """{"generation_name":"my-gen"}}""");
        Assert.Equal("generation", tree.Single("my-gen").GetTagItem(AttributeNames.LangfuseObservationType));
    }

    [Fact]
    public async Task TheServedManifestNamesTheModeItsReleaseAndSchemaUrl()
    {
        using var host = new GatewayHost().With("TracedLlm:SemanticConventions", "GenAiLatestExperimental");
        var manifest = JsonNode.Parse(await host.CreateClient().GetStringAsync("/tracedllm/manifest"))!;
        Assert.Equal("gen_ai_latest_experimental", (string?)manifest["conventionMode"]);
        Assert.Equal("1.41.0", (string?)manifest["conventionVersion"]);
        Assert.Equal("https://opentelemetry.io/schemas/1.41.0", (string?)manifest["schemaUrl"]);
        Assert.Equal("https://opentelemetry.io/schemas/1.37.0", TracedLlmTelemetry.Source.TelemetrySchemaUrl);
    }

    [Fact]
    public async Task AServerSpanThatJoinedAnotherServicesTraceIsTheAppRoot()
    {
        using var host = new GatewayHost();
        var traceId = ActivityTraceId.CreateRandom();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post(Chat, Body, traceparent: $"00-{traceId}-0102030405060708-01"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(traceId, tree.Server.TraceId);
        Assert.Equal(true, tree.Server.GetTagItem(AttributeNames.LangfuseIsAppRoot));
        Assert.Equal(
            "traceparent",
            tree.Server.GetTagItem(AttributeNames.LangfuseObservationMetadataPrefix + "tracedllm.trace_join"));
        Assert.All(
            tree.Spans.Where(s => s != tree.Server),
            s => Assert.Null(s.GetTagItem(AttributeNames.LangfuseIsAppRoot)));
    }

    [Fact]
    public async Task TheCallersOwnLangfuseTraceIdIsNoAppRootAndNeitherIsANewTrace()
    {
        using var host = new GatewayHost();
        var existing = ActivityTraceId.CreateRandom().ToHexString();
        using var joined = await host.CreateClient().SendAsync(GatewayHost.Post(
            Chat,
                $$$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":"""
                + $$$"""{"existing_trace_id":"{{{existing}}}"}}""",
            traceparent: $"00-{ActivityTraceId.CreateRandom()}-0102030405060708-01"));
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(existing, tree.Server.TraceId.ToHexString());
        Assert.Equal("metadata", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Null(tree.Server.GetTagItem(AttributeNames.LangfuseIsAppRoot));

        _spans.Clear();
        var fresh = await SendAsync(host, Body);
        Assert.Equal("none", fresh.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.Null(fresh.Server.GetTagItem(AttributeNames.LangfuseIsAppRoot));
    }

    [Fact]
    public async Task UserSessionAndTheFoldedEnvironmentAreOnEveryObservation()
    {
        using var host = new GatewayHost();
        var tree = await SendAsync(host, Body);
        Assert.True(tree.Spans.Count >= 5);
        Assert.All(tree.Spans, span =>
        {
            Assert.Equal("u-1", span.GetTagItem(AttributeNames.UserId));
            Assert.Equal("u-1", span.GetTagItem(AttributeNames.LangfuseUserId));
            Assert.Equal("s-1", span.GetTagItem(AttributeNames.SessionId));
            Assert.Equal("s-1", span.GetTagItem(AttributeNames.LangfuseSessionId));
            Assert.Equal("staging_eu", span.GetTagItem(AttributeNames.LangfuseEnvironment));
            Assert.Single(span.TagObjects, t => t.Key == AttributeNames.UserId);
        });
    }

    [Fact]
    public async Task GuardrailFactsAreMirroredAsObservationMetadata()
    {
        using var host = new GatewayHost();
        var tree = await SendAsync(host, Body);
        var guardrails = tree.All(SpanNames.Guardrail);
        Assert.NotEmpty(guardrails);
        Assert.All(
            guardrails,
            g =>
            {
                Assert.Equal(
                    g.GetTagItem(AttributeNames.GuardrailName),
                    g.GetTagItem(AttributeNames.LangfuseMetadataGuardrailName));
                Assert.Equal(GuardrailStatuses.Success, g.GetTagItem(AttributeNames.LangfuseMetadataGuardrailStatus));
            });
    }

    [Theory]
    [InlineData("production", "production")]
    [InlineData("Production", "production")]
    [InlineData("dev_team-2", "dev_team-2")]
    [InlineData("Staging EU", "default")]
    [InlineData("langfuse-prod", "prod")]
    [InlineData("langfuselangfuse_x", "x")]
    [InlineData("LANGFUSE", "default")]
    [InlineData("", "default")]
    [InlineData("a-very-long-environment-name-that-goes-past-forty", "a-very-long-environment-name-that-goes-p")]
    [InlineData("a-very-long-environment-name-that-goes-p/st", "a-very-long-environment-name-that-goes-p")]
    public void EnvironmentsFoldToWhatLangfuseAccepts(string name, string folded)
    {
        var result = LangfuseEnvironments.Fold(name);
        Assert.Equal(folded, result);
        Assert.True(LangfuseEnvironments.IsValid(result));
        Assert.True(result.Length <= 40);
    }

    [Fact]
    public void AnEnvironmentAlreadyInShapeIsReturnedAsItIs()
    {
        var name = new string("prod-1".ToCharArray());
        Assert.Same(name, LangfuseEnvironments.Fold(name));
    }

    [Fact]
    public async Task TheGenerationsOnlyScopeExportsOneSpanARequest()
    {
        var exported = new List<Activity>();
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(TracedLlmTelemetry.SourceName)
            .AddProcessor(
                new GenerationsOnlyProcessor(
                    new SimpleActivityExportProcessor(new InMemoryExporter<Activity>(exported))))
            .Build();
        using var host = new GatewayHost();
        var tree = await SendAsync(host, Body);
        Assert.True(tree.Spans.Count >= 5);
        provider.ForceFlush();

        var llm = tree.Single(SpanNames.LlmRequest);
        var ofThisTrace = exported.Where(s => s.TraceId == llm.TraceId).ToList();
        Assert.Equal(llm.SpanId, Assert.Single(ofThisTrace).SpanId);
        Assert.All(exported, s => Assert.Equal("generation", s.GetTagItem(AttributeNames.LangfuseObservationType)));

        // What Langfuse needs for the trace rides on the one span.
        Assert.Equal("u-1", ofThisTrace[0].GetTagItem(AttributeNames.LangfuseUserId));
        Assert.Equal("s-1", ofThisTrace[0].GetTagItem(AttributeNames.LangfuseSessionId));
    }

    private async Task<SpanTree> SendAsync(GatewayHost host, string body)
    {
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(Chat, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await _spans.SingleTraceAsync();
    }
}
