using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Extensions.Http;
using TracedLlm.Gateway.AttemptRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <c>AddTracedLlmAttempts()</c> on the named HttpClient of a provider service (issue 66): each send
/// the client's Polly handler makes is one <c>raw_gen_ai_request</c> under the request's LLM span,
/// with the kind the call counts, carrying its own <c>traceparent</c> to the upstream (a real
/// loopback one), and the answer's model and usage read as the handler reads it, once. Polly as
/// apps add it: <c>AddStandardResilienceHandler()</c>, <c>AddResilienceHandler()</c>,
/// <c>AddPolicyHandler()</c>, before or after the attempts.
/// </summary>
public sealed class HttpClientAttemptTests : IDisposable
{
    private const string Completion =
        """{"id":"up-1","object":"chat.completion","model":"upstream-model","choices":[{"index":0,"message":"""
        + """{"role":"assistant","content":"from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":"""
        + """7,"completion_tokens":2}}""";

    // OpenAI's stream with stream_options.include_usage: every chunk names its object, the usage comes on a chunk with
    // no choices.
    private static readonly string ChatStream = string.Concat(
        "data: "
            + "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"model\":\"upstream-model\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"from\"},"
            + "\"finish_reason\":null}]}\n\n",
        "data: "
            + "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"model\":\"upstream-model\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" upstream\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: "
            + "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"model\":\"upstream-model\",\"choices\":[],"
            + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n",
        "data: [DONE]\n\n");

