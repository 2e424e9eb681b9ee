using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The generated pipeline of the sample gateway, end to end through the real host: span tree, response, failure path.
/// </summary>
public sealed class PipelineTests : IDisposable
{
    private const string CallerTrace = "0af7651916cd43dd8448eb211c80319c";
    private const string CallerSpan = "b7ad6b7169203331";
    private const string Traceparent = $"00-{CallerTrace}-{CallerSpan}-01";

    private const string ChatBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello gateway"}],"temperature":"""
        + """0.2,"metadata":{"generation_name":"chat-gen","trace_user_id":"user-7","session_id":"s-1","tags":"""
        + """["t1","t2"]}}""";
    private const string MessagesBody =
        """{"model":"claude-sonnet","max_tokens":64,"messages":[{"role":"user","content":"hello claude"}]"""
        + ""","metadata":{"user_id":"anthropic-native-user"},"litellm_metadata":{"trace_name":"messages-trace"}}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task ChatSuccessRecordsTheWholeTree()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "Echo: hello gateway",
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(ActivityKind.Server, tree.Server.Kind);
        Assert.Equal(default, tree.Server.ParentSpanId);
        tree.AssertChild(SpanNames.Auth, tree.Server, ActivityKind.Internal);
        tree.AssertChild(SpanNames.PreCall, tree.Server, ActivityKind.Internal);
        var llm = tree.AssertChild("chat-gen", tree.Server, ActivityKind.Client);
        var guardrails = tree.All(SpanNames.Guardrail);
        Assert.Equal(
            new[] { "banned-word", "response-length" },
            guardrails.OrderBy(g => g.StartTimeUtc).Select(g => (string?)g.GetTagItem(AttributeNames.GuardrailName)));
        Assert.All(guardrails, g => Assert.Equal(llm.SpanId, g.ParentSpanId));
        Assert.All(
            guardrails,
            g => Assert.Equal(GuardrailStatuses.Success, g.GetTagItem(AttributeNames.GuardrailStatus)));
        Assert.Equal(
            new[] { "pre_call", "post_call" },
            guardrails.OrderBy(g => g.StartTimeUtc).Select(g => (string?)g.GetTagItem(AttributeNames.GuardrailMode)));
        Assert.Empty(tree.All(SpanNames.Failure));
        var attempt = tree.AssertChild(SpanNames.UpstreamAttempt, llm, ActivityKind.Client);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("initial", attempt.GetTagItem(AttributeNames.AttemptKind));

        // The embedded provider is an IChatClient: the attempt's model and usage come from its ChatResponse.
        Assert.Equal("gpt-4o-mini", attempt.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(2L, attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(3L, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(7, tree.Spans.Count);

        Assert.Equal("chat", llm.GetTagItem(AttributeNames.GenAiOperationName));
        Assert.Equal("tracedllm.embedded", llm.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("gpt-4o-mini", llm.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(0.2, llm.GetTagItem(AttributeNames.GenAiRequestTemperature));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(3L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(new[] { "stop" }, (string[])llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons)!);
        Assert.Equal("generation", llm.GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.Equal("user-7", tree.Server.GetTagItem(AttributeNames.LangfuseUserId));
        Assert.Equal("s-1", tree.Server.GetTagItem(AttributeNames.LangfuseSessionId));
        Assert.Equal(
            new[] { "t1", "t2" },
            Assert.IsType<string[]>(tree.Server.GetTagItem(AttributeNames.LangfuseTraceTags)));
        Assert.Equal(200, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("metadata", tree.Server.GetTagItem(AttributeNames.MetadataSlot));

        _spans.AssertAllEnded();
        AssertNoSecret(GatewayHost.ApiKey);
        // No fingerprint secret configured: no key fingerprint at all (TrustBoundaryTests covers the keyed one).
        Assert.Null(tree.Single(SpanNames.Auth).GetTagItem(AttributeNames.UserApiKeyHash));
    }

    [Fact]
    public async Task ChatJoinsTheInboundTraceparent()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, traceparent: Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(CallerTrace, tree.Server.TraceId.ToHexString());
        Assert.Equal(CallerSpan, tree.Server.ParentSpanId.ToHexString());
        Assert.Equal("traceparent", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        Assert.All(_spans.Stopped, s => Assert.Equal(CallerTrace, s.TraceId.ToHexString()));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task SeedBug1_MessagesWithNativeMetadataKeepsTheLlmSpanInTheCallersTrace()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(
                GatewayHost.Post("/v1/messages", MessagesBody, traceparent: Traceparent, anthropicKeyHeader: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("message", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("end_turn", json.RootElement.GetProperty("stop_reason").GetString());

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(CallerTrace, tree.Server.TraceId.ToHexString());
        Assert.Equal(CallerSpan, tree.Server.ParentSpanId.ToHexString());
        var llm = tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        Assert.Equal(CallerTrace, llm.TraceId.ToHexString());
        tree.AssertChild(SpanNames.Auth, tree.Server, ActivityKind.Internal);
        tree.AssertChild(SpanNames.PreCall, tree.Server, ActivityKind.Internal);
        Assert.All(tree.All(SpanNames.Guardrail), g => Assert.Equal(llm.SpanId, g.ParentSpanId));
        Assert.Equal("litellm_metadata", tree.Server.GetTagItem(AttributeNames.MetadataSlot));
        Assert.Equal("messages-trace", tree.Server.GetTagItem(AttributeNames.LangfuseTraceName));

        // The provider-native metadata is not gateway metadata: no user id was taken from it.
        Assert.Null(tree.Server.GetTagItem(AttributeNames.LangfuseUserId));
        Assert.All(_spans.Stopped, s => Assert.Equal(CallerTrace, s.TraceId.ToHexString()));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task SeedBug2_AGuardrailBlockOnMessagesEmitsItsSpanAndTheFailurePathRunsOnce()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged)));
        var body = MessagesBody.Replace("hello claude", "tell me something forbidden", StringComparison.Ordinal);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/messages", body, anthropicKeyHeader: true));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(
            "Violated guardrail policy: the prompt contains a banned word.",
            json.RootElement.GetProperty("error").GetProperty("message").GetString());

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        var guardrail = tree.AssertChild(SpanNames.Guardrail, llm, ActivityKind.Internal);
        Assert.Equal(GuardrailStatuses.Intervened, guardrail.GetTagItem(AttributeNames.GuardrailStatus));
        Assert.Equal("GUARDRAIL", guardrail.GetTagItem(AttributeNames.OpenInferenceSpanKind));
        Assert.Equal("banned-word", guardrail.GetTagItem(AttributeNames.GuardrailName));
        Assert.Equal("pre_call", guardrail.GetTagItem(AttributeNames.GuardrailMode));
        Assert.Equal(ActivityStatusCode.Error, guardrail.Status);
        var failed = tree.AssertChild(SpanNames.Failure, tree.Server, ActivityKind.Internal);
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(typeof(GuardrailBlockedException).FullName, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        Assert.Equal(400, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));

        var failure = Assert.Single(logged);
        Assert.IsType<GuardrailBlockedException>(failure.Exception);
        Assert.Equal(400, failure.StatusCode);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AuthFailureIs401WithTheAuthSpanInError()
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, apiKey: "sk-wrong-key-123"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("authentication_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(
            "The API key is not valid.",
            json.RootElement.GetProperty("error").GetProperty("message").GetString());

        var tree = await _spans.SingleTraceAsync();
        var auth = tree.AssertChild(SpanNames.Auth, tree.Server, ActivityKind.Internal);
        Assert.Equal(ActivityStatusCode.Error, auth.Status);
        tree.AssertChild(SpanNames.Failure, tree.Server, ActivityKind.Internal);
        Assert.Equal(
            new[] { SpanNames.Failure, SpanNames.Server, SpanNames.Auth }.OrderBy(n => n, StringComparer.Ordinal),
            tree.Names);
        _spans.AssertAllEnded();
        AssertNoSecret("sk-wrong-key-123");
    }

    [Fact]
    public async Task UpstreamErrorStatusIsPassedOnWithoutItsBody()
    {
        await using var upstream = await UpstreamStub.StartAsync(503);
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", upstream.BaseUrl)
            .With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .With("Retry:MaxRetries", "0");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sk-upstream-secret", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(
            "The upstream provider answered 503.",
            json.RootElement.GetProperty("error").GetProperty("message").GetString());

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild("chat-gen", tree.Server, ActivityKind.Client);
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        Assert.Equal(
            typeof(UpstreamException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task UnreachableUpstreamIs502()
    {
        // A port that was just free: nothing listens there.
        var port = LoopbackApp.FreePort();
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", $"http://127.0.0.1:{port}/v1")
            .With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .With("Retry:MaxRetries", "0");
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/messages", MessagesBody, anthropicKeyHeader: true));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("api_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(UpstreamUnreachableException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task UpstreamGetsTheBodyWithoutTheSlotAndTheLlmSpansTraceparent()
    {
        await using var upstream = await UpstreamStub.StartAsync();
        using var host = new GatewayHost().With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false");
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, traceparent: Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "from upstream",
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        var (body, traceparent) = Assert.Single(upstream.Received);
        Assert.Equal(
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello gateway"}],"temperature":0.2}""",
            body);
        var tree = await _spans.SingleTraceAsync();
        var llm = tree.Single("chat-gen");
        var attempt = tree.AssertChild(SpanNames.UpstreamAttempt, llm, ActivityKind.Client);
        Assert.Equal($"00-{CallerTrace}-{attempt.SpanId.ToHexString()}-01", traceparent);
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheUpstreamClientStartsNoActivityOfItsOwnTheAttemptSpanIsTheCall()
    {
        var httpClientActivities = new ConcurrentQueue<Activity>();
        using var httpClientListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = httpClientActivities.Enqueue,
        };
        ActivitySource.AddActivityListener(httpClientListener);
        await using var upstream = await UpstreamStub.StartAsync();
        using var host = new GatewayHost().With("Upstream:BaseUrl", upstream.BaseUrl).With("Upstream:Relay", "false");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, traceparent) = Assert.Single(upstream.Received);
        var tree = await _spans.SingleTraceAsync();
        var attempt = tree.Single(SpanNames.UpstreamAttempt);
        Assert.Equal($"00-{attempt.TraceId.ToHexString()}-{attempt.SpanId.ToHexString()}-01", traceparent);
        Assert.Empty(httpClientActivities);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ClientCancellationEndsEverySpanWithoutAResponse()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost()
            .With("EmbeddedProvider:DelayMs", "30000")
            .WithServices(s => s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged)));
        using var client = host.CreateClient();
        using var cancellation = new CancellationTokenSource();
        var send = client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody), cancellation.Token);
        await _spans.WaitForAsync(spans => spans.FirstOrDefault(s => s.DisplayName == SpanNames.PreCall));
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(499, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, tree.Server.Status);
        Assert.Equal("client_disconnected", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, tree.Single("chat-gen").Status);
        Assert.Equal(499, Assert.Single(logged).StatusCode);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnExceptionOfAnyTypeReachesTheFailurePathOnce()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton(TestProviders.Router(new ThrowingProvider()));
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged));
        });
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/messages", MessagesBody, anthropicKeyHeader: true));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("internal detail", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("api_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(GuardrailRaisedException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.IsType<GuardrailRaisedException>(Assert.Single(logged).Exception);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task MetadataIdsJoinTheCallersTraceUnderTheGivenObservation()
    {
        const string body =
            """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"""
                + """{"existing_trace_id":"4bf92f35-77b3-4da6-a3ce-929d0e0e4736","parent_"""
                + """observation_id":"00f067aa0ba902b7"}}""";
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", body, traceparent: Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", tree.Server.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", tree.Server.ParentSpanId.ToHexString());
        Assert.Equal("metadata", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        tree.AssertChild(SpanNames.LlmRequest, tree.Server, ActivityKind.Client);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("""{"existing_trace_id":""}""", "existing_trace_id")]
    [InlineData("""{"existing_trace_id":"00000000000000000000000000000000"}""", "existing_trace_id")]
    [InlineData("""{"trace_id":"00000000-0000-0000-0000-000000000000"}""", "trace_id")]
    [InlineData("""{"trace_id":""}""", "trace_id")]
    [InlineData("""{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","existing_trace_id":"0"}""", "existing_trace_id")]
    [InlineData("""{"parent_observation_id":"00f067aa0ba902b7"}""", "parent_observation_id")]
    [InlineData("""{"existing_trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","parent_observation_id":"123"}""",
        "parent_observation_id")]
    public async Task InvalidMetadataIdsAreIgnoredAndRecordedAsAnEvent(string metadata, string field)
    {
        var body = $$"""{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{{metadata}}}""";
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var invalid = Assert.Single(tree.Server.Events, e => e.Name == AttributeNames.InvalidTraceContextEvent);
        Assert.Equal(field, invalid.Tags.Single(t => t.Key == AttributeNames.InvalidTraceContextField).Value);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    public async Task AnInvalidTraceparentStartsANewRootAndIsRecorded(string traceparent)
    {
        using var host = new GatewayHost();
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, traceparent: traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(default, tree.Server.ParentSpanId);
        Assert.NotEqual(CallerTrace, tree.Server.TraceId.ToHexString());
        Assert.Contains(tree.Server.Events, e => e.Name == AttributeNames.InvalidTraceContextEvent);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheServerSpanStartsWhenTheRequestDoesNotWhenItsBodyHasArrived()
    {
        using var host = new GatewayHost();
        var request = GatewayHost.Post("/v1/chat/completions", ChatBody);
        request.Content = new DelayedContent(
            System.Text.Encoding.UTF8.GetBytes(ChatBody),
            TimeSpan.FromMilliseconds(300));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        // The test server's own handler: the factory's client buffers request bodies (to redirect).
        using var client = new HttpClient(host.Server.CreateHandler()) { BaseAddress = host.Server.BaseAddress };
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The body's second half arrives 300 ms after its first: the trace is joined only then, but
        // the server span still covers the wait, so it starts well before its first child.
        var tree = await _spans.SingleTraceAsync();
        var auth = tree.AssertChild(SpanNames.Auth, tree.Server, ActivityKind.Internal);
        Assert.True(
            auth.StartTimeUtc - tree.Server.StartTimeUtc >= TimeSpan.FromMilliseconds(250),
            $"server span starts {(auth.StartTimeUtc - tree.Server.StartTimeUtc).TotalMilliseconds} ms before auth");
        Assert.True(tree.Server.StartTimeUtc + tree.Server.Duration >= auth.StartTimeUtc + auth.Duration);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AttributesAnotherListenerSetAtStartAreReplacedNotDoubled()
    {
        // A listener that enriches spans as they start: the pipeline's own attributes then replace
        // its values key by key (the fast append is only for spans nobody has tagged).
        using var enricher = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = span =>
            {
                span.SetTag(AttributeNames.HttpRoute, "from-enricher");
                span.SetTag(AttributeNames.GenAiOperationName, "from-enricher");
                span.SetTag("enricher.only", true);
            },
        };
        ActivitySource.AddActivityListener(enricher);
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var tree = await _spans.SingleTraceAsync();
        var llm = tree.AssertChild("chat-gen", tree.Server, ActivityKind.Client);
        Assert.Equal(
            new object?[] { "/v1/chat/completions" },
            tree.Server.TagObjects.Where(t => t.Key == AttributeNames.HttpRoute).Select(t => t.Value));
        Assert.Equal(
            new object?[] { "chat" },
            llm.TagObjects.Where(t => t.Key == AttributeNames.GenAiOperationName).Select(t => t.Value));
        Assert.Equal(true, tree.Server.GetTagItem("enricher.only"));
        Assert.All(
            tree.All(SpanNames.Guardrail),
            g => Assert.Single(g.TagObjects, t => t.Key == AttributeNames.GuardrailName));
        Assert.Equal("s-1", tree.Server.GetTagItem(AttributeNames.LangfuseSessionId));
    }

    /// <summary>A body sent in two halves with a pause between them.</summary>
    private sealed class DelayedContent(byte[] body, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(System.IO.Stream stream, TransportContext? context)
        {
            var half = body.Length / 2;
            await stream.WriteAsync(body.AsMemory(0, half));
            await stream.FlushAsync();
            await Task.Delay(pause);
            await stream.WriteAsync(body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    [Fact]
    public async Task IgnoreContextPropagationDisablesTraceparentOnly()
    {
        using var host = new GatewayHost().WithServices(s =>
            s.AddSingleton(new TracedLlmOptions { IgnoreContextPropagation = true }));
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, traceparent: Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.NotEqual(CallerTrace, tree.Server.TraceId.ToHexString());
        Assert.Equal("none", tree.Server.GetTagItem(AttributeNames.TraceJoin));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":""", "The request body is not valid JSON")]
    [InlineData("/v1/chat/completions", """[1,2]""", "The request body must be a JSON object, not an array.")]
    [InlineData("/v1/chat/completions",
        """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":"oops"}""",
        "'metadata' must be a JSON object, not a string.")]
    [InlineData("/v1/chat/completions",
        """{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"tags":"one"}}""",
        "'metadata.tags' must be an array of strings, not a string.")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"x"}]}""", "'model' is required.")]
    [InlineData("/v1/messages",
        """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":[]}""",
        "'litellm_metadata' must be a JSON object, not an array.")]
    [InlineData("/v1/messages",
        """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"litellm_metadata":{"prompt":"""
            + """{"name":"p","version":"3"}}}""",
            "'litellm_metadata.prompt.version' must be an integer, not a string.")]
    [InlineData("/v1/messages", "", "The request body is empty: send a JSON object.")]
    public async Task BadInputIsA400InTheRoutesWireFormat(string path, string body, string message)
    {
        // Strict metadata: the sample's request types never read the slot, so by default such a value is left as sent.
        using var host = new GatewayHost().With("TracedLlm:StrictMetadata", "true");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.StartsWith(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(path == "/v1/messages", json.RootElement.TryGetProperty("type", out _));

        var tree = await _spans.SingleTraceAsync();
        tree.AssertChild(SpanNames.Failure, tree.Server, ActivityKind.Internal);
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", "\"metadata\":\"oops\"")]
    [InlineData("/v1/chat/completions", "\"metadata\":{\"tags\":\"one\",\"trace_name\":\"kept\"}")]
    [InlineData("/v1/messages", "\"max_tokens\":5,\"litellm_metadata\":[]")]
    [InlineData(
        "/v1/messages",
        "\"max_tokens\":5,\"litellm_metadata\":{\"prompt\":{\"name\":\"p\",\"version\":\"3\"}}"
    )]
    public async Task AWrongTypedSlotValueOfATypeThatNeverReadTheSlotIsLeftAsSent(string path, string fields)
    {
        // The sample's request types have no slot member: before adoption such a value was never read, so it refuses
        // nothing.
        var body = """{"model":"m","messages":[{"role":"user","content":"x"}],""" + fields + "}";
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.DoesNotContain(tree.Spans, s => s.DisplayName == SpanNames.Failure);
        Assert.Null(tree.Server.GetTagItem(AttributeNames.LangfuseTraceTags));
        Assert.Null(tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.LangfusePromptName));
        var traceName = tree.Server.GetTagItem(AttributeNames.LangfuseTraceName);
        Assert.Equal(body.Contains("kept", StringComparison.Ordinal) ? "kept" : null, traceName);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABrokenFailureLoggerChangesNothing()
    {
        var logged = new ConcurrentQueue<FailureContext>();
        using var host = new GatewayHost().WithServices(s =>
        {
            s.AddSingleton<ILlmFailureLogger>(new ThrowingFailureLogger());
            s.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(logged));
        });
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody, apiKey: null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(logged);
        var tree = await _spans.SingleTraceAsync();
        Assert.Contains(tree.Single(SpanNames.Failure).Events, e => e.Name == AttributeNames.FailureLoggerErrorEvent);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AHostingSpanInAnotherTraceBecomesALink()
    {
        var hosting = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var aspNetCore = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = hosting.Add,
        };
        ActivitySource.AddActivityListener(aspNetCore);
        using var host = new GatewayHost();

        // The hosting span starts a trace before the body names another one (AspNetCoreInstrumentationTests has the
        // rest).
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
                + """{"existing_trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        var hostingSpan = await _spans.WaitForAsync(_ => hosting.FirstOrDefault());
        Assert.NotEqual(hostingSpan.TraceId, tree.Server.TraceId);
        Assert.Equal(default, tree.Server.ParentSpanId);
        var link = Assert.Single(tree.Server.Links);
        Assert.Equal(hostingSpan.Context.SpanId, link.Context.SpanId);
        Assert.Equal(hostingSpan.Context.TraceId, link.Context.TraceId);
        Assert.Equal(tree.Server.Context, Assert.Single(hostingSpan.Links).Context);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheSampleStartsNoHostingActivityOfItsOwnSoTheServerSpanHasNoLink()
    {
        // With no listener on ASP.NET Core's source, its hosting Activity exists only while its
        // hosting logger is on; the sample's appsettings.json turns that logger off.
        using var host = new GatewayHost();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tree = await _spans.SingleTraceAsync();
        Assert.Empty(tree.Server.Links);
        Assert.Equal(default, tree.Server.ParentSpanId);
    }

    [Fact]
    public async Task WhenNothingIsSampledTheRequestStillWorksAndNoSpanStarts()
    {
        _spans.Dispose();
        var started = 0;
        using var none = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedLlmTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = _ => Interlocked.Increment(ref started),
        };
        ActivitySource.AddActivityListener(none);
        using var host = new GatewayHost();
        using var ok = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));
        using var blocked = await host.CreateClient()
            .SendAsync(
                GatewayHost.Post(
                    "/v1/chat/completions",
                    ChatBody.Replace("hello gateway", "forbidden", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        Assert.Equal(0, started);
    }

    private void AssertNoSecret(string secret)
    {
        foreach (var span in _spans.Stopped)
        {
            Assert.DoesNotContain(secret, span.StatusDescription ?? string.Empty, StringComparison.Ordinal);
            Assert.All(
                span.TagObjects,
                t => Assert.DoesNotContain(secret, t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
            Assert.All(
                span.Events.SelectMany(e => e.Tags),
                t => Assert.DoesNotContain(secret, t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
        }
    }

    private sealed class RecordingFailureLogger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure)
        {
            logged.Enqueue(failure);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingFailureLogger : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure) => throw new InvalidOperationException("logger broke");
    }

    /// <summary>
    /// LiteLLM's guardrail exception derived from plain Exception; here it still reaches the failure path.
    /// </summary>
    private sealed class GuardrailRaisedException(string message) : Exception(message);

    private sealed class ThrowingProvider : TestProviders.Base
    {
        public override Task<ProviderReply> CompleteAsync(
            ProviderRequest request,
            LlmAttempt attempt,
            CancellationToken cancellationToken
        ) => throw new GuardrailRaisedException("internal detail that must not reach the client");
    }
}
