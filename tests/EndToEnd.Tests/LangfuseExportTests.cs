using System;
using System.ClientModel;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using OpenAI;
using OpenAI.Chat;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway as a process, with the real OTLP exporter, against a receiver that decodes
/// with a third-party decoder; clients are the real openai and Anthropic SDKs (Node) and the real
/// OpenAI .NET client.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class LangfuseExportTests(EndToEndEnvironment environment)
{
    [Fact]
    public async Task LangfuseExportCarriesTheTreeTheIdsTheAttributesAndTheHeaders()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        const string callerSpan = "a1b2c3d4e5f60718";
        Assert.Equal(
            HttpStatusCode.OK,
            await environment.PostAsync(
                "/v1/chat/completions",
                """{"model":"gpt-4o-mini","temperature":0.5,"messages":[{"role":"user","content":"hello exporter"}]"""
                + ""","metadata":{"trace_name":"export-check","session_id":"session-9","tags":["e2e"]"""
                + ""","ticket":"T-1"}}""",
                $"00-{traceId}-{callerSpan}-01"));

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var server = Assert.Single(spans, s => s.Name == "Received Proxy Server Request");
        Assert.Equal(("SERVER", callerSpan), (server.Kind, server.ParentSpanId));
        var auth = Assert.Single(spans, s => s.Name == "auth");
        var preCall = Assert.Single(spans, s => s.Name == "proxy_pre_call");
        var llm = Assert.Single(spans, s => s.Name == "litellm_request");
        Assert.Equal(("INTERNAL", server.SpanId), (auth.Kind, auth.ParentSpanId));
        Assert.Equal(("INTERNAL", server.SpanId), (preCall.Kind, preCall.ParentSpanId));
        Assert.Equal(("CLIENT", server.SpanId), (llm.Kind, llm.ParentSpanId));
        var guardrails = spans.Where(s => s.Name == "guardrail").ToList();
        Assert.Equal(2, guardrails.Count);
        Assert.All(guardrails, g => Assert.Equal(llm.SpanId, g.ParentSpanId));
        Assert.Equal(
            new[] { "banned-word", "response-length" },
            guardrails.Select(g => g.Text("guardrail_name")).OrderBy(n => n, StringComparer.Ordinal));

        Assert.Equal("export-check", server.Text("langfuse.trace.name"));
        Assert.Equal("session-9", server.Text("langfuse.session.id"));
        Assert.Equal("e2e", server.Attributes["langfuse.trace.tags"][0].GetString());
        Assert.Equal("generation", llm.Text("langfuse.observation.type"));
        Assert.Equal("gpt-4o-mini", llm.Text("gen_ai.request.model"));
        Assert.Equal("gpt-4o-mini", llm.Text("gen_ai.response.model"));
        Assert.Equal(0.5, llm.Number("gen_ai.request.temperature"));
        Assert.Equal(2, llm.Number("gen_ai.usage.input_tokens"));
        Assert.Equal(3, llm.Number("gen_ai.usage.output_tokens"));
        Assert.Equal("stop", llm.Attributes["gen_ai.response.finish_reasons"][0].GetString());
        Assert.Equal("T-1", llm.Text("langfuse.observation.metadata.ticket"));

        var export = environment.LangfuseExports().First(e => e.Spans.Any(s => s.TraceId == traceId));
        Assert.Null(export.Error);
        Assert.Equal(
            "Basic "
                + Convert.ToBase64String(
                    Encoding.UTF8.GetBytes(
                        $"{EndToEndEnvironment.LangfusePublicKey}:{EndToEndEnvironment.LangfuseSecretKey}")),
            export.Authorization);
        Assert.Equal("4", export.IngestionVersion);
        Assert.Equal("application/x-protobuf", export.ContentType);
    }

    [Fact]
    public async Task TheStandardOtlpVariablesExportTheSameSpans()
    {
        using var http = new HttpClient();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, environment.GatewayUrl + "/v1/messages")
        {
            Content = new StringContent(
                """{"model":"claude","max_tokens":16,"messages":[{"role":"user","content":"otlp"}]}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Add("x-api-key", EndToEndEnvironment.ApiKey);
        request.Headers.Add("traceparent", $"00-{traceId}-0102030405060708-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var langfuse = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        await Eventually.HoldsAsync(
            () =>
                environment
                    .Exports()
                    .Where(e => e.Path == "/v1/traces")
                    .SelectMany(e => e.Spans)
                    .Count(s => s.TraceId == traceId) >= langfuse.Count,
            $"the plain OTLP receiver to get the {langfuse.Count} spans Langfuse got",
            poll: TimeSpan.FromMilliseconds(50));

        var otlp = environment.Exports().Where(e => e.Path == "/v1/traces").ToList();
        Assert.All(otlp, e => Assert.Null(e.Authorization));
        Assert.Equal(
            langfuse.Select(s => s.SpanId).OrderBy(id => id, StringComparer.Ordinal),
            otlp.SelectMany(e => e.Spans)
                .Where(s => s.TraceId == traceId)
                .Select(s => s.SpanId)
                .OrderBy(id => id, StringComparer.Ordinal));
    }

    [Fact]
    public async Task SplitTraceScenarioWithTheOpenAINodeClientEndsInOneTrace()
    {
        var client = await environment.RunNodeClientAsync("openai-split-trace.mjs", environment.GatewayUrl + "/v1");
        var traceId = client.GetProperty("traceId").GetString()!;
        var clientSpan = client.GetProperty("spanId").GetString()!;
        Assert.Equal("Echo: Where is my order?", client.GetProperty("content").GetString());

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var server = Assert.Single(spans, s => s.Name == "Received Proxy Server Request");
        Assert.Equal(clientSpan, server.ParentSpanId);
        Assert.Equal("metadata", server.Text("tracedllm.trace_join"));
        Assert.Equal("customer-42", server.Text("langfuse.user.id"));
        var generation = Assert.Single(spans, s => s.Name == "support-answer");
        Assert.Equal(server.SpanId, generation.ParentSpanId);
        Assert.Equal("support-agent", generation.Text("langfuse.observation.prompt.name"));
        Assert.Equal(3, generation.Number("langfuse.observation.prompt.version"));

        // The client's own spans are in the same trace: the client call and undici's HTTP span under it.
        var clientSpans = client.GetProperty("clientSpans").EnumerateArray().ToList();
        Assert.All(clientSpans, s => Assert.Equal(traceId, s.GetProperty("traceId").GetString()));
        Assert.Contains(clientSpans, s => s.GetProperty("parentSpanId").GetString() == clientSpan);
    }

    [Fact]
    public async Task AnthropicSdkMessagesJoinTheCallersTraceWithTheNativeMetadataLeftAlone()
    {
        var client = await environment.RunNodeClientAsync("anthropic-messages.mjs", environment.GatewayUrl);
        var traceId = client.GetProperty("traceId").GetString()!;
        Assert.Equal("Echo: Hello from the Anthropic SDK", client.GetProperty("text").GetString());
        Assert.Equal("end_turn", client.GetProperty("stopReason").GetString());

        // undici's HTTP client span (kind CLIENT = 2) carried the traceparent.
        var httpSpan = client
            .GetProperty("clientSpans")
            .EnumerateArray()
            .Single(s => s.GetProperty("kind").GetInt32() == 2);
        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var server = Assert.Single(spans, s => s.Name == "Received Proxy Server Request");
        Assert.Equal(httpSpan.GetProperty("spanId").GetString(), server.ParentSpanId);
        Assert.Equal("traceparent", server.Text("tracedllm.trace_join"));
        Assert.Equal("litellm_metadata", server.Text("tracedllm.metadata_slot"));
        Assert.Equal("gateway-user-7", server.Text("langfuse.user.id"));
        var generation = Assert.Single(spans, s => s.Name == "anthropic-generation");
        Assert.Equal(server.SpanId, generation.ParentSpanId);
        Assert.All(spans.Where(s => s.Name == "guardrail"), g => Assert.Equal(generation.SpanId, g.ParentSpanId));
        Assert.All(spans, s => Assert.Equal(traceId, s.TraceId));
    }

    [Fact]
    public async Task TheOpenAIDotNetClientJoinsThroughTraceparent()
    {
        using var source = new ActivitySource("TracedLlm.EndToEnd.Client");
        var started = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            // Every source of this process: the HTTP stack may put its own client span under ours.
            ShouldListenTo = _ => true,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = started.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var chat = new ChatClient(
            "gpt-4o-mini",
            new ApiKeyCredential(EndToEndEnvironment.ApiKey),
            new OpenAIClientOptions { Endpoint = new Uri(environment.GatewayUrl + "/v1") });

        string traceId;
        string spanId;
        using (var activity = source.StartActivity("client.dotnet"))
        {
            traceId = activity!.TraceId.ToHexString();
            spanId = activity.SpanId.ToHexString();
            ChatCompletion completion = await chat.CompleteChatAsync(new UserChatMessage("hello from dotnet"));
            Assert.Equal("Echo: hello from dotnet", completion.Content[0].Text);
            Assert.Equal(4, completion.Usage.OutputTokenCount);
        }

        var spans = await environment.GatewayTraceAsync(traceId, expectedSpans: 6);
        var server = Assert.Single(spans, s => s.Name == "Received Proxy Server Request");
        Assert.Equal(server.SpanId, Assert.Single(spans, s => s.Name == "litellm_request").ParentSpanId);

        // The server span's parent is our span or a client span under it, in this process.
        var parent = Assert.Single(started, a => a.SpanId.ToHexString() == server.ParentSpanId);
        while (parent.SpanId.ToHexString() != spanId)
        {
            parent = Assert.Single(started, a => a.SpanId == parent.ParentSpanId);
        }
    }

    [Fact]
    public async Task NoSecretReachesTheSpansOrTheGatewaysOutput()
    {
        await SplitTraceScenarioWithTheOpenAINodeClientEndsInOneTrace();
        var secrets = new[] { EndToEndEnvironment.ApiKey, EndToEndEnvironment.LangfuseSecretKey };
        var exported = environment.Exports().SelectMany(e => e.Spans).ToList();
        Assert.NotEmpty(exported);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, environment.GatewayOutput, StringComparison.Ordinal);
            Assert.All(
                exported,
                span =>
                    Assert.All(
                        span.Attributes.Values,
                        value => Assert.DoesNotContain(secret, value.ToString(), StringComparison.Ordinal)));
        }
    }
}
