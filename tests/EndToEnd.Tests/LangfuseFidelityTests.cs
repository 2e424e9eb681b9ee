using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// What Langfuse shows equals what happened: the real openai, Anthropic and @langfuse/tracing Node
/// clients through the sample gateway process and a loopback upstream, the export decoded by the
/// OpenTelemetry JS project's decoder, and every assertion made on what Langfuse's ingestion reads
/// (<see cref="LangfuseView"/>): observation types, usage and what is priced, completion start
/// time, trace-level fields per observation, the trace's input and output, seed-derived trace ids.
/// </summary>
public sealed class LangfuseFidelityTests(LangfuseFidelityEnvironment environment)
    : IClassFixture<LangfuseFidelityEnvironment>
{
    private const string Server = "Received Proxy Server Request";
    private const string Attempt = "raw_gen_ai_request";

    [Fact]
    public async Task EachUpstreamCallIsOneGenerationPricedOnceAndAFailedAttemptStaysVisible()
    {
        var prompt = $"[fail-once] reorder widgets {Guid.NewGuid():N}";
        var client = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = prompt } },
                metadata = new { generation_name = "usage-check" }
            });

        // Server, auth, pre-call, the generation, two guardrails, two attempts (503, then 200).
        var spans = await TraceAsync(client.GetProperty("traceId").GetString()!, 8);
        var types = spans.ToLookup(LangfuseView.ObservationType, s => s.Name);
        Assert.Equal(new[] { "usage-check" }, types["GENERATION"]);
        Assert.Equal(new[] { "guardrail", "guardrail" }, types["GUARDRAIL"]);
        Assert.Equal(
            new[] { Server, "auth", "proxy_pre_call", Attempt, Attempt },
            types["SPAN"].Order(StringComparer.Ordinal));
        Assert.Equal(8, types.Sum(t => t.Count()));

        // Langfuse prices the generation only; the trace's usage is what the upstream reported, once.
        var reported = Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt && e.Status == 200);
        Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt && e.Status == 503);
        Assert.Equal("usage-check", Assert.Single(spans, LangfuseView.IsPriced).Name);
        var usage = LangfuseView.TraceUsage(spans);
        Assert.Equal(reported.PromptTokens, (long)usage["input"]);
        Assert.Equal(reported.CompletionTokens, (long)usage["output"]);
        Assert.Equal(2, usage.Count);
        Assert.Equal(reported.PromptTokens, client.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal("gpt-4o-mini", LangfuseView.ModelName(spans.Single(s => s.Name == "usage-check")));

        // Both attempts are visible: the failed one as an error, each with what it cost itself.
        var attempts = spans.Where(s => s.Name == Attempt).OrderBy(s => s.StartTimeUnixNano).ToList();
        Assert.Equal(new[] { "ERROR", "DEFAULT" }, attempts.Select(LangfuseView.Level));
        Assert.Equal(new[] { "failure", "success" }, attempts.Select(a => a.Text("tracedllm.attempt.outcome")));
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.Text("tracedllm.attempt.kind")));
        Assert.Equal(reported.PromptTokens, (long?)attempts[1].Number("tracedllm.attempt.usage.input_tokens"));
        Assert.Equal(reported.CompletionTokens, (long?)attempts[1].Number("tracedllm.attempt.usage.output_tokens"));
        Assert.All(
            environment.UpstreamLog().Where(e => e.Prompt == prompt),
            e => Assert.Contains(client.GetProperty("traceId").GetString()!, e.TraceParent, StringComparison.Ordinal));
    }

    /// <summary>
    /// A cached prompt on the typed path (the sample's OpenAI-compatible provider reads the upstream's
    /// <c>prompt_tokens_details</c>): Langfuse sees the uncached input and the cached tokens apart,
    /// under the keys its default price list prices, so its own cost for gpt-4o-mini charges the cache
    /// at the cached price, not as full input.
    /// </summary>
    [Fact]
    public async Task ACachedPromptIsPricedAsCached()
    {
        var prompt = $"[cached] the long manual {Guid.NewGuid():N}";
        var client = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = prompt } },
                metadata = new { generation_name = "cached-check" }
            });

        var spans = await TraceAsync(client.GetProperty("traceId").GetString()!, 7);
        var generation = Assert.Single(spans, LangfuseView.IsPriced);
        var reported = Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt);
        Assert.Equal(reported.PromptTokens, (long?)generation.Number("gen_ai.usage.input_tokens"));
        Assert.Equal(1000, generation.Number("gen_ai.usage.cache_read.input_tokens"));

        var usage = LangfuseView.Usage(generation);
        Assert.Equal(reported.PromptTokens - 1000, (long)usage["input"]);
        Assert.Equal(1000, usage["input_cached_tokens"]);
        Assert.Equal(reported.CompletionTokens, (long)usage["output"]);

        // gpt-4o-mini in Langfuse's default-model-prices.json: input 1.5e-07, input_cached_tokens 7.5e-08, output
        // 6e-07.
        var prices = new Dictionary<string, double>
        {
            ["input"] = 1.5e-07,
            ["input_cached_tokens"] = 7.5e-08,
            ["output"] = 6e-07
        };
        Assert.Null(LangfuseView.ProvidedCost(generation));
        var cost = LangfuseView.ComputedCost(usage, prices);
        Assert.Equal(
            (reported.PromptTokens!.Value - 1000) * 1.5e-07 + 1000 * 7.5e-08 + reported.CompletionTokens!.Value * 6e-07,
            cost,
            12);
        Assert.True(cost < reported.PromptTokens.Value * 1.5e-07 + reported.CompletionTokens.Value * 6e-07);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task AStreamedGenerationsCompletionStartIsTheFirstChunkTimeToFirstTokenEndsAt(string wireFormat)
    {
        var prompt = $"[fail-once] stream {wireFormat} {Guid.NewGuid():N}";
        var client =
            wireFormat == "openai"
                ? await OpenAIAsync(
                    new
                    {
                        model = "gpt-4o-mini",
                        stream = true,
                        stream_options = new { include_usage = true },
                        messages = new[] { new { role = "user", content = prompt } }
                    })
                : await AnthropicAsync(
                    new
                    {
                        model = "claude-sonnet-4",
                        max_tokens = 64,
                        stream = true,
                        messages = new[] { new { role = "user", content = prompt } }
                    });

        var spans = await TraceAsync(client.GetProperty("traceId").GetString()!, 8);
        var generation = Assert.Single(spans, s => LangfuseView.ObservationType(s) == "GENERATION");
        var text = generation.Text("langfuse.observation.completion_start_time")!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", text);
        var completionStart = LangfuseView.CompletionStartTime(generation)!.Value;
        var ttft = TimeSpan.FromSeconds(generation.Number("gen_ai.server.time_to_first_token")!.Value);
        var attempts = spans.Where(s => s.Name == Attempt).OrderBy(s => s.StartTimeUnixNano).ToList();
        var tolerance = TimeSpan.FromMilliseconds(1);

        // TTFT runs from the stream's start (after the pre-call guardrails, before the first attempt)
        // to the first chunk, which came from the retried attempt: the same instant as the completion start.
        var streamStart = completionStart - ttft;
        Assert.InRange(
            streamStart,
            LangfuseView.Start(generation) - tolerance,
            LangfuseView.Start(attempts[0]) + tolerance);
        Assert.InRange(completionStart, LangfuseView.Start(attempts[1]), LangfuseView.End(generation));

        // Langfuse's own time to first token, from the generation's start, is never shorter.
        Assert.True(completionStart - LangfuseView.Start(generation) >= ttft - tolerance);

        // The client, on the same clock, got its first chunk after that instant.
        var clientStart = DateTimeOffset.FromUnixTimeMilliseconds(client.GetProperty("startedAt").GetInt64());
        var clientFirstChunk = DateTimeOffset.FromUnixTimeMilliseconds(client.GetProperty("firstChunkAt").GetInt64());
        Assert.InRange(completionStart, clientStart - tolerance, clientFirstChunk + tolerance);

        // A retried stream is still priced once, with the upstream's usage.
        var reported = Assert.Single(environment.UpstreamLog(), e => e.Prompt == prompt && e.Status == 200);
        Assert.Equal(generation, Assert.Single(spans, LangfuseView.IsPriced));
        var usage = LangfuseView.TraceUsage(spans);
        Assert.Equal((double?)reported.PromptTokens, usage["input"]);
        Assert.Equal((double?)reported.CompletionTokens, usage["output"]);
        Assert.Equal(
            reported.CompletionTokens,
            client
                .GetProperty("usage")
                .GetProperty(wireFormat == "openai" ? "completion_tokens" : "output_tokens")
                .GetInt64());
    }

    [Fact]
    public async Task TraceLevelFieldsAndTheEnvironmentAreOnEveryObservation()
    {
        var client = await OpenAIAsync(new
        {
            model = "gpt-4o-mini",
            messages = new[] { new { role = "user", content = "where is my parcel" } },
            metadata = new
            {
                trace_name = "checkout",
                trace_user_id = "user-81",
                session_id = "session-5",
                tags = new[] { "beta", "e2e" },
                trace_metadata = new { team = "search", ticket = 42 },
                version = "v2.1",
                release = "r-2026.11",
                environment = "staging",
            },
        });

        var spans = await TraceAsync(client.GetProperty("traceId").GetString()!, 7);
        Assert.Equal(7, spans.Count);
        Assert.All(spans, span =>
        {
            Assert.Equal("checkout", LangfuseView.TraceName(span));
            Assert.Equal("user-81", LangfuseView.UserId(span));
            Assert.Equal("session-5", LangfuseView.SessionId(span));
            Assert.Equal(new[] { "beta", "e2e" }, LangfuseView.Tags(span));
            Assert.Equal("search", LangfuseView.TraceMetadata(span)["team"]);
            Assert.Equal("42", LangfuseView.TraceMetadata(span)["ticket"]);
            Assert.Equal("v2.1", LangfuseView.Version(span));
            Assert.Equal("r-2026.11", LangfuseView.Release(span));
            Assert.Equal("staging", LangfuseView.Environment(span));
        });

        // Without metadata, the gateway's default environment is on every observation too.
        var plain = await OpenAIAsync(
            new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "no metadata" } } });
        var plainSpans = await TraceAsync(plain.GetProperty("traceId").GetString()!, 7);
        Assert.All(
            plainSpans,
            span => Assert.Equal(LangfuseFidelityEnvironment.DefaultEnvironment, LangfuseView.Environment(span)));
        Assert.All(plainSpans, span => Assert.Null(LangfuseView.UserId(span)));
    }

    [Fact]
    public async Task WithContentCaptureTheTracesInputAndOutputAreTheRequestAndTheFinalAnswer()
    {
        // A trace of its own (a seed of its own names it), so the server span is Langfuse's root.
        var seed = $"io-{Guid.NewGuid():N}";
        var client = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = "summarise my order" } },
                metadata = new { trace_id = seed }
            });

        var spans = await TraceAsync(SeedTraceId(seed), 7);
        var root = Assert.Single(spans, s => s.ParentSpanId.Length == 0);
        Assert.Equal(Server, root.Name);
        var generation = Assert.Single(spans, s => LangfuseView.ObservationType(s) == "GENERATION");

        using var input = JsonDocument.Parse(LangfuseView.TraceInput(root)!);
        Assert.Equal("gpt-4o-mini", input.RootElement.GetProperty("model").GetString());
        Assert.Equal(
            "summarise my order",
            input.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.False(input.RootElement.TryGetProperty("metadata", out _));
        using var output = JsonDocument.Parse(LangfuseView.TraceOutput(root)!);
        Assert.Equal(
            client.GetProperty("content").GetString(),
            output.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(LangfuseView.Input(generation), LangfuseView.TraceInput(root));
        Assert.Equal(LangfuseView.Output(generation), LangfuseView.TraceOutput(root));

        // mask_input / mask_output hide it on the root as on the generation.
        var maskedSeed = $"masked-{Guid.NewGuid():N}";
        await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = "secret plans" } },
                metadata = new
                {
                    trace_id = maskedSeed,
                    mask_input = true,
                    mask_output = true
                }
            });
        var masked = await TraceAsync(SeedTraceId(maskedSeed), 7);
        Assert.All(masked, span => Assert.Null(LangfuseView.Input(span)));
        Assert.All(masked, span => Assert.Null(LangfuseView.Output(span)));
        Assert.All(
            masked,
            span =>
                Assert.DoesNotContain(
                    "secret plans",
                    string.Join(' ', span.Attributes.Values),
                    StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStringTraceIdIsTheSeedLangfusesCreateTraceIdDerivesTheSameTraceFrom()
    {
        var client = await environment.RunNodeClientAsync(
            "langfuse-seed.mjs",
            environment.GatewayUrl + "/v1",
            "trace-123");
        var traceId = client.GetProperty("createdTraceId").GetString()!;
        Assert.Equal(SeedTraceId("trace-123"), traceId);
        Assert.Equal(traceId, client.GetProperty("observationTraceId").GetString());

        // The gateway's spans are in the client's trace, its server span under the client's observation.
        var spans = await TraceAsync(traceId, 7);
        var server = Assert.Single(spans, s => s.Name == Server);
        Assert.Equal(client.GetProperty("observationId").GetString(), server.ParentSpanId);
        Assert.Equal("metadata", server.Text("tracedllm.trace_join"));
        Assert.Empty(server.EventDetails);
        Assert.Equal("seeded-answer", Assert.Single(spans, s => LangfuseView.ObservationType(s) == "GENERATION").Name);
        Assert.All(spans, span => Assert.Equal("trace-123", LangfuseView.TraceMetadata(span)["trace_seed"]));
        var observation = Assert.Single(
            client.GetProperty("clientSpans").EnumerateArray(),
            s => s.GetProperty("name").GetString() == "checkout-assistant");
        Assert.Equal(traceId, observation.GetProperty("traceId").GetString());
        Assert.Equal(
            "span",
            observation.GetProperty("attributes").GetProperty("langfuse.observation.type").GetString());
    }

    [Fact]
    public async Task AnInvalidTraceIdIsReportedUnderTheFieldThatCarriedIt()
    {
        var client = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = "zero id" } },
                metadata = new { trace_id = "00000000-0000-0000-0000-000000000000" }
            });

        // Ignored: the trace is the client's own, joined through traceparent.
        var spans = await TraceAsync(client.GetProperty("traceId").GetString()!, 7);
        var server = Assert.Single(spans, s => s.Name == Server);
        Assert.Equal("traceparent", server.Text("tracedllm.trace_join"));
        var invalid = Assert.Single(server.EventDetails, e => e.Name == "tracedllm.invalid_trace_context");
        Assert.Equal("trace_id", invalid.Attributes["tracedllm.field"].GetString());
    }

    /// <summary>
    /// The request's service tier reaches Langfuse's model parameters as <c>service_tier</c>, the key its
    /// default price list selects a tier by: a priority request of gpt-4o-mini is priced at the "Fast mode"
    /// tier (worker/src/constants/default-model-prices.json), a request naming no tier at the default one.
    /// </summary>
    [Fact]
    public async Task TheRequestsServiceTierSelectsLangfusesPriceTier()
    {
        // gpt-4o-mini's tiers in Langfuse's default price list.
        var tiers = new[]
        {
            (Name: "Fast mode",
                Priority: 1,
                Conditions: new[] { (Key: "service_tier", Values: new[] { "fast", "priority" }) })
        };

        var priority = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                service_tier = "priority",
                messages = new[] { new { role = "user", content = $"tiered {Guid.NewGuid():N}" } }
            });
        var generation = Assert.Single(
            await TraceAsync(priority.GetProperty("traceId").GetString()!, 7),
            LangfuseView.IsPriced);
        Assert.Equal("priority", LangfuseView.ModelParameters(generation)["service_tier"]);
        Assert.Equal("Fast mode", LangfuseView.PriceTier(generation, tiers, "Standard"));

        var standard = await OpenAIAsync(
            new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = $"untiered {Guid.NewGuid():N}" } }
            });
        generation = Assert.Single(
            await TraceAsync(standard.GetProperty("traceId").GetString()!, 7),
            LangfuseView.IsPriced);
        Assert.False(LangfuseView.ModelParameters(generation).ContainsKey("service_tier"));
        Assert.Equal("Standard", LangfuseView.PriceTier(generation, tiers, "Standard"));
    }

    /// <summary>
    /// The trace id Langfuse's SDKs derive from a seed: the first 16 bytes of SHA-256 of its UTF-8 bytes, as hex.
    /// </summary>
    private static string SeedTraceId(string seed) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, 16));

    private Task<JsonElement> OpenAIAsync(object request) =>
        environment.RunNodeClientAsync(
            "openai-request.mjs",
            environment.GatewayUrl + "/v1",
            JsonSerializer.Serialize(request));

    private Task<JsonElement> AnthropicAsync(object request) =>
        environment.RunNodeClientAsync(
            "anthropic-request.mjs",
            environment.GatewayUrl,
            JsonSerializer.Serialize(request));

    private Task<IReadOnlyList<ExportedSpan>> TraceAsync(string traceId, int spans) =>
        environment.GatewayTraceAsync(traceId, spans);
}
