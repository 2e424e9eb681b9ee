using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using TracedLlm.Telemetry;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Upstreams that misbehave as real ones do — hang, ask to be waited for, stream without end, answer
/// a stream with JSON, cut a stream — through the sample gateway and a real loopback upstream. Timing
/// bounds are generous: they only matter when the behaviour is wrong.
/// </summary>
public sealed class UpstreamFaultTests : IDisposable
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"try again"}]}""";
    private const string ChatStreamBody =
        """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"try again"}]}""";
    private const string MessagesBody =
        """{"model":"claude","max_tokens":32,"messages":[{"role":"user","content":"try again"}]}""";
    private const string MessagesStreamBody =
        """{"model":"claude","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"try again"}]}""";

    private readonly SpanCollector _spans = new();

    public void Dispose() => _spans.Dispose();

    [Fact]
    public async Task AHangingUpstreamTimesOutIsRetriedThenFallsBack()
    {
        await using var upstream = await StartWithAsync(Reply.Hang);
        using var host = Host(upstream, maxRetries: 1, fallback: true).With("Upstream:TimeoutMs", "1000");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "Echo: try again",
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("1", Header(response, "x-litellm-attempted-retries"));
        Assert.Equal("1", Header(response, "x-litellm-attempted-fallbacks"));
        Assert.Equal(2, upstream.Calls);

        var attempts = Attempts(await _spans.SingleTraceAsync());
        Assert.Equal(
            new[]
            {
                ("initial", "failure", "openai"),
                ("retry", "failure", "openai"),
                ("fallback", "success", "tracedllm.embedded")
            },
            attempts.Select(Describe));
        Assert.All(
            attempts.Take(2),
            a => Assert.Equal(typeof(UpstreamTimeoutException).FullName, a.GetTagItem(AttributeNames.ErrorType)));
        Assert.Equal(typeof(UpstreamTimeoutException).FullName, attempts[1].GetTagItem(AttributeNames.AttemptReason));
        Assert.Equal(typeof(UpstreamTimeoutException).FullName, attempts[2].GetTagItem(AttributeNames.AttemptReason));

        // Each timed-out attempt lasted about its timeout, not HttpClient's 100 s.
        Assert.All(
            attempts.Take(2),
            a => Assert.InRange(a.Duration, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(30)));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", ChatBody, "upstream_timeout")]
    [InlineData("/v1/messages", MessagesBody, "timeout_error")]
    public async Task AHangingUpstreamWithNothingToFallBackToIs504InTheRoutesFormat(
        string path,
        string body,
        string expected)
    {
        await using var upstream = await StartWithAsync(Reply.Hang);
        // A second long enough for each attempt to reach the stub on a loaded machine (at 500 ms one once timed out
        // before it did).
        using var host = Host(upstream, maxRetries: 1, fallback: false).With("Upstream:TimeoutMs", "1000");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, ErrorCode(await response.Content.ReadAsStringAsync()));
        Assert.Equal(2, upstream.Calls);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(
            typeof(UpstreamTimeoutException).FullName,
            tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(2, Attempts(tree).Length);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheRequestDeadlineEndsTheCallWhateverRetriesAreLeft()
    {
        await using var upstream = await StartWithAsync(Reply.Hang);
        using var host = Host(upstream, maxRetries: 3, fallback: true)
            .With("Upstream:TimeoutMs", "0")
            .With("Upstream:TotalTimeoutMs", "1000");
        var clock = Stopwatch.StartNew();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(30));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("upstream_timeout", ErrorCode(text));
        Assert.Contains("deadline", text, StringComparison.Ordinal);

        // Past the deadline nothing is retried and nothing falls back.
        Assert.Equal(1, upstream.Calls);
        var attempt = Assert.Single(Attempts(await _spans.SingleTraceAsync()));
        Assert.Equal(typeof(UpstreamTimeoutException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task RetryAfterInSecondsIsWaitedFor()
    {
        await using var upstream = await StartWithAsync(Reply.Status(429, ("Retry-After", "1")), Reply.Status(200));
        using var host = Host(upstream, maxRetries: 2, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var attempts = Attempts(await _spans.SingleTraceAsync());
        Assert.Equal(
            new[] { ("initial", "failure", "openai"), ("retry", "success", "openai") },
            attempts.Select(Describe));
        Assert.Equal(429, attempts[0].GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(1.0, attempts[0].GetTagItem(AttributeNames.AttemptRetryAfter));

        // The upstream's wait replaced the 1 ms backoff.
        Assert.Equal(1.0, attempts[1].GetTagItem(AttributeNames.AttemptDelay));
        Assert.True(
            attempts[1].StartTimeUtc - (attempts[0].StartTimeUtc + attempts[0].Duration)
                >= TimeSpan.FromMilliseconds(900));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDateIsWaitedFor()
    {
        // HTTP dates have whole seconds: three seconds ahead is two to three seconds away.
        var date = DateTimeOffset.UtcNow.AddSeconds(3).ToString("r", CultureInfo.InvariantCulture);
        await using var upstream = await StartWithAsync(Reply.Status(503, ("Retry-After", date)), Reply.Status(200));
        using var host = Host(upstream, maxRetries: 1, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var attempts = Attempts(await _spans.SingleTraceAsync());
        var delay = Assert.IsType<double>(attempts[1].GetTagItem(AttributeNames.AttemptDelay));
        Assert.InRange(delay, 1.0, 3.0);
        Assert.True(
            attempts[1].StartTimeUtc - (attempts[0].StartTimeUtc + attempts[0].Duration)
                >= TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task RetryAfterInMillisecondsIsWaitedFor()
    {
        await using var upstream = await StartWithAsync(
            Reply.Status(503, ("retry-after-ms", "300")),
            Reply.Status(200));
        using var host = Host(upstream, maxRetries: 1, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.3, Attempts(await _spans.SingleTraceAsync())[1].GetTagItem(AttributeNames.AttemptDelay));
    }

    [Fact]
    public async Task ARetryAfterLongerThanTheCapIsNotWaitedForButFallsBack()
    {
        await using var upstream = await StartWithAsync(Reply.Status(429, ("Retry-After", "120")));
        using var host = Host(upstream, maxRetries: 2, fallback: true).With("Retry:MaxRetryAfterMs", "1000");
        var clock = Stopwatch.StartNew();
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "waited for the upstream's two minutes");
        Assert.Equal("0", Header(response, "x-litellm-attempted-retries"));
        Assert.Equal("1", Header(response, "x-litellm-attempted-fallbacks"));
        var attempts = Attempts(await _spans.SingleTraceAsync());
        Assert.Equal(
            new[] { ("initial", "failure", "openai"), ("fallback", "success", "tracedllm.embedded") },
            attempts.Select(Describe));
        Assert.Equal(120.0, attempts[0].GetTagItem(AttributeNames.AttemptRetryAfter));
    }

    [Fact]
    public async Task AnEndlessBodyIs502AndIsNotReadPastTheLimit()
    {
        await using var upstream = new EndlessUpstream();
        using var host = Host(upstream, maxRetries: 2, fallback: false).With("Upstream:MaxResponseBytes", "1048576");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("upstream_response_too_large", ErrorCode(text));
        Assert.Contains("1048576 bytes", text, StringComparison.Ordinal);

        // Not retried (the same upstream would send the same); of the 1 GiB offered, only what fits in
        // the limit and the sockets' buffers left the upstream.
        Assert.Equal(1, upstream.Calls);
        Assert.True(upstream.BytesSent < 64L * 1024 * 1024, $"{upstream.BytesSent} bytes sent");
        var attempt = Assert.Single(Attempts(await _spans.SingleTraceAsync()));
        Assert.Equal(typeof(UpstreamResponseTooLargeException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnEventLineWithoutEndIs502BeforeTheFirstChunk()
    {
        await using var upstream = new EndlessUpstream(events: false);
        using var host = Host(upstream, maxRetries: 0, fallback: false).With("Upstream:MaxResponseBytes", "1048576");
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("upstream_response_too_large", ErrorCode(await response.Content.ReadAsStringAsync()));
        Assert.True(upstream.BytesSent < 64L * 1024 * 1024, $"{upstream.BytesSent} bytes sent");
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnEndlessStreamEndsWithAnErrorEventAtTheLimit()
    {
        await using var upstream = new EndlessUpstream();
        using var host = Host(upstream, maxRetries: 0, fallback: false).With("Upstream:MaxResponseBytes", "1048576");
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        var error = Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal("upstream_response_too_large", ErrorCode(error.Data));
        Assert.Contains(events, e => e.Data.Contains("\"content\":\"from\"", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"finish_reason\":\"", StringComparison.Ordinal));
        Assert.True(upstream.BytesSent < 64L * 1024 * 1024, $"{upstream.BytesSent} bytes sent");

        var tree = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(tree));
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(UpstreamResponseTooLargeException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        Assert.Null(tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiResponseFinishReasons));
        Assert.Single(tree.All(SpanNames.Failure));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", ChatStreamBody, "upstream_bad_response")]
    [InlineData("/v1/messages", MessagesStreamBody, "api_error")]
    public async Task AJsonAnswerToAStreamingRequestIs502AndAFailedAttempt(string path, string body, string expected)
    {
        await using var upstream = await StartWithAsync(Reply.JsonEvenWhenStreaming);
        using var host = Host(upstream, maxRetries: 2, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post(path, body));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected, ErrorCode(text));
        Assert.Contains("not an event stream", text, StringComparison.Ordinal);

        // A bad answer is not retried: the same upstream would answer the same.
        Assert.Equal(1, upstream.Calls);
        var tree = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(tree));
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(UpstreamBadResponseException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABadStreamFallsBack()
    {
        await using var upstream = await StartWithAsync(Reply.JsonEvenWhenStreaming);
        using var host = Host(upstream, maxRetries: 2, fallback: true);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1].Data);
        var attempts = Attempts(await _spans.SingleTraceAsync());
        Assert.Equal(
            new[] { ("initial", "failure", "openai"), ("fallback", "success", "tracedllm.embedded") },
            attempts.Select(Describe));
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            attempts[1].GetTagItem(AttributeNames.AttemptReason));
    }

    [Fact]
    public async Task EventsThatAreNotChunksAre502()
    {
        await using var upstream = await StartWithAsync(Reply.MalformedEvents);
        using var host = Host(upstream, maxRetries: 0, fallback: false);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_bad_response", ErrorCode(await response.Content.ReadAsStringAsync()));
        _spans.AssertAllEnded();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AStreamCutAfterItsFirstChunkEndsWithAnErrorAndNoMadeUpFinishReason(bool reset)
    {
        await using var upstream = await StartWithAsync(Reply.CutAfterFirstChunk(reset));
        using var host = Host(upstream, maxRetries: 2, fallback: true);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal(
            "from",
            JsonDocument
                .Parse(events[0].Data)
                .RootElement.GetProperty("choices")[0]
                .GetProperty("delta")
                .GetProperty("content")
                .GetString());
        var error = Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal("upstream_response_truncated", ErrorCode(error.Data));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"finish_reason\":\"", StringComparison.Ordinal));

        // Once a chunk has reached the client, nothing is retried and nothing falls back.
        Assert.Equal(1, upstream.Calls);
        var tree = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(tree));
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(typeof(UpstreamBadResponseException).FullName, attempt.GetTagItem(AttributeNames.ErrorType));
        Assert.Null(tree.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.GenAiResponseFinishReasons));
        Assert.Single(tree.All(SpanNames.Failure));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamWhoseFirstEventAndThePauseAfterItOutlastTheAttemptTimeoutOnlyTogetherIsStreamedWhole()
    {
        // The attempt timeout is the wait for the first chunk, then for each next one: an upstream that
        // takes 0.9 s to its first event and 0.9 s more to the rest never keeps a 1.5 s timeout waiting.
        await using var upstream = await StartWithAsync(Reply.Status(200));
        using var host = Host(upstream, maxRetries: 0, fallback: false).With("Upstream:TimeoutMs", "1500");
        using var client = host.CreateClient();

        // One request without pauses first: the second one's waits are the upstream's, not the first request's
        // compilation.
        using (var warm = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            await warm.Content.ReadAsStringAsync();
        }

        await _spans.SingleTraceAsync();
        _spans.Clear();
        upstream.Then(async context =>
        {
            await Task.Delay(900);
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(FirstChunk);
            await context.Response.Body.FlushAsync();
            await Task.Delay(900);
            await context.Response.WriteAsync(StreamedReply[FirstChunk.Length..]);
        });
        using var response = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Data.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal));
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Equal(2, upstream.Calls);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(("initial", "success", "openai"), Describe(Assert.Single(Attempts(tree))));
        Assert.Empty(tree.All(SpanNames.Failure));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ACutStreamOnTheMessagesRouteHasNoStopReason()
    {
        await using var upstream = await StartWithAsync(Reply.CutAfterFirstChunk(reset: false));
        using var host = Host(upstream, maxRetries: 0, fallback: false);
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/messages", MessagesStreamBody));

        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("message_start", events[0].Name);
        Assert.Single(events, e => e.Name == "error");
        Assert.DoesNotContain(events, e => e.Name is "message_delta" or "message_stop");
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamThatNeverSaysWhyItFinishedFails()
    {
        await using var upstream = await StartWithAsync(Reply.NoFinishReason);
        using var host = Host(upstream, maxRetries: 0, fallback: false);
        using var response = await host.CreateClient()
            .SendAsync(GatewayHost.Post("/v1/chat/completions", ChatStreamBody));

        var events = StreamingTests.ParseEvents(await response.Content.ReadAsStringAsync());
        var error = Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal("upstream_bad_response", ErrorCode(error.Data));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"finish_reason\":\"", StringComparison.Ordinal));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnUnreachableUpstreamIsRetriedThen502()
    {
        var address = await FreeAddressAsync();
        using var host = new GatewayHost()
            .With("Upstream:BaseUrl", address + "/v1").With("Upstream:Relay", "false")
            .With("Upstream:FallbackToEmbedded", "false")
            .With("Retry:MaxRetries", "2")
            .With("Retry:BaseDelayMs", "1");
        using var response = await host.CreateClient().SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_unreachable", ErrorCode(await response.Content.ReadAsStringAsync()));
        var attempts = Attempts(await _spans.SingleTraceAsync());
        Assert.Equal(3, attempts.Length);
        Assert.All(
            attempts,
            a => Assert.Equal(typeof(UpstreamUnreachableException).FullName, a.GetTagItem(AttributeNames.ErrorType)));
    }

    [Fact]
    public async Task AClientThatLeavesIsNeverRetried()
    {
        await using var upstream = await StartWithAsync(Reply.Hang);
        using var host = Host(upstream, maxRetries: 3, fallback: true);
        using var client = host.CreateClient();
        using var leave = new CancellationTokenSource();
        var request = client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody), leave.Token);
        await Eventually.HoldsAsync(() => upstream.Calls == 1, "the upstream call", TimeSpan.FromSeconds(10));
        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // The server span ends after the handler, so any retry or fallback would be in the trace by then.
        var tree = await _spans.SingleTraceAsync();
        var attempt = Assert.Single(Attempts(tree));
        Assert.Equal("openai", attempt.GetTagItem(AttributeNames.GenAiProviderName));
        Assert.Equal(499, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(1, upstream.Calls);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnOpenCircuitFailsAtOnceWithoutCallingTheUpstream()
    {
        await using var upstream = await StartAsync(503);
        using var host = Host(upstream, maxRetries: 0, fallback: false).WithCircuitBreaker();
        using var client = host.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            using var failed = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        using var response = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("upstream_circuit_open", ErrorCode(await response.Content.ReadAsStringAsync()));
        Assert.Equal(2, upstream.Calls);
        var trees = await TracesAsync(3);
        Assert.Empty(trees[2].All(SpanNames.UpstreamAttempt));
        Assert.Equal(
            typeof(UpstreamCircuitOpenException).FullName,
            trees[2].Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnOpenCircuitFallsBackAndSaysWhy()
    {
        await using var upstream = await StartAsync(503);
        using var host = Host(upstream, maxRetries: 0, fallback: true).WithCircuitBreaker();
        using var client = host.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(GatewayHost.Post("/v1/chat/completions", ChatBody));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, upstream.Calls);
        var attempts = Attempts((await TracesAsync(3))[2]);
        Assert.Equal(new[] { ("fallback", "success", "tracedllm.embedded") }, attempts.Select(Describe));
        Assert.Equal(
            typeof(UpstreamCircuitOpenException).FullName,
            attempts[0].GetTagItem(AttributeNames.AttemptReason));
    }

    private static GatewayHost Host(UpstreamStub upstream, int maxRetries, bool fallback) =>
        Host(upstream.BaseUrl, maxRetries, fallback);

    private static GatewayHost Host(EndlessUpstream upstream, int maxRetries, bool fallback) =>
        Host(upstream.BaseUrl, maxRetries, fallback);

    private static GatewayHost Host(string baseUrl, int maxRetries, bool fallback) => new GatewayHost()
        .With("Upstream:BaseUrl", baseUrl).With("Upstream:Relay", "false")
        .With("Upstream:FallbackToEmbedded", fallback ? "true" : "false")
        .With("Retry:MaxRetries", maxRetries.ToString(CultureInfo.InvariantCulture))
        .With("Retry:BaseDelayMs", "1")
        .With("Upstream:CircuitBreaker:Enabled", "false");

    private async Task<SpanTree[]> TracesAsync(int count)
    {
        var servers = await _spans.WaitForAsync(spans =>
            spans.Where(s => s.DisplayName == SpanNames.Server).ToList() is { } found && found.Count >= count
                ? found
                : null);
        var stopped = _spans.Stopped;
        return servers
            .OrderBy(s => s.StartTimeUtc)
            .Select(server => new SpanTree(stopped.Where(s => s.TraceId == server.TraceId).ToList(), server))
            .ToArray();
    }

    internal static Activity[] Attempts(SpanTree tree)
    {
        var llm = tree.Single(SpanNames.LlmRequest);
        var attempts = tree.All(SpanNames.UpstreamAttempt)
            .OrderBy(a => (int)a.GetTagItem(AttributeNames.AttemptIndex)!)
            .ToArray();
        Assert.All(attempts, a => Assert.Equal(llm.SpanId, a.ParentSpanId));
        Assert.All(attempts, a => Assert.Equal(ActivityKind.Client, a.Kind));
        return attempts;
    }

    internal static (string, string, string) Describe(Activity attempt) => (
        (string)attempt.GetTagItem(AttributeNames.AttemptKind)!,
        (string)attempt.GetTagItem(AttributeNames.AttemptOutcome)!,
        (string)attempt.GetTagItem(AttributeNames.GenAiProviderName)!);

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    /// <summary>The error's code (OpenAI) or type (Anthropic), from a response body or an error event.</summary>
    private static string? ErrorCode(string json)
    {
        using var document = JsonDocument.Parse(json);
        var error = document.RootElement.GetProperty("error");
        return error.TryGetProperty("code", out var code) ? code.GetString() : error.GetProperty("type").GetString();
    }

    /// <summary>An address where nothing listens: a loopback app's, once it stopped.</summary>
    private static async Task<string> FreeAddressAsync()
    {
        var (app, address) = await LoopbackApp.StartAsync(_ => { });
        await LoopbackApp.StopAsync(app);
        return address;
    }
}

internal static class CircuitBreakerSettings
{
    /// <summary>A breaker that opens after two failures in a row and stays open for the rest of the test.</summary>
    public static GatewayHost WithCircuitBreaker(this GatewayHost host) => host
        .With("Upstream:CircuitBreaker:Enabled", "true")
        .With("Upstream:CircuitBreaker:MinimumThroughput", "2")
        .With("Upstream:CircuitBreaker:FailureRatio", "0.5")
        .With("Upstream:CircuitBreaker:SamplingDurationMs", "60000")
        .With("Upstream:CircuitBreaker:BreakDurationMs", "600000");
}
