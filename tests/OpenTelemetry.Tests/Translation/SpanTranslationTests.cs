using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using TracedLlm.Telemetry;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Each backend's names added at export to a request recorded as the runtime records it (server
/// span, generation, guardrail, attempt, and a span of another library), on OpenTelemetry's own
/// serialization: Phoenix's OpenInference, LangSmith's run attributes, and content stripped for a
/// destination that does not capture it. Everything else of a span (ids, kind, times, status,
/// events, links, its other attributes) goes as it was.
/// </summary>
public sealed class SpanTranslationTests
{
    private const string Input =
        """{"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"""
        + """[{"type":"text","text":"hello"}]}]}""";
    private const string Output =
        """{"id":"c1","model":"gpt-4o-mini-2024","choices":[{"message":{"role":"assistant","content":"hi there"}"""
        + ""","finish_reason":"stop"}]}""";

    [Fact]
    public void PhoenixReadsOneLlmSpanWithModelUsageCostMessagesAndTheProject()
    {
        var spans = Record(new OpenInferenceTranslation(captureContent: true, project: "team-a"));
        var generation = spans.Single(s => s.Name == "litellm_request");
        Assert.Equal("LLM", generation.Text("openinference.span.kind"));
        Assert.Single(spans, s => s.Text("openinference.span.kind") == "LLM");
        Assert.Equal("gpt-4o-mini-2024", generation.Text("llm.model_name"));
        Assert.Equal("openai", generation.Text("llm.provider"));
        Assert.Equal(12, generation.Number("llm.token_count.prompt"));
        Assert.Equal(5, generation.Number("llm.token_count.completion"));
        Assert.Equal(17, generation.Number("llm.token_count.total"));
        Assert.Equal(4, generation.Number("llm.token_count.prompt_details.cache_read"));
        Assert.Equal(0.00042, generation.Real("llm.cost.total"));
        using (var parameters = JsonDocument.Parse(generation.Text("llm.invocation_parameters")!))
        {
            Assert.Equal(0.2, parameters.RootElement.GetProperty("temperature").GetDouble());
            Assert.Equal(64, parameters.RootElement.GetProperty("max_tokens").GetInt32());
        }

        Assert.Equal(Input, generation.Text("input.value"));
        Assert.Equal("application/json", generation.Text("input.mime_type"));
        Assert.Equal(Output, generation.Text("output.value"));
        Assert.Equal(
            ("system", "be brief"),
            (generation.Text("llm.input_messages.0.message.role"),
                generation.Text("llm.input_messages.0.message.content")));
        Assert.Equal(
            ("user", "hello"),
            (generation.Text("llm.input_messages.1.message.role"),
                generation.Text("llm.input_messages.1.message.content")));
        Assert.Equal(
            ("assistant", "hi there"),
            (generation.Text("llm.output_messages.0.message.role"),
                generation.Text("llm.output_messages.0.message.content")));

        // Sent once, under OpenInference's names: Langfuse's content keys go.
        Assert.All(spans, s => Assert.Null(s.Text(AttributeNames.LangfuseObservationInput)));

        // The other spans in their places; another library's span as it was recorded.
        Assert.Equal("GUARDRAIL", spans.Single(s => s.Name == "guardrail").Text("openinference.span.kind"));
        Assert.Equal(
            "CHAIN",
            spans.Single(s => s.Name == "Received Proxy Server Request").Text("openinference.span.kind"));
        Assert.Equal("CHAIN", spans.Single(s => s.Name == "raw_gen_ai_request").Text("openinference.span.kind"));
        Assert.Null(spans.Single(s => s.Name == "GET").Text("openinference.span.kind"));

        // Metadata (the caller among it) as one JSON object, tags, user and session where OpenInference reads them; the
        // project on the resource.
        using (var metadata = JsonDocument.Parse(generation.Text("metadata")!))
        {
            Assert.Equal("team-a", metadata.RootElement.GetProperty("user_api_key_team_id").GetString());
            Assert.Equal("c-1", metadata.RootElement.GetProperty("custom").GetString());
        }

        Assert.Equal(new object[] { "gateway", "beta" }, (object[])generation.Attributes["tag.tags"]!);
        Assert.Equal("user-1", generation.Text("user.id"));
        Assert.Equal("session-1", generation.Text("session.id"));
        Assert.All(spans, s => Assert.Equal("team-a", s.Resource["openinference.project.name"]));
        Assert.All(spans, s => Assert.Equal("translation-tests", s.Resource["service.name"]));
    }

    [Fact]
    public void PhoenixWithoutAProjectUsesDefaultAndTheStreamedAnswerIsItsText()
    {
        var spans = Record(new OpenInferenceTranslation(captureContent: true, project: null), output: "streamed text");
        var generation = spans.Single(s => s.Name == "litellm_request");
        Assert.Equal("streamed text", generation.Text("output.value"));
        Assert.Equal("text/plain", generation.Text("output.mime_type"));
        Assert.Equal(
            ("assistant", "streamed text"),
            (generation.Text("llm.output_messages.0.message.role"),
                generation.Text("llm.output_messages.0.message.content")));
        Assert.All(spans, s => Assert.Equal("default", s.Resource["openinference.project.name"]));
    }