    private static readonly string AnthropicStream = string.Concat(
        "event: message_start\ndata: "
            + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-upstream\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":25,"
            + "\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: "
        + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: "
        + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: "
            + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
            + "\"usage\":{\"output_tokens\":15}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    private readonly SpanCollector _spans = new();

    public enum Resilience
    {
        /// <summary>
        /// <c>AddStandardResilienceHandler()</c> (Microsoft.Extensions.Http.Resilience), its retry fast.
        /// </summary>
        Standard,

        /// <summary><c>AddResilienceHandler()</c> with a retry of the app's own.</summary>
        Custom,

        /// <summary>
        /// <c>AddPolicyHandler()</c> (Microsoft.Extensions.Http.Polly): Polly's v7 API, still common.
        /// </summary>
        Policy,
    }

    public void Dispose() => _spans.Dispose();

    /// <summary>
    /// The upstream answers 503, 503, then the completion: three sends of one message by Polly, three
    /// attempts (initial, retry, retry), each failed one with its status, and each upstream request
    /// carrying its own attempt's span as parent, HttpClient's own propagation on (the default).
    /// </summary>
    [Theory]
    [InlineData(Resilience.Standard, true)]
    [InlineData(Resilience.Standard, false)]
    [InlineData(Resilience.Custom, true)]
    [InlineData(Resilience.Custom, false)]
    [InlineData(Resilience.Policy, true)]
    [InlineData(Resilience.Policy, false)]
    public async Task EachSendPollyMakesIsOneAttemptCarryingItsOwnTraceparent(Resilience resilience, bool attemptsFirst)
    {
        await using var upstream = await UpstreamStub.StartWithAsync(UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Status(503), UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(upstream, client =>
        {
            if (attemptsFirst)
            {
                client.AddTracedLlmAttempts();
            }

            AddRetries(client, resilience, retries: 2);
            if (!attemptsFirst)
            {
                client.AddTracedLlmAttempts();
            }
        });

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "from upstream",
            JsonDocument
                .Parse(await response.Content.ReadAsStringAsync())
                .RootElement.GetProperty("choices")[0]
                .GetProperty("message")
                .GetProperty("content")
                .GetString());

        var trace = await _spans.SingleTraceAsync();
        var llm = trace.Single(SpanNames.LlmRequest);
        var attempts = Attempts(trace, llm);
        Assert.Equal(
            new[] { "initial", "retry", "retry" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(
            new[] { "failure", "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            new object?[] { 503, 503, null },
            attempts.Select(a => a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        Assert.Equal(
            new object?[] { null, typeof(UpstreamException).FullName, typeof(UpstreamException).FullName },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptReason)));
        Assert.All(attempts, a => Assert.Equal("gpt-4o", a.GetTagItem(AttributeNames.GenAiRequestModel)));
        Assert.All(attempts, a => Assert.Equal("openai", a.GetTagItem(AttributeNames.GenAiProviderName)));
        Assert.All(attempts, a => Assert.Equal("127.0.0.1", a.GetTagItem(AttributeNames.ServerAddress)));
        AssertEachCarriedItsAttempt(upstream, attempts);

        // The answer, read once by the handler: its model and usage on the attempt that got it and on the generation.
        Assert.Equal("upstream-model", attempts[2].GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, attempts[2].GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(2L, attempts[2].GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(new[] { "stop" }, llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons));
        Assert.Equal(200, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Empty(gateway.Logged);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// With HttpClient instrumented by a listener on its ActivitySource, its span of each send nests
    /// under the attempt, and the upstream still sees the attempt as its parent on every send
    /// (OpenTelemetry's instrumentation also writes its span as the parent: the Switchyard port's
    /// AttemptTests check that case, each upstream parent an exported span under its attempt).
    /// </summary>
    [Fact]
    public async Task WithHttpClientInstrumentedItsSpansNestUnderTheAttemptsAndTheUpstreamSeesTheAttempts()
    {
        var httpSpans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) =>
                ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (httpSpans)
                {
                    httpSpans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Standard, retries: 1));

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await _spans.SingleTraceAsync();
        var attempts = Attempts(trace, trace.Single(SpanNames.LlmRequest));
        Assert.Equal(2, attempts.Count);
        AssertEachCarriedItsAttempt(upstream, attempts);
        List<Activity> sends;
        lock (httpSpans)
        {
            sends = httpSpans
                .Where(s =>
                    s.TraceId == trace.Server.TraceId
                    && s.GetTagItem("server.port") is int port
                    && port == upstream.Port)
                .ToList();
        }

        Assert.Equal(attempts.Select(a => a.SpanId), sends.OrderBy(s => s.StartTimeUtc).Select(s => s.ParentSpanId));
    }

    /// <summary>
    /// The app's own fallback loop: the first model keeps failing (500 after Polly's retry), the
    /// service tries the next model, which answers. The next model's send is a fallback naming the
    /// failure as its reason; each attempt names the model its body asked for (read from a string
    /// body for OpenAI's API, from JsonContent for Anthropic's, the model written after the messages).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheAppsFallbackToAnotherModelIsAFallbackAttempt(bool anthropic)
    {
        var answer = anthropic
            ? """{"id":"msg_1","type":"message","role":"assistant","model":"claude-b","content":["""
                + """{"type":"text","text":"from b"}],"stop_reason":"end_turn","usage":{"input_tokens":"""
                + """11,"output_tokens":3}}"""
            : Completion.Replace("upstream-model", "model-b", StringComparison.Ordinal);
        await using var upstream = await UpstreamStub.StartAtAsync(
            null,
            ByModel.Reply(
                ("model-a", new[] { UpstreamStub.Reply.Status(500) }),
                ("model-b", new[] { UpstreamStub.Reply.Answer(200, answer) })));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Custom, retries: 1),
            fallbacks: new[] { "model-b" });

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("model-a", anthropic: anthropic));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await _spans.SingleTraceAsync();
        var llm = trace.Single(SpanNames.LlmRequest);
        var attempts = Attempts(trace, llm);
        Assert.Equal(
            new[] { "model-a", "model-a", "model-b" },
            attempts.Select(a => a.GetTagItem(AttributeNames.GenAiRequestModel)));
        Assert.Equal(
            new[] { "initial", "retry", "fallback" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(
            new[] { "failure", "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(typeof(UpstreamException).FullName, attempts[2].GetTagItem(AttributeNames.AttemptReason));
        Assert.Equal(anthropic ? "anthropic" : "openai", attempts[2].GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal(anthropic ? "claude-b" : "model-b", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        AssertEachCarriedItsAttempt(upstream, attempts);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// A circuit breaker per model (keyed by the header the service sets): once the first model's
    /// circuit is open, the service's send on it is refused before any byte goes out. No attempt is
    /// recorded for it, and the next model's attempt is a fallback naming the open circuit as its
    /// reason, as the gateway's own attempt policy records a refused target.
    /// </summary>
    [Fact]
    public async Task AnOpenCircuitMakesNoAttemptAndIsTheFallbacksReason()
    {
        await using var upstream = await UpstreamStub.StartAtAsync(
            null,
            ByModel.Reply(
                ("model-a", new[] { UpstreamStub.Reply.Status(500) }),
                ("model-b", new[] { UpstreamStub.Reply.Answer(200, Completion) })));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client =>
                client
                    .AddTracedLlmAttempts()
                    .AddResilienceHandler(
                        "per-model",
                        pipeline => pipeline.AddCircuitBreaker(OpensAfterTwoFailures()))
                    .SelectPipelineBy(_ =>
                        request =>
                            request.Headers.TryGetValues(UpstreamChat.ModelHeader, out var model)
                                ? model.Single()
                                : string.Empty),
            fallbacks: new[] { "model-b" });

        // Two requests whose first model fails open its circuit; each falls back and is answered.
        for (var i = 0; i < 2; i++)
        {
            using var opening = await gateway.Client.SendAsync(AttemptGateway.Chat("model-a"));
            Assert.Equal(HttpStatusCode.OK, opening.StatusCode);
        }

        _spans.Clear();
        var sentBefore = upstream.Calls;
        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("model-a"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(sentBefore + 1, upstream.Calls);

        var trace = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(trace, trace.Single(SpanNames.LlmRequest)));
        Assert.Equal("model-b", attempt.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal("fallback", attempt.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal(typeof(UpstreamCircuitOpenException).FullName, attempt.GetTagItem(AttributeNames.AttemptReason));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// Every model's circuit open, the service gives up with Polly's exception: the client is
    /// answered 503 <c>upstream_circuit_open</c> (not a 500 of the gateway's own), and no attempt was made.
    /// </summary>
    [Fact]
    public async Task ACircuitOpenOnEveryModelIsAnswered503UpstreamCircuitOpen()
    {
        await using var upstream = await UpstreamStub.StartAsync(500);
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client =>
                client
                    .AddTracedLlmAttempts()
                    .AddResilienceHandler(
                        "breaker",
                        pipeline => pipeline.AddCircuitBreaker(OpensAfterTwoFailures())));

        for (var i = 0; i < 2; i++)
        {
            using var failing = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
        }

        _spans.Clear();
        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(
            "upstream_circuit_open",
            JsonDocument
                .Parse(await response.Content.ReadAsStringAsync())
                .RootElement.GetProperty("error")
                .GetProperty("code")
                .GetString());

        var trace = await _spans.SingleTraceAsync();
        Assert.Empty(trace.All(SpanNames.UpstreamAttempt));
        Assert.Equal(
            typeof(UpstreamCircuitOpenException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(503, gateway.Logged.Last().StatusCode);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// A stream read by the handler through an SSE parser as it comes: the attempt stays open until
    /// the stream ends, then holds the model and usage read from its events, as does the generation.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AStreamReadAsItComesIsReadForItsModelAndUsage(bool anthropic)
    {
        await using var upstream = await UpstreamStub.StartAtAsync(
            null,
            anthropic ? UpstreamStub.Reply.Stream(AnthropicStream) : UpstreamStub.Reply.Stream(ChatStream));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Standard, retries: 1));

        using var response = await gateway.Client.SendAsync(
            AttemptGateway.Chat("gpt-4o", stream: true, anthropic: anthropic));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal(anthropic ? "message_stop" : null, events[^1].Name);

        var trace = await _spans.SingleTraceAsync();
        var llm = trace.Single(SpanNames.LlmRequest);
        var attempt = Assert.Single(Attempts(trace, llm));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        var (model, input, output) = anthropic ? ("claude-upstream", 25L, 15L) : ("upstream-model", 7L, 2L);
        Assert.Equal(model, attempt.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(input, attempt.GetTagItem(AttributeNames.AttemptUsageInputTokens));
        Assert.Equal(output, attempt.GetTagItem(AttributeNames.AttemptUsageOutputTokens));
        Assert.Equal(model, llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(input, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(output, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));

        // The attempt ended when its stream did: after the last event the handler read, inside the generation.
        Assert.True(attempt.StartTimeUtc + attempt.Duration <= llm.StartTimeUtc + llm.Duration);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// A stream cut after its first chunk: the attempt fails as cut off (with the usage it did not
    /// get left unknown), and the client's stream ends with an error event that says so (502
    /// <c>upstream_response_truncated</c>), not a 500 of the gateway's own.
    /// </summary>
    [Fact]
    public async Task AStreamCutAfterItsFirstChunkFailsTheAttemptAndEndsWithTheUpstreamsError()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.CutAfterFirstChunk(reset: true));
        await using var gateway = await AttemptGateway.StartAsync(upstream, client => client.AddTracedLlmAttempts());

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o", stream: true));
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        var error = JsonDocument.Parse(events[^1].Data).RootElement.GetProperty("error");
        Assert.Equal("upstream_response_truncated", error.GetProperty("code").GetString());

        var trace = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(trace, trace.Single(SpanNames.LlmRequest)));
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(UpstreamBadResponseException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(502, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// The standard handler's attempt timeout cancels each send to an upstream that never answers:
    /// each send is an attempt that failed as timed out, and the request is answered 504
    /// <c>upstream_timeout</c> once Polly and the service give up.
    /// </summary>
    [Fact]
    public async Task AttemptTimeoutsAreTimedOutAttemptsAndTheRequestIs504()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(UpstreamStub.Reply.Hang);
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client =>
                client
                    .AddTracedLlmAttempts()
                    .AddStandardResilienceHandler(options =>
                    {
                        options.Retry.MaxRetryAttempts = 1;
                        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
                        options.Retry.BackoffType = DelayBackoffType.Constant;
                        options.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(300);
                        options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
                        options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(20);
                    }));

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(
            "upstream_timeout",
            JsonDocument
                .Parse(await response.Content.ReadAsStringAsync())
                .RootElement.GetProperty("error")
                .GetProperty("code")
                .GetString());

        var trace = await _spans.SingleTraceAsync();
        var attempts = Attempts(trace, trace.Single(SpanNames.LlmRequest));
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.All(
            attempts,
            a => Assert.Equal(typeof(UpstreamTimeoutException).FullName, a.GetTagItem(AttributeNames.ErrorType)));
        Assert.Equal(
            typeof(UpstreamTimeoutException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// HttpClient's own timeout (no Polly): the send is a timed-out attempt, the request 504, the client's exception
    /// unchanged for the app.
    /// </summary>
    [Fact]
    public async Task HttpClientsOwnTimeoutIsATimedOutAttempt()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(UpstreamStub.Reply.Hang);
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client =>
                client.AddTracedLlmAttempts().ConfigureHttpClient(http => http.Timeout = TimeSpan.FromMilliseconds(300))
        );

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);

        var trace = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(trace, trace.Single(SpanNames.LlmRequest)));
        Assert.Equal(typeof(UpstreamTimeoutException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        var logged = gateway.Logged.Single();
        Assert.Equal(typeof(UpstreamTimeoutException).FullName, logged.ErrorType);
        Assert.IsType<TaskCanceledException>(logged.Exception);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// A client that leaves while the upstream has not answered: the attempt is abandoned, not failed, and the request
    /// is 499.
    /// </summary>
    [Fact]
    public async Task AClientThatLeavesAbandonsTheAttemptInFlight()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(UpstreamStub.Reply.Hang);
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Standard, retries: 2));

        using var leave = new CancellationTokenSource();
        var sending = gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"), leave.Token);
        await Eventually.HoldsAsync(() => upstream.Calls == 1, "the upstream has the request");
        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);

        var trace = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(trace, trace.Single(SpanNames.LlmRequest)));
        Assert.Equal("abandoned", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(499, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(1, upstream.Calls);
        _spans.AssertAllEnded();
    }

    /// <summary>
    /// Set for every client at once (<c>ConfigureHttpClientDefaults</c>), the attempts are recorded as on the one
    /// client.
    /// </summary>
    [Fact]
    public async Task SetForEveryClientTheSendsAreAttemptsToo()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client, Resilience.Standard, retries: 1),
            services: s => s.ConfigureHttpClientDefaults(every => every.AddTracedLlmAttempts()));

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await _spans.SingleTraceAsync();
        var attempts = Attempts(trace, trace.Single(SpanNames.LlmRequest));
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        AssertEachCarriedItsAttempt(upstream, attempts);
    }

    /// <summary>
    /// The service's client used outside a traced request (a background job): it works as before, and nothing is
    /// recorded.
    /// </summary>
    [Fact]
    public async Task OutsideATracedRequestTheClientWorksAsBeforeAndRecordsNothing()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Standard, retries: 1));
        var client = gateway.Services.GetRequiredService<IHttpClientFactory>().CreateClient(UpstreamChat.ClientName);

        using var response = await client.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"gpt-4o"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(Completion, await response.Content.ReadAsStringAsync());
        Assert.Equal(2, upstream.Calls);
        Assert.Empty(_spans.Started);
    }

    /// <summary>
    /// Inside an attempt the handler's code opened itself, a send through the client is that
    /// attempt's: no second attempt, and every send (Polly's re-send too) carries its span.
    /// </summary>
    [Fact]
    public async Task InsideAnAttemptTheAppOpenedEachSendCarriesThatAttempt()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client => AddRetries(client.AddTracedLlmAttempts(), Resilience.Custom, retries: 1));
        var factory = gateway.Services.GetRequiredService<IHttpClientFactory>();
        using var scope = DirectCall.Start(gateway.Services);

        using (var attempt = scope.Call.StartAttempt(new LlmTarget("openai", "gpt-4o")))
        {
            using var response = await factory.CreateClient(UpstreamChat.ClientName).PostAsync("v1/chat/completions",
                new StringContent("""{"model":"gpt-4o"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            attempt.Succeed();
        }

        scope.End();
        var attempts = _spans.Stopped.Where(s => s.DisplayName == SpanNames.UpstreamAttempt).ToList();
        var only = Assert.Single(attempts);
        Assert.All(upstream.Received, r => Assert.Equal($"00-{only.TraceId}-{only.SpanId}-01", r.Traceparent));
        Assert.Equal(2, upstream.Received.Count);
    }

    /// <summary>
    /// The OpenAI SDK (System.ClientModel) sending through the named client, as Semantic Kernel's
    /// OpenAI connector and M.E.AI's OpenAI adapter do when given an HttpClient: each send, the SDK's
    /// own retry included, is an attempt; the model is read from the SDK's own body, and the answer's
    /// model and usage as the SDK reads it.
    /// </summary>
    [Fact]
    public async Task TheOpenAiSdksSendsThroughTheClientAreAttemptsWithTheirModel()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(503),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(upstream, client => client.AddTracedLlmAttempts());
        var http = gateway.Services.GetRequiredService<IHttpClientFactory>().CreateClient(UpstreamChat.ClientName);
        var openAi = new OpenAI.OpenAIClient(
            new System.ClientModel.ApiKeyCredential("sk-test"),
            new OpenAI.OpenAIClientOptions
            {
                Endpoint = new Uri(upstream.BaseUrl),
                Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
                RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 1),
            });
        using var scope = DirectCall.Start(gateway.Services);

        var completion = await openAi.GetChatClient("gpt-4o-mini").CompleteChatAsync("hello");
        Assert.Equal("from upstream", completion.Value.Content[0].Text);
        scope.End();

        var attempts = _spans.Stopped
            .Where(s => s.DisplayName == SpanNames.UpstreamAttempt)
            .OrderBy(s => s.StartTimeUtc)
            .ToList();
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.All(attempts, a => Assert.Equal("gpt-4o-mini", a.GetTagItem(AttributeNames.GenAiRequestModel)));
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal("upstream-model", scope.Llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(7L, scope.Llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        AssertEachCarriedItsAttempt(upstream, attempts);
    }

    /// <summary>
    /// Polly's hedging sends in parallel: each hedged send is an attempt, of kind <c>initial</c> (one
    /// in parallel is not a second try), each carrying its own span; the one that answered succeeds,
    /// the slow one Polly cancels then ends failed (the handler cannot tell that cancellation from
    /// Polly's attempt timeout: docs/span-contract.md says so).
    /// </summary>
    [Fact]
    public async Task HedgedSendsAreParallelAttemptsEachWithItsOwnTraceparent()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Slow(TimeSpan.FromSeconds(5), UpstreamStub.Reply.Answer(200, Completion)),
            UpstreamStub.Reply.Answer(200, Completion));
        await using var gateway = await AttemptGateway.StartAsync(
            upstream,
            client =>
                client
                    .AddTracedLlmAttempts()
                    .AddStandardHedgingHandler()
                    .Configure(options =>
                    {
                        options.Hedging.MaxHedgedAttempts = 1;
                        options.Hedging.Delay = TimeSpan.FromMilliseconds(200);
                    }));

        using var response = await gateway.Client.SendAsync(AttemptGateway.Chat("gpt-4o"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await _spans.SingleTraceAsync();
        var attempts = Attempts(trace, trace.Single(SpanNames.LlmRequest));
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal("initial", a.GetTagItem(AttributeNames.AttemptKind)));
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Assert.Equal(
            attempts.Select(a => $"00-{a.TraceId}-{a.SpanId}-01"),
            upstream.Received.Select(r => r.Traceparent));
        _spans.AssertAllEnded();
    }

    private static void AddRetries(IHttpClientBuilder client, Resilience resilience, int retries)
    {
        switch (resilience)
        {
            case Resilience.Standard:
                client.AddStandardResilienceHandler(options =>
                {
                    options.Retry.MaxRetryAttempts = retries;
                    options.Retry.Delay = TimeSpan.FromMilliseconds(1);
                    options.Retry.BackoffType = DelayBackoffType.Constant;
                    options.Retry.UseJitter = false;
                });
                break;
            case Resilience.Custom:
                client.AddResilienceHandler("retry", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = retries,
                    Delay = TimeSpan.FromMilliseconds(1),
                    BackoffType = DelayBackoffType.Constant,
                }));
                break;
            case Resilience.Policy:
                client.AddPolicyHandler(
                    HttpPolicyExtensions
                        .HandleTransientHttpError()
                        .WaitAndRetryAsync(retries, _ => TimeSpan.FromMilliseconds(1)));
                break;
        }
    }

    /// <summary>The attempts under the LLM span, in the order they started.</summary>
    private static List<Activity> Attempts(SpanTree trace, Activity llm)
    {
        var attempts = trace.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.All(attempts, a => Assert.Equal(llm.SpanId, a.ParentSpanId));
        Assert.Equal(
            Enumerable.Range(0, attempts.Count),
            attempts.Select(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!));
        return attempts;
    }

    /// <summary>
    /// The upstream received one request per attempt, each with its attempt's span as <c>traceparent</c>.
    /// </summary>
    private static void AssertEachCarriedItsAttempt(UpstreamStub upstream, IReadOnlyList<Activity> attempts)
    {
        Assert.Equal(
            attempts.Select(a => $"00-{a.TraceId}-{a.SpanId}-01"),
            upstream.Received.Select(r => r.Traceparent));
    }

    // A breaker two failed sends open, for a while longer than any test.
    private static HttpCircuitBreakerStrategyOptions OpensAfterTwoFailures() => new()
    {
        MinimumThroughput = 2,
        FailureRatio = 0.5,
        SamplingDuration = TimeSpan.FromSeconds(30),
        BreakDuration = TimeSpan.FromSeconds(30),
    };
}
