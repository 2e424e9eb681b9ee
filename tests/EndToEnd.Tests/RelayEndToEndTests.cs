using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// The sample gateway as its own process, relaying (TracedLlm.ReverseProxy) to a loopback provider
/// that speaks OpenAI chat completions and Anthropic messages (node/relay-upstream.cjs), driven by
/// the real openai and Anthropic Node SDKs through the sample's routes, one handler each for both
/// stream modes; the trace checked as the third-party OTLP decoder received it.
/// </summary>
public sealed class RelayEnvironment : SampleGatewayEnvironment
{
    private ChildProcess? _upstream;
    private string _upstreamPort = string.Empty;

    /// <summary>The upstream's own host and port, the <c>Host</c> a request to it must carry.</summary>
    public string UpstreamAuthority => $"127.0.0.1:{_upstreamPort}";

    /// <summary>What the upstream received, one entry per request.</summary>
    public IReadOnlyList<JsonElement> UpstreamLog() =>
        (_upstream?.Lines ?? Array.Empty<string>())
            .Where(line => line.StartsWith("{\"upstream\"", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("upstream").Clone())
            .ToList();

    public Task<JsonElement> RunAsync(string sdk, bool stream, string prompt) =>
        RunNodeClientAsync("relay-client.mjs", GatewayUrl, sdk, stream ? "stream" : "whole", prompt);

    public override Task DisposeAsync()
    {
        _upstream?.Dispose();
        return base.DisposeAsync();
    }

    protected override async Task StartPeersAsync()
    {
        _upstream = ChildProcess.Start("node", new[] { "relay-upstream.cjs" }, NodeDirectory);
        _upstreamPort = await ListeningPortAsync(_upstream);
    }

    protected override IEnumerable<KeyValuePair<string, string?>> GatewaySettings() => new Dictionary<string, string?>
    {
        ["Upstream__BaseUrl"] = $"http://127.0.0.1:{_upstreamPort}/v1",
        ["Upstream__ApiKey"] = "sk-upstream-relay-e2e",
        ["Upstream__FallbackToEmbedded"] = "false",
        ["Retry__MaxRetries"] = "2",
        ["Retry__BaseDelayMs"] = "20",

        // Langfuse's default prices for these models (worker/src/constants/default-model-prices.json), per million
        // tokens.
        ["TracedLlm__Pricing__Models__claude-sonnet-4__Input"] = "3",
        ["TracedLlm__Pricing__Models__claude-sonnet-4__Output"] = "15",
        ["TracedLlm__Pricing__Models__claude-sonnet-4__CacheRead"] = "0.3",
        ["TracedLlm__Pricing__Models__claude-sonnet-4__CacheCreation"] = "3.75",
        ["TracedLlm__Pricing__Models__claude-sonnet-4__CacheCreation1h"] = "6",
        ["TracedLlm__Pricing__Models__gpt-4o-mini__Input"] = "0.15",
        ["TracedLlm__Pricing__Models__gpt-4o-mini__Output"] = "0.6",
        ["TracedLlm__Pricing__Models__gpt-4o-mini__CacheRead"] = "0.075",
    };
}

public sealed class RelayEndToEndTests(RelayEnvironment environment) : IClassFixture<RelayEnvironment>
{
    public static TheoryData<string, bool> Clients =>
        new()
        {
            { "openai", false },
            { "openai", true },
            { "anthropic", false },
            { "anthropic", true }
        };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task TheUpstreamsAnswerReachesTheSdkAndTheTraceReadsIt(string sdk, bool stream)
    {
        var prompt = $"hello relay {sdk} {(stream ? "stream" : "whole")}";
        var client = await environment.RunAsync(sdk, stream, prompt);

        Assert.False(client.TryGetProperty("failure", out var failure), failure.ToString());
        Assert.Equal($"Relayed: {prompt}", client.GetProperty("text").GetString());
        Assert.Equal(
            sdk == "openai" ? "gpt-4o-mini-upstream" : "claude-sonnet-4-upstream",
            client.GetProperty("model").GetString());
        Assert.Equal(sdk == "openai" ? "stop" : "end_turn", client.GetProperty("finishReason").GetString());

        // The upstream got the body without the gateway's metadata slot, with the gateway's key, never the client's.
        var received = environment.UpstreamLog().Last(e => e.GetProperty("prompt").GetString() == prompt);
        Assert.Equal(
            sdk == "openai" ? "/v1/chat/completions" : "/v1/messages",
            received.GetProperty("path").GetString());
        Assert.DoesNotContain(
            received.GetProperty("keys").EnumerateArray(),
            key => key.GetString() is "metadata" or "litellm_metadata");
        Assert.Equal("Bearer sk-upstream-relay-e2e", received.GetProperty("authorization").GetString());
        Assert.Equal(environment.UpstreamAuthority, received.GetProperty("host").GetString());

        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var generation = Assert.Single(spans, s => s.Name == "relay-e2e");
        var attempt = Assert.Single(spans, s => s.Name == "raw_gen_ai_request");
        Assert.Equal(generation.SpanId, attempt.ParentSpanId);
        Assert.EndsWith(
            attempt.SpanId + "-01",
            received.GetProperty("traceparent").GetString(),
            StringComparison.Ordinal);
        Assert.Equal(client.GetProperty("model").GetString(), generation.Text("gen_ai.response.model"));
        var words = prompt.Split(' ').Length;
        Assert.Equal(words + 2, generation.Number("gen_ai.usage.input_tokens"));
        Assert.Equal(words + 1, generation.Number("gen_ai.usage.output_tokens"));
        Assert.Equal(
            sdk == "openai" ? "openai.chat_completions" : "anthropic.messages",
            attempt.Text("tracedllm.relay.format"));
        Assert.Equal(200, attempt.Number("http.response.status_code"));
        if (stream)
        {
            Assert.NotNull(generation.Number("gen_ai.server.time_to_first_token"));
            Assert.True(generation.Number("tracedllm.stream.chunks") >= words + 1);
        }

        Assert.All(spans, s => Assert.Equal(0, s.StatusCode));

        // YARP's forwarder logs each forward at Information ("Proxying to {targetUrl}": the upstream's address
        // with the client's query, which may carry a provider key, and a second line for the answer): the
        // sample keeps YARP's categories at Warning, so a relayed request writes no log line of its own.
        Assert.DoesNotContain("Yarp.ReverseProxy", environment.GatewayOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// A cached prompt through the relay, as the OTLP decoder received it: the input counted with the
    /// cached tokens (Anthropic's added, OpenAI's already in), the cache read apart, and Langfuse's view
    /// of it: the uncached input and the cached tokens under the keys its price list prices, and the
    /// gateway's cost equal to what Langfuse computes from its own default prices, the cache read at
    /// its cached price rather than as full input.
    /// </summary>
    [Theory]
    [MemberData(nameof(Clients))]
    public async Task ACachedPromptIsCountedAndPricedAsCached(string sdk, bool stream)
    {
        var prompt = $"[cached] the manual again {sdk} {(stream ? "stream" : "whole")}";
        var client = await environment.RunAsync(sdk, stream, prompt);
        Assert.False(client.TryGetProperty("failure", out var failure), failure.ToString());

        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var generation = Assert.Single(spans, s => s.Name == "relay-e2e");
        var uncached = prompt.Split(' ').Length + 2;
        var output = prompt.Split(' ').Length; // "Relayed:" and the prompt's words without the marker
        Assert.Equal(uncached + 1000, generation.Number("gen_ai.usage.input_tokens"));
        Assert.Equal(1000, generation.Number("gen_ai.usage.cache_read.input_tokens"));
        Assert.Equal(output, generation.Number("gen_ai.usage.output_tokens"));

        var usage = LangfuseView.Usage(generation);
        Assert.Equal(uncached, usage["input"]);
        Assert.Equal(1000, usage["input_cached_tokens"]);
        Assert.Equal(output, usage["output"]);

        var prices =
            sdk == "openai"
                ? new Dictionary<string, double>
                {
                    ["input"] = 1.5e-07,
                    ["output"] = 6e-07,
                    ["input_cached_tokens"] = 7.5e-08
                }
                : new Dictionary<string, double>
                {
                    ["input"] = 3e-06,
                    ["output"] = 1.5e-05,
                    ["input_cached_tokens"] = 3e-07,
                    ["input_cache_creation"] = 3.75e-06
                };
        var langfuse = LangfuseView.ComputedCost(usage, prices);
        Assert.Equal(
            uncached * prices["input"] + 1000 * prices["input_cached_tokens"] + output * prices["output"],
            langfuse,
            12);
        Assert.True(langfuse < (uncached + 1000) * prices["input"] + output * prices["output"]);
        Assert.Equal(langfuse, LangfuseView.ProvidedCost(generation)!.Value, 12);
        Assert.Equal(langfuse, generation.Number("gen_ai.usage.cost")!.Value, 12);
    }

    /// <summary>
    /// Anthropic's cache writes split by lifetime through the relay, whole and streamed, as the OTLP decoder
    /// received them: the writes' total on <c>gen_ai.usage.cache_creation.input_tokens</c>, and Langfuse's usage
    /// keyed as its ingestion keys Anthropic's split, so the gateway's cost is what Langfuse computes from
    /// its own Claude prices (one-hour writes at twice the input). Before, the 1000 one-hour writes were
    /// priced at the five-minute price and Langfuse saw no split.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnthropicOneHourCacheWriteIsPricedAsLangfusePricesIt(bool stream)
    {
        var prompt = $"[cache-1h] the long manual {(stream ? "stream" : "whole")}";
        var client = await environment.RunAsync("anthropic", stream, prompt);
        Assert.False(client.TryGetProperty("failure", out var failure), failure.ToString());

        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var generation = Assert.Single(spans, s => s.Name == "relay-e2e");
        var uncached = prompt.Split(' ').Length + 2;
        var output = prompt.Split(' ').Length;
        Assert.Equal(uncached + 1500, generation.Number("gen_ai.usage.input_tokens"));
        Assert.Equal(1500, generation.Number("gen_ai.usage.cache_creation.input_tokens"));

        var usage = LangfuseView.Usage(generation);
        Assert.Equal(uncached, usage["input"]);
        Assert.Equal(0, usage["input_cache_creation"]);
        Assert.Equal(500, usage["input_cache_creation_5m"]);
        Assert.Equal(1000, usage["input_cache_creation_1h"]);

        // Langfuse's default prices for claude-sonnet-4 (per token), its 5m and 1h cache-write keys included.
        var prices = new Dictionary<string, double>
        {
            ["input"] = 3e-06,
            ["output"] = 1.5e-05,
            ["input_cached_tokens"] = 3e-07,
            ["input_cache_creation"] = 3.75e-06,
            ["input_cache_creation_5m"] = 3.75e-06,
            ["input_cache_creation_1h"] = 6e-06,
        };
        var langfuse = LangfuseView.ComputedCost(usage, prices);
        Assert.Equal(uncached * 3e-06 + 500 * 3.75e-06 + 1000 * 6e-06 + output * 1.5e-05, langfuse, 12);
        Assert.Equal(langfuse, LangfuseView.ProvidedCost(generation)!.Value, 12);
        Assert.Equal(langfuse, generation.Number("gen_ai.usage.cost")!.Value, 12);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task A429IsRetriedAfterItsRetryAfterAndTheSdkNeverSeesIt(string sdk)
    {
        var prompt = $"[429-once] patience {sdk}";
        var started = Stopwatch.GetTimestamp();
        var client = await environment.RunAsync(sdk, stream: true, prompt);
        Assert.False(client.TryGetProperty("failure", out var failure), failure.ToString());
        Assert.True(
            Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(1),
            "the upstream's Retry-After was not waited for");
        Assert.Equal(
            new[] { 429, 200 },
            environment
                .UpstreamLog()
                .Where(e => e.GetProperty("prompt").GetString() == prompt)
                .Select(e => e.GetProperty("status").GetInt32()));

        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 8);
        var attempts = spans.Where(s => s.Name == "raw_gen_ai_request").OrderBy(s => s.StartTimeUnixNano).ToList();
        Assert.Equal(new[] { "initial", "retry" }, attempts.Select(a => a.Text("tracedllm.attempt.kind")));
        Assert.Equal(429, attempts[0].Number("http.response.status_code"));
        Assert.Equal(1, attempts[0].Number("tracedllm.attempt.retry_after"));
    }

    [Theory]
    [InlineData("openai", false)]
    [InlineData("anthropic", true)]
    public async Task WhenEveryAttemptFailsTheSdkGetsTheProvidersOwnError(string sdk, bool stream)
    {
        var client = await environment.RunAsync(sdk, stream, $"[500] broken {sdk}");
        var failure = client.GetProperty("failure");
        Assert.Equal(500, failure.GetProperty("status").GetInt32());
        Assert.Contains(
            "The upstream broke on purpose.",
            failure.GetProperty("message").GetString(),
            StringComparison.Ordinal);
        var headers = failure.GetProperty("headers");
        Assert.Equal("apim-e2e-500", headers.GetProperty("apim-request-id").GetString());
        Assert.Equal("41", headers.GetProperty("x-ratelimit-remaining-requests").GetString());

        // Three attempts (the first and two retries), and a failure on the trace.
        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 9);
        Assert.Equal(3, spans.Count(s => s.Name == "raw_gen_ai_request"));
        var failed = Assert.Single(spans, s => s.Name == "Failed Proxy Server Request");
        Assert.Equal("500", failed.Text("error.type"));
        Assert.Equal(2, Assert.Single(spans, s => s.Kind == "SERVER").StatusCode);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task AStreamCutByTheUpstreamReachesTheSdkAsAnErrorAfterWhatCame(string sdk)
    {
        var client = await environment.RunAsync(sdk, stream: true, $"[cut] a long answer {sdk}");
        var failure = client.GetProperty("failure");
        Assert.Contains("cut off before its end", failure.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotEmpty(client.GetProperty("events").EnumerateArray());

        var spans = await environment.GatewayTraceAsync(client.GetProperty("traceId").GetString()!, expectedSpans: 7);
        var attempt = Assert.Single(spans, s => s.Name == "raw_gen_ai_request");
        Assert.Equal("failure", attempt.Text("tracedllm.attempt.outcome"));
        Assert.Equal(
            "TracedLlm.UpstreamBadResponseException",
            Assert.Single(spans, s => s.Name == "Failed Proxy Server Request").Text("error.type"));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task ABodyThatIsNotAStreamIsAGatewayErrorForAStreamRequest(string sdk)
    {
        var client = await environment.RunAsync(sdk, stream: true, $"[not-sse] please {sdk}");
        var failure = client.GetProperty("failure");
        Assert.Equal(502, failure.GetProperty("status").GetInt32());
        Assert.Contains("not an event stream", failure.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