    [Fact]
    public void LangSmithReadsOneLlmRunWithItsInputsOutputsUsageAndMetadata()
    {
        var spans = Record(new LangSmithTranslation(captureContent: true, project: "team-a"));
        var generation = spans.Single(s => s.Name == "litellm_request");
        Assert.Equal("llm", generation.Text("langsmith.span.kind"));
        Assert.Single(spans, s => s.Text("langsmith.span.kind") == "llm");
        Assert.All(
            spans.Where(s => s.Name != "GET" && s.Name != "litellm_request"),
            s => Assert.Equal("chain", s.Text("langsmith.span.kind")));
        Assert.Equal("litellm_request", generation.Text("langsmith.trace.name"));
        Assert.Equal(
            "my trace",
            spans.Single(s => s.Name == "Received Proxy Server Request").Text("langsmith.trace.name"));
        Assert.Equal("openai", generation.Text("gen_ai.system"));
        Assert.Equal(17, generation.Number("gen_ai.usage.total_tokens"));
        using (var usage = JsonDocument.Parse(generation.Text("langsmith.usage_metadata")!))
        {
            Assert.Equal(12, usage.RootElement.GetProperty("input_tokens").GetInt32());
            Assert.Equal(5, usage.RootElement.GetProperty("output_tokens").GetInt32());
            Assert.Equal(4, usage.RootElement.GetProperty("input_token_details").GetProperty("cache_read").GetInt32());
            Assert.Equal(0.00042, usage.RootElement.GetProperty("total_cost").GetDouble());
        }

        Assert.Equal("gpt-4o-mini-2024", generation.Text("langsmith.metadata.ls_model_name"));
        Assert.Equal("openai", generation.Text("langsmith.metadata.ls_provider"));
        Assert.Equal(Input, generation.Text("gen_ai.prompt"));
        Assert.Equal(Output, generation.Text("gen_ai.completion"));
        Assert.Equal("team-a", generation.Text("langsmith.metadata.user_api_key_team_id"));
        Assert.Equal("session-1", generation.Text("langsmith.metadata.session_id"));
        Assert.Equal("user-1", generation.Text("langsmith.metadata.user_id"));
        Assert.Equal("gateway, beta", generation.Text("langsmith.span.tags"));
        Assert.All(spans, s => Assert.Equal("team-a", s.Text("langsmith.trace.session_name")));
        Assert.All(spans, s => Assert.Null(s.Text(AttributeNames.LangfuseObservationOutput)));
    }

    [Fact]
    public void LangSmithTakesTextThatIsNoJsonObjectUnderOneKey()
    {
        var spans = Record(new LangSmithTranslation(captureContent: true, project: null), output: "{\"cut\": \"short");
        var generation = spans.Single(s => s.Name == "litellm_request");
        using var completion = JsonDocument.Parse(generation.Text("gen_ai.completion")!);
        Assert.Equal("{\"cut\": \"short", completion.RootElement.GetProperty("output").GetString());
        Assert.All(spans, s => Assert.Null(s.Text("langsmith.trace.session_name")));
    }

