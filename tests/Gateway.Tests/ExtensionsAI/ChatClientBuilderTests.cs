using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenTelemetry.Trace;
using TracedLlm.Pipeline;
using TracedLlm.Samples.Gateway.Providers;
using TracedLlm.Telemetry;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// <c>new ChatClientBuilder(openAi).UseTracedLlm().UseOpenTelemetry().Build()</c> over a real
/// <see cref="OpenAIClient"/> (OpenAI 2.15 with Microsoft.Extensions.AI.OpenAI) talking to a local
/// fake upstream, exported by the OpenTelemetry SDK through Hosting to the in-memory exporter: one
/// <c>raw_gen_ai_request</c> per call, M.E.AI's <c>chat</c> span under it carrying the call's GenAI
/// attributes and marked as a plain Langfuse span, the LLM span the one generation.
/// </summary>
public sealed class ChatClientBuilderTests
{
    private const string MeaiSource = "Experimental.Microsoft.Extensions.AI";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThroughTheSampleEachCallIsOneAttemptWithMeaisChatSpanUnderIt(bool stream)
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            Trace(services, exported);

            // The sample's IChatClient provider, its client now a builder pipeline over the OpenAI client.
            services.AddSingleton(
                new ChatClientProvider(
                    "openai",
                    new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().UseOpenTelemetry().Build()));
        });
        var body =
            $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":"""
            + $$"""[{"role":"user","content":"hello"}]}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(
            stream ? "upstream" : "from upstream",
            await response.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);

        var spans = await WaitForServerSpanAsync(exported);
        var llm = Assert.Single(spans, s => s.DisplayName == SpanNames.LlmRequest);
        var attempt = Assert.Single(spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal(llm.SpanId, attempt.ParentSpanId);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal("gpt-4o-mini", attempt.GetTagItem(AttributeNames.GenAiRequestModel));
        Assert.Equal(1, Assert.Single(upstream.Received).Body.Split("\"model\":\"gpt-4o-mini\"").Length - 1);

        AssertOneGenerationAndTheChatSpanUnder(attempt, llm, spans);
    }

    /// <summary>
    /// Called outside any attempt (straight from the handler's code), the client starts the attempt
    /// itself, through the request's <see cref="LlmCall"/> found in the async context. The request
    /// is driven through the generated pipeline's own steps, with the sample's services.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CalledOutsideAnAttemptTheClientStartsOneThroughTheCurrentCall(bool stream)
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services => Trace(services, exported));
        _ = host.Services; // starts the host, and with it the tracer provider
        using var client = new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().UseOpenTelemetry().Build();
        using var scope = host.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        var gateway = TracedLlmGateway.From(context);
        var route = new TracedRouteInfo(
            "POST",
            "/v1/chat/completions",
            "metadata",
            WireFormat.OpenAI,
            "chat",
            "Tests.Handler");

        var call = RequestStage.CreateCall(context, route, RequestEnvelope.Empty, gateway, Stopwatch.GetTimestamp());
        Assert.Same(call, LlmCall.Current);
        Assert.Null(LlmAttempt.Current);
        var server = RequestStage.StartSpan(call, null);
        var llm = LlmStage.StartSpan(call, server);
        var messages = new[] { new AiChatMessage(ChatRole.User, "hello") };
        var options = new ChatOptions { ModelId = "gpt-4o-mini" };
        if (stream)
        {
            var text = new StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync(messages, options))
            {
                // The consumer resumes under the LLM span; the client puts its attempt back before each chunk.
                Assert.Same(llm, Activity.Current);
                text.Append(update.Text);
            }

            Assert.Equal("from upstream", text.ToString());
        }
        else
        {
            Assert.Equal("from upstream", (await client.GetResponseAsync(messages, options)).Text);
        }

        Assert.Same(llm, Activity.Current);
        LlmStage.EndSpan(llm, server);
        RequestStage.EndSpan(server, call);

        var spans = exported.Snapshot();
        var attempt = Assert.Single(spans, s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal(llm!.SpanId, attempt.ParentSpanId);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal("initial", attempt.GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        AssertOneGenerationAndTheChatSpanUnder(attempt, llm, spans);
    }

    /// <summary>
    /// A cached prompt answered by a reasoning model, through the OpenAI client and M.E.AI's adapter:
    /// UsageDetails' CachedInputTokenCount and ReasoningTokenCount reach the generation, input and
    /// output as the provider counted them (cache and reasoning within).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CachedAndReasoningTokensReachTheGenerationThroughTheChatClient(bool stream)
    {
        const string Usage =
            "\"prompt_tokens\":2006,\"completion_tokens\":1186,\"total_tokens\":3192,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":1920,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":1024,\"audio_tokens\":0}";
        await using var upstream = await UsageUpstreamAsync("o3-mini", Usage);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            Trace(services, exported);
            services.AddSingleton(
                new ChatClientProvider("openai", new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().Build()));
        });
        var body =
            $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":"""
            + $$"""[{"role":"user","content":"hello"}]}""";
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var llm = Assert.Single(await WaitForServerSpanAsync(exported), s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Equal(2006L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(1186L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(1920L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(1024L, llm.GetTagItem(AttributeNames.GenAiUsageReasoningOutputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal("""{"input":86,"input_cached_tokens":1920,"output":162,"output_reasoning_tokens":1024}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        // The client's answer states the same parts (the whole answer's usage, or the last chunk's).
        var text = await response.Content.ReadAsStringAsync();
        var answer = JsonDocument
            .Parse(stream ? StreamingTests.ParseEvents(text).SkipLast(1).Last().Data : text)
            .RootElement.GetProperty("usage");
        Assert.Equal(1920, answer.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(1024, answer.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
    }

    /// <summary>
    /// Anthropic's cache writes through its own SDK's IChatClient (the adapter states them as
    /// UsageDetails.AdditionalCounts["CacheCreationInputTokens"], within InputTokenCount): they reach
    /// the generation apart from the uncached input, are priced as writes, and the client's Anthropic
    /// answer states them. The adapter does not state their lifetimes (cache_creation's 5m/1h split),
    /// so they are writes of no stated lifetime (Langfuse's input_cache_creation).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicsCacheWritesReachTheGenerationThroughItsOwnChatClient(bool stream)
    {
        const string Usage =
            "\"input_tokens\":10,\"cache_read_input_tokens\":1000,\"cache_creation_input_tokens\":3000,"
            + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000}";
        await using var upstream = await UpstreamStub.StartAtAsync("/v1/messages", async (_, context, streaming) =>
        {
            context.Response.StatusCode = 200;
            if (!streaming)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(
                    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                        + "\"content\":[{\"type\":\"text\",\"text\":\"42\"}],\"stop_reason\":\"end_turn\","
                        + "\"stop_sequence\":null,\"usage\":{" + Usage + ",\"output_tokens\":5}}");
                return;
            }

            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(
                "event: message_start\ndata: "
                    + "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,"
                        + "\"stop_sequence\":null,\"usage\":{" + Usage + ",\"output_tokens\":0}}}\n\n"
                + "event: content_block_start\ndata: "
                    + "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
                    + "\"text\":\"\"}}\n\n"
                + "event: content_block_delta\ndata: "
                    + "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                    + "\"text\":\"42\"}}\n\n"
                + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                + "event: message_delta\ndata: "
                    + "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                    + "\"usage\":{\"output_tokens\":5}}\n\n"
                + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        });
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            Trace(services, exported);
            services.Configure<TracedLlmOptions>(options =>
                options.Pricing.Models["claude-sonnet-4-5"] = new LlmModelPrice
                {
                    Input = 3,
                    CacheRead = 0.3,
                    CacheCreation = 3.75,
                    CacheCreation1h = 6,
                    Output = 15
                });
            var anthropic = new Anthropic.AnthropicClient
            {
                ApiKey = "sk-ant-upstream-test",
                BaseUrl = upstream.Address,
                MaxRetries = 0
            };
            services.AddSingleton(
                new ChatClientProvider(
                    "anthropic",
                    new ChatClientBuilder(anthropic.AsIChatClient()).UseTracedLlm().Build()));
        });
        var body =
            $$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":"""
            + $$"""[{"role":"user","content":"hello"}]}""";
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/messages", body, anthropicKeyHeader: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var llm = Assert.Single(await WaitForServerSpanAsync(exported), s => s.DisplayName == SpanNames.LlmRequest);
        Assert.Equal(4010L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(1000L, llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(3000L, llm.GetTagItem(AttributeNames.GenAiUsageCacheCreationInputTokens));
        Assert.Equal("""{"input":10,"input_cached_tokens":1000,"input_cache_creation":3000,"output":5}""",
            llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));

        // Priced as writes (3.75 a million), not as uncached input (3).
        Assert.Equal(
            10 * 3 + (1000 * 0.3) + (3000 * 3.75) + (5 * 15),
            JsonDocument
                .Parse((string)llm.GetTagItem(AttributeNames.LangfuseObservationCostDetails)!)
                .RootElement.GetProperty("total")
                .GetDouble() * 1_000_000,
            6);

        // The client's Anthropic answer states them apart from input_tokens, as Anthropic does (the sample
        // gives a stream's usage on its message_delta).
        var text = await response.Content.ReadAsStringAsync();
        var usage = stream
            ? JsonDocument
                .Parse(
                    StreamingTests
                        .ParseEvents(text)
                        .Single(e => e.Data.Contains("\"message_delta\"", StringComparison.Ordinal))
                        .Data)
                .RootElement.GetProperty("usage")
            : JsonDocument.Parse(text).RootElement.GetProperty("usage");
        Assert.Equal(10, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(1000, usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(3000, usage.GetProperty("cache_creation_input_tokens").GetInt64());
    }

    /// <summary>
    /// A usage count below zero (a provider's, or streamed parts that overflowed as the adapter added
    /// them) is not a count: it is not recorded, and the call that answered still answers. The
    /// client's adapter passes such numbers on unchecked; recording them threw from
    /// <see cref="LlmUsage"/>'s constructor inside the call, a 500 (or an error event mid-stream)
    /// for an answer the upstream gave.
    /// </summary>
    [Theory]
    [InlineData(false, "\"prompt_tokens\":-5,\"completion_tokens\":3", null, null, null)]
    [InlineData(true, "\"prompt_tokens\":-5,\"completion_tokens\":3", null, null, null)]
    [InlineData(false, "\"prompt_tokens\":20,\"completion_tokens\":-1", null, null, null)]
    [InlineData(
        true,
        "\"prompt_tokens\":20,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":-7}",
        20L,
        3L,
        "{\"input\":20,\"output\":3}"
    )]
    public async Task AUsageCountBelowZeroIsNotRecordedAndTheAnswerStillReachesTheCaller(
        bool stream,
        string usage,
        long? input,
        long? output,
        string? details)
    {
        await using var upstream = await UsageUpstreamAsync("gpt-4o-mini", usage);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            Trace(services, exported);
            services.Configure<TracedLlmOptions>(options =>
                options.Pricing.Models["gpt-4o-mini"] = new LlmModelPrice { Input = 1, Output = 1 });
        });
        using var client = new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().Build();
        using var request = DirectCall.Start(host.Services);
        var llm = request.Llm;
        var messages = new[] { new AiChatMessage(ChatRole.User, "hello") };
        var options = new ChatOptions { ModelId = "gpt-4o-mini" };
        var text = new StringBuilder();
        if (stream)
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, options))
            {
                text.Append(update.Text);
            }
        }
        else
        {
            text.Append((await client.GetResponseAsync(messages, options)).Text);
        }

        request.End();

        Assert.Equal("42", text.ToString());
        var attempt = Assert.Single(exported.Snapshot(), s => s.DisplayName == SpanNames.UpstreamAttempt);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.DoesNotContain(attempt.TagObjects, t => t.Value is long count && count < 0);
        Assert.DoesNotContain(llm.TagObjects, t => t.Value is long count && count < 0);
        Assert.Equal(input, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(output, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageCacheReadInputTokens));
        Assert.Equal(details, llm.GetTagItem(AttributeNames.LangfuseObservationUsageDetails));
    }

    [Theory]
    [InlineData(400, 400, false)]
    [InlineData(404, 404, false)]
    [InlineData(401, 502, false)]
    [InlineData(503, 503, false)]
    [InlineData(400, 400, true)]
    [InlineData(503, 503, true)]
    public async Task AFailedCallFailsItsAttemptAndTheUpstreamsStatusReachesTheCallerInTheRoutesFormat(
        int upstreamStatus,
        int answered,
        bool stream)
    {
        await using var upstream = await UpstreamStub.StartAsync(upstreamStatus);
        var exported = new ExportedSpans();
        using var host = new GatewayHost().WithServices(services =>
        {
            Trace(services, exported);
            services.AddSingleton(
                new ChatClientProvider(
                    "openai",
                    new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().UseOpenTelemetry().Build()));
        });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":"""
                + $$"""[{"role":"user","content":"hello"}]}"""));

        // The OpenAI client's ClientResultException is read as the upstream's status, as over plain HTTP: not a 500.
        Assert.Equal(answered, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("error").GetProperty("message").ValueKind);
        }

        Assert.DoesNotContain("ClientResult", body, StringComparison.Ordinal);
        var spans = await WaitForServerSpanAsync(exported);
        var attempts = spans.Where(s => s.DisplayName == SpanNames.UpstreamAttempt).ToList();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, attempt =>
        {
            Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
            Assert.Equal(ActivityStatusCode.Error, attempt.Status);
            var chat = Assert.Single(spans, s => s.Source.Name == MeaiSource && s.ParentSpanId == attempt.SpanId);
            Assert.Equal(ActivityStatusCode.Error, chat.Status);
        });
        Assert.Equal(upstream.Calls, attempts.Count);
        Assert.Single(spans, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(
            answered,
            spans.Single(s => s.DisplayName == SpanNames.Server).GetTagItem(AttributeNames.HttpResponseStatusCode));
    }

    [Fact]
    public async Task AnUpstream429ThroughTheOpenAiClientIsRetriedAfterTheWaitItAsksFor()
    {
        await using var upstream = await UpstreamStub.StartWithAsync(
            UpstreamStub.Reply.Status(429, ("retry-after-ms", "300")),
            UpstreamStub.Reply.Status(200));
        var exported = new ExportedSpans();
        using var host = new GatewayHost()
            .With("Retry:MaxRetries", "2")
            .With("Retry:BaseDelayMs", "1")
            .WithServices(services =>
            {
                Trace(services, exported);
                services.AddSingleton(
                    new ChatClientProvider(
                        "openai",
                        new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().Build()));
            });
        using var response = await host.CreateClient().SendAsync(
            GatewayHost.Post("/v1/chat/completions",
                """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var spans = await WaitForServerSpanAsync(exported);
        var attempts = spans
            .Where(s => s.DisplayName == SpanNames.UpstreamAttempt)
            .OrderBy(s => (int)s.GetTagItem(AttributeNames.AttemptIndex)!)
            .ToList();
        Assert.Equal(
            new[] { ("initial", "failure"), ("retry", "success") },
            attempts.Select(a =>
                ((string)a.GetTagItem(AttributeNames.AttemptKind)!,
                    (string)a.GetTagItem(AttributeNames.AttemptOutcome)!)));
        Assert.Equal("429", attempts[0].GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(
            typeof(UpstreamException).FullName,
            attempts[0].Events.Single(e => e.Name == "exception").Tags.Single(t => t.Key == "exception.type").Value);
        Assert.Equal(0.3, attempts[0].GetTagItem(AttributeNames.AttemptRetryAfter));
        Assert.Equal(0.3, attempts[1].GetTagItem(AttributeNames.AttemptDelay));
        Assert.Equal(2, upstream.Calls);
    }

    [Fact]
    public async Task OutsideATracedRequestCallsPassThroughUntouched()
    {
        await using var upstream = await UpstreamStub.StartAsync(200);
        using var spans = new SpanCollector();
        using var client = new ChatClientBuilder(OpenAiClient(upstream)).UseTracedLlm().Build();

        var response = await client.GetResponseAsync(
            new[] { new AiChatMessage(ChatRole.User, "hello") },
            new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Equal("from upstream", response.Text);
        Assert.Null(LlmCall.Current);
        Assert.Empty(spans.Started);
    }

    /// <summary>
    /// The attempt's M.E.AI <c>chat</c> span: its child, the call's GenAI attributes on it (model,
    /// usage) and not on the attempt, marked <c>langfuse.observation.type=span</c>; the LLM span
    /// carries the request's response and usage and is the one generation.
    /// </summary>
    private static void AssertOneGenerationAndTheChatSpanUnder(
        Activity attempt,
        Activity llm,
        IReadOnlyList<Activity> spans)
    {
        var chat = Assert.Single(spans, s => s.Source.Name == MeaiSource);
        Assert.Equal("chat gpt-4o-mini", chat.DisplayName);
        Assert.Equal(ActivityKind.Client, chat.Kind);
        Assert.Equal(attempt.SpanId, chat.ParentSpanId);
        Assert.Equal("span", chat.GetTagItem(AttributeNames.LangfuseObservationType));
        Assert.Equal(7, chat.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(2, chat.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal("upstream-model", chat.GetTagItem(AttributeNames.GenAiResponseModel));

        Assert.Null(attempt.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Null(attempt.GetTagItem(AttributeNames.GenAiResponseModel));

        Assert.Equal(7L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(2L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal("upstream-model", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(new[] { "stop" }, llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons));
        Assert.Same(
            llm,
            Assert.Single(spans, s => (string?)s.GetTagItem(AttributeNames.LangfuseObservationType) == "generation"));
        Assert.All(spans, s => Assert.True(s.IsStopped));
    }

    // The gateway's own policy retries (one attempt span per try): the client library's retries are off.
    /// <summary>
    /// An OpenAI chat upstream answering "42" from <paramref name="model"/> with <paramref name="usage"/> (the usage
    /// object's members), streamed when asked (the usage on a last chunk of its own, as <c>include_usage</c> sends it).
    /// </summary>
    private static Task<UpstreamStub> UsageUpstreamAsync(string model, string usage) =>
        UpstreamStub.StartWithAsync(
            async (_, context, streaming) =>
            {
                context.Response.StatusCode = 200;
                if (streaming)
                {
                    context.Response.ContentType = "text/event-stream";
                    await context.Response.WriteAsync(
                        "data: {\"id\":\"r-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
                            + model
                            + "\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"42\"},"
                            + "\"finish_reason\":\"stop\"}]}\n\n"
                            + "data: {\"id\":\"r-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\""
                            + model
                            + "\",\"choices\":[],\"usage\":{"
                            + usage
                            + "}}\n\n"
                            + "data: [DONE]\n\n");
                    return;
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(
                    "{\"id\":\"r-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\""
                        + model
                        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"42\"},"
                        + "\"finish_reason\":\"stop\"}],\"usage\":{"
                        + usage
                        + "}}");
            });

    private static IChatClient OpenAiClient(UpstreamStub upstream) =>
        new OpenAIClient(
            new ApiKeyCredential("sk-upstream-test"),
            new OpenAIClientOptions
            {
                Endpoint = new Uri(upstream.BaseUrl),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0)
            })
            .GetChatClient("gpt-4o-mini")
            .AsIChatClient();

    private static void Trace(IServiceCollection services, ExportedSpans exported) =>
        services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddSource(TracedLlmTelemetry.SourceName, MeaiSource)
            .AddInMemoryExporter(exported));

    private static async Task<IReadOnlyList<Activity>> WaitForServerSpanAsync(ExportedSpans exported)
    {
        await exported.WaitForAsync(spans => spans.FirstOrDefault(s => s.DisplayName == SpanNames.Server));
        return exported.Snapshot();
    }
}