    [Theory]
    [InlineData(TraceDestinationKind.Otlp)]
    [InlineData(TraceDestinationKind.Langfuse)]
    [InlineData(TraceDestinationKind.Phoenix)]
    [InlineData(TraceDestinationKind.LangSmith)]
    public void ADestinationThatDoesNotCaptureContentGetsNoneUnderAnyName(TraceDestinationKind kind)
    {
        var spans = Record(SpanTranslation.For(kind, captureContent: false, project: null));
        var content = new[] { Input, Output, "be brief", "hello", "hi there", "the instructions" };
        Assert.All(
            spans.SelectMany(s => s.Attributes.Values),
            value => Assert.DoesNotContain(value as string ?? string.Empty, content));
        Assert.DoesNotContain(
            spans.SelectMany(s => s.Attributes.Keys),
            key =>
                key.Contains("messages", StringComparison.Ordinal)
                || key.EndsWith(".value", StringComparison.Ordinal)
                || key is "gen_ai.prompt" or "gen_ai.completion");

        // What is not content stays: the model, the usage, the caller.
        var generation = spans.Single(s => s.Name == "litellm_request");
        Assert.Equal(12, generation.Number(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(
            "team-a",
            generation.Text(AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyTeamId));
    }

    [Fact]
    public void EverythingButTheAttributesGoesAsOpenTelemetryWroteIt()
    {
        using var harness = new TranslationHarness(null);
        RecordRequest(harness, Output);
        var recorded = harness.Serialize(null);
        foreach (var translation in new[]
            {
                SpanTranslation.For(TraceDestinationKind.Phoenix, true, "p"),
                SpanTranslation.For(TraceDestinationKind.LangSmith, true, "p"),
                SpanTranslation.For(TraceDestinationKind.Otlp, false, null)
            })
        {
            var translated = harness.Serialize(translation);
            Assert.Equal(recorded.Count, translated.Count);
            foreach (var (before, after) in recorded.Zip(translated))
            {
                Assert.Equal(
                    (before.TraceId, before.SpanId, before.ParentSpanId, before.Name, before.Kind, before.Times),
                    (after.TraceId, after.SpanId, after.ParentSpanId, after.Name, after.Kind, after.Times));
                Assert.Equal((before.StatusCode, before.StatusMessage), (after.StatusCode, after.StatusMessage));
                Assert.Equal(before.Events, after.Events);
                Assert.Equal(before.Links, after.Links);

                // Every attribute that is not content is kept with its value.
                foreach (var (key, value) in before.Attributes.Where(a =>
                        a.Key
                            is not (
                                AttributeNames.LangfuseObservationInput
                                or AttributeNames.LangfuseObservationOutput
                                or AttributeNames.GenAiInputMessages
                                or AttributeNames.GenAiOutputMessages
                                or AttributeNames.GenAiSystemInstructions)))
                {
                    Assert.Equal(value, after.Attributes[key]);
                }
            }
        }

        var failed = recorded.Single(s => s.Name == "raw_gen_ai_request");
        Assert.Equal(2, failed.StatusCode);
        Assert.Equal("upstream 503", failed.StatusMessage);
        Assert.Equal(new[] { "exception" }, failed.Events);
        Assert.Equal(
            recorded.Single(s => s.Name == SpanNames.Server).SpanId,
            Assert.Single(recorded.Single(s => s.Name == "GET").Links));
    }

    // One request as the runtime records it, and a span of another library under its attempt.
    private static List<ReceivedSpan> Record(SpanTranslation? translation, string output = Output)
    {
        using var harness = new TranslationHarness(translation);
        RecordRequest(harness, output);
        return harness.Received();
    }

    private static void RecordRequest(TranslationHarness harness, string output)
    {
        var trace = new (string, object?)[]
        {
            (AttributeNames.LangfuseTraceName, "my trace"),
            (AttributeNames.UserId, "user-1"),
            (AttributeNames.SessionId, "session-1"),
            (AttributeNames.LangfuseTraceTags, new[] { "gateway", "beta" }),
            (AttributeNames.LangfuseTraceMetadataPrefix + AttributeNames.UserApiKeyTeamId, "team-a"),
        };
        var server = harness.Start(
            SpanNames.Server,
            ActivityKind.Server,
            Tags(
                trace,
                (AttributeNames.LangfuseObservationType, "span"),
                (AttributeNames.LangfuseObservationInput, Input),
                (AttributeNames.LangfuseObservationOutput, output)));
        var generation = harness.Start(
            "litellm_request",
            ActivityKind.Client,
            Tags(
                trace,
                (AttributeNames.LangfuseObservationType, "generation"),
                (AttributeNames.GenAiProviderName, "openai"),
                (AttributeNames.GenAiRequestModel, "gpt-4o-mini"),
                (AttributeNames.GenAiResponseModel, "gpt-4o-mini-2024"),
                (AttributeNames.LangfuseObservationModelName, "gpt-4o-mini-2024"),
                (AttributeNames.GenAiUsageInputTokens, 12),
                (AttributeNames.GenAiUsageOutputTokens, 5),
                (AttributeNames.GenAiUsageCacheReadInputTokens, 4),
                (AttributeNames.GenAiUsageCost, 0.00042),
                (AttributeNames.GenAiRequestTemperature, 0.2),
                (AttributeNames.GenAiRequestMaxTokens, 64),
                (AttributeNames.LangfuseObservationInput, Input),
                (AttributeNames.LangfuseObservationOutput, output),
                (AttributeNames.GenAiSystemInstructions, "the instructions"),
                (AttributeNames.LangfuseObservationMetadataPrefix + "custom", "c-1")),
            server.Context);
        var guardrail = harness.Start(
            "guardrail",
            ActivityKind.Internal,
            Tags(
                trace,
                (AttributeNames.LangfuseObservationType, "guardrail"),
                (AttributeNames.OpenInferenceSpanKind, "GUARDRAIL"),
                (AttributeNames.GuardrailStatus, "success")),
            generation.Context);
        guardrail.Stop();
        var attempt = harness.Start(
            "raw_gen_ai_request",
            ActivityKind.Client,
            Tags(
                trace,
                (AttributeNames.LangfuseObservationType, "span"),
                (AttributeNames.GenAiRequestModel, "gpt-4o-mini")),
            generation.Context);
        var foreign = harness.Start(
            "GET",
            ActivityKind.Client,
            new[] { new KeyValuePair<string, object?>("url.full", "http://upstream/v1/chat/completions") },
            attempt.Context);
        foreign.AddLink(new ActivityLink(server.Context));
        foreign.Stop();
        attempt.AddException(new InvalidOperationException("upstream 503"));
        attempt.SetStatus(ActivityStatusCode.Error, "upstream 503");
        attempt.Stop();
        generation.Stop();
        server.Stop();
    }

    private static IEnumerable<KeyValuePair<string, object?>> Tags(
        (string, object?)[] trace,
        params (string Key, object? Value)[] own
    ) => own.Concat(trace).Select(t => new KeyValuePair<string, object?>(t.Item1, t.Item2));
}
