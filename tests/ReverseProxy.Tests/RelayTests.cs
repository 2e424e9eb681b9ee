using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Relay routes through a real Kestrel host in front of a scripted upstream: the upstream's bytes,
/// status and headers reach the client; what passes is read onto the attempt and LLM spans; a
/// retryable answer is retried or falls back before the first byte; after it a failure ends the
/// stream with an error event; the last upstream answer is relayed when every attempt fails.
/// </summary>
public sealed class RelayTests : RelayTestBase
{
    private const string ChatBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":"""
        + """{"trace_name":"relay","session_id":"s1"}}""";
    private const string ChatStreamBody =
        """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":"""
        + """[{"role":"user","content":"hi"}],"metadata":{"trace_name":"relay"}}""";
    private const string MessagesStreamBody =
        """{"model":"claude-sonnet-4","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]"""
        + ""","metadata":{"user_id":"u1"},"litellm_metadata":{"generation_name":"relayed"}}""";


    [Fact]
    public async Task AJsonAnswerIsRelayedAsItCameAndReadOntoTheSpans()
    {
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(WireSamples.ChatCompletion, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("req_upstream_1", Assert.Single(response.Headers.GetValues("x-request-id")));
        Assert.False(response.Headers.Contains("x-litellm-attempted-retries"));

        // The upstream got the body the gateway read, its metadata slot cut out, and the attempt's traceparent.
        var received = Assert.Single(Upstream.Received);
        Assert.Equal("/v1/chat/completions", received.Path);
        Assert.DoesNotContain("metadata", received.Body, StringComparison.Ordinal);
        Assert.Contains("\"messages\"", received.Body, StringComparison.Ordinal);

        var trace = await Spans.SingleTraceAsync();
        var llm = trace.Single(SpanNames.LlmRequest);
        var attempt = trace.Single(SpanNames.UpstreamAttempt);
        Assert.Equal($"00-{attempt.TraceId}-{attempt.SpanId}-01", received.Headers["traceparent"]);
        Assert.Equal("gpt-4o-mini-2024-07-18", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal("chatcmpl-abc", llm.GetTagItem(AttributeNames.GenAiResponseId));
        Assert.Equal(12L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(6L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(new[] { "stop" }, (string[])llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons)!);
        Assert.Null(llm.GetTagItem(AttributeNames.RelayUnknown));
        Assert.Equal("openai.chat_completions", attempt.GetTagItem(AttributeNames.RelayFormat));
        Assert.Equal(200, attempt.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(
            (long)Encoding.UTF8.GetByteCount(WireSamples.ChatCompletion),
            attempt.GetTagItem(AttributeNames.RelayResponseBytes));
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(ActivityStatusCode.Unset, trace.Server.Status);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamIsRelayedEventByEventWithItsTimings()
    {
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(WireSamples.AnthropicStream, body);
        var trace = await Spans.SingleTraceAsync();
        var llm = trace.Single("relayed");
        Assert.Equal("claude-sonnet-4", llm.GetTagItem(AttributeNames.GenAiResponseModel));
        Assert.Equal(25L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(15L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
        Assert.Equal(new[] { "max_tokens" }, (string[])llm.GetTagItem(AttributeNames.GenAiResponseFinishReasons)!);
        Assert.Equal(8, llm.GetTagItem(AttributeNames.StreamChunks));
        Assert.IsType<double>(llm.GetTagItem(AttributeNames.TimeToFirstToken));
        Assert.IsType<double>(llm.GetTagItem(AttributeNames.TimePerOutputToken));
        Assert.NotNull(llm.GetTagItem(AttributeNames.LangfuseCompletionStartTime));

        // The provider-native metadata is forwarded, the gateway's slot is not.
        var received = Assert.Single(Upstream.Received);
        Assert.Contains("\"user_id\":\"u1\"", received.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("litellm_metadata", received.Body, StringComparison.Ordinal);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamThatDoesNotStateItsUsageLeavesItUnknownOnTheSpan()
    {
        var noUsage = WireSamples.ChatStream.Replace(
            ",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}",
            string.Empty,
            StringComparison.Ordinal);
        Upstream.Then(Reply.Stream(noUsage));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(noUsage, await response.Content.ReadAsStringAsync());
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Null(llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
        Assert.Equal(
            new[] { AttributeNames.GenAiUsageInputTokens, AttributeNames.GenAiUsageOutputTokens },
            (string[])llm.GetTagItem(AttributeNames.RelayUnknown)!);
    }

    [Fact]
    public async Task A429IsRetriedAfterItsRetryAfterAndNeverReachesTheClient()
    {
        Upstream.Then(
            Reply.Answer(429,
                """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}""",
                headers: ("Retry-After", "1")));
        await using var host = await Host(new LlmRetryPolicy { MaxRetries = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10) }, relay: options => options.AttemptResponseHeaders = true);
        var started = Stopwatch.GetTimestamp();
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatCompletion, await response.Content.ReadAsStringAsync());
        Assert.True(
            Stopwatch.GetElapsedTime(started) >= TimeSpan.FromSeconds(0.95),
            "the upstream's Retry-After of 1 s was not waited for");
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("x-litellm-attempted-retries")));
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("x-litellm-attempted-fallbacks")));

        var trace = await Spans.SingleTraceAsync();
        var attempts = trace.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("failure", attempts[0].GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(429, attempts[0].GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(1.0, attempts[0].GetTagItem(AttributeNames.AttemptRetryAfter));
        Assert.Equal("retry", attempts[1].GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("success", attempts[1].GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(2, Upstream.Received.Count);
    }

    [Fact]
    public async Task WhenEveryAttemptFailsTheLastUpstreamAnswerIsRelayed()
    {
        const string error =
            """{"error":{"message":"The server had an error while processing your """
            + """request.","type":"server_error","param":null,"code":null}}""";
        for (var i = 0; i < 2; i++)
        {
            Upstream.Then(
                Reply.Answer(
                    500,
                    error,
                    headers: new[]
                    {
                        ("x-ratelimit-remaining-requests", "99"),
                        ("apim-request-id", "apim-" + i),
                        ("Retry-After", "0")
                    }));
        }

        await using var host = await Host(
            new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10) });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(error, await response.Content.ReadAsStringAsync());
        Assert.Equal("99", Assert.Single(response.Headers.GetValues("x-ratelimit-remaining-requests")));
        Assert.Equal("apim-1", Assert.Single(response.Headers.GetValues("apim-request-id")));
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("Retry-After")));

        // A failure on the trace, recorded once, as every error result is: the status its error.type.
        var trace = await Spans.SingleTraceAsync();
        Assert.All(
            trace.All(SpanNames.UpstreamAttempt),
            a => Assert.Equal(500, a.GetTagItem(AttributeNames.HttpResponseStatusCode)));
        var failed = trace.Single(SpanNames.Failure);
        Assert.Equal("500", failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(500, failed.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, trace.Server.Status);
        Assert.Equal("The upstream provider answered 500.", trace.Single(SpanNames.LlmRequest).StatusDescription);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheGatewaysOwnErrorIsTheOptionForAFailedRelay()
    {
        Upstream.Then(Reply.Answer(503, """{"error":{"message":"provider detail","type":"server_error"}}"""));
        await using var host = await Host(relay: options => options.UpstreamErrors = RelayUpstreamErrors.GatewayError);
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("provider detail", body, StringComparison.Ordinal);
        Assert.Contains("\"The upstream provider answered 503.\"", body, StringComparison.Ordinal);
        var trace = await Spans.SingleTraceAsync();
        Assert.Single(trace.All(SpanNames.Failure));
    }

    [Fact]
    public async Task AStreamCutAfterItsFirstEventsEndsWithAnErrorEventAndIsAFailureOnTheTrace()
    {
        Upstream.Then(Reply.Stream(WireSamples.ChatStream, cutAfter: 2));
        await using var host = await Host(
            new LlmRetryPolicy { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(10) });
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, events.Length);
        Assert.Equal(
            string.Concat(WireSamples.ChatStream.Split("\n\n")[..2].Select(e => e + "\n\n")),
            string.Concat(events[..2].Select(e => e + "\n\n")));
        Assert.Contains("upstream_response_truncated", events[2], StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.Single(Upstream.Received);

        var trace = await Spans.SingleTraceAsync();
        var attempt = trace.Single(SpanNames.UpstreamAttempt);
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AStreamCutInsideAnEventHasItsConnectionCutNotAnErrorEventGluedToIt()
    {
        // The client has the first event and part of the second: an error event written after it would be read as
        // the rest of that event ("data: {\"id\":...,\"objdata: {\"error\"..."), an event no client can parse.
        var events = WireSamples.ChatStream
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e + "\n\n")
            .ToArray();
        Upstream.Then(Reply.CutAfter(Encoding.UTF8.GetBytes(events[0] + events[1][..30]), "text/event-stream"));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());

        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        Spans.AssertAllEnded();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AStreamSentWithALengthThatEndsBeforeItsLastEventStillEndsWithAnErrorEvent(bool cut)
    {
        // Within its Content-Length the upstream's body is whole; the stream in it may not be.
        var events = WireSamples.ChatStream
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e + "\n\n")
            .ToArray();
        var sent = cut ? string.Concat(events[..2]) : WireSamples.ChatStream;
        var length = System.Text
            .Encoding.UTF8.GetByteCount(sent)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        Upstream.Then(Reply.Answer(200, sent, "text/event-stream", ("Content-Length", length)));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (!cut)
        {
            Assert.Equal(sent, body);
            Assert.Equal(
                ActivityStatusCode.Unset,
                (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest).Status);
            return;
        }

        Assert.StartsWith(sent, body, StringComparison.Ordinal);
        Assert.Contains("upstream_response_truncated", body[sent.Length..], StringComparison.Ordinal);
        var trace = await Spans.SingleTraceAsync();
        Assert.Single(trace.All(SpanNames.Failure));
        Assert.Equal(ActivityStatusCode.Error, trace.Single(SpanNames.LlmRequest).Status);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnAnswerCutBeforeItsFirstByteIsRetried()
    {
        Upstream.Then(Reply.CutBeforeBody("application/json"));
        await using var host = await Host(
            new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10) });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.ChatCompletion, await response.Content.ReadAsStringAsync());
        var attempts = (await Spans.SingleTraceAsync())
            .All(SpanNames.UpstreamAttempt)
            .OrderBy(a => a.StartTimeUtc)
            .ToList();
        Assert.Equal(
            new object?[] { "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
    }

    [Fact]
    public async Task AnEmptyEventStreamIsNotAWholeAnswerToAStreamRequest()
    {
        // An event stream with no event at all said nothing, whatever format it would have had: it is a stream that
        // ended before its last event (docs/relay.md), retried while nothing was sent, not a whole-looking empty 200.
        Upstream.Then(Reply.Answer(200, string.Empty, "text/event-stream"));
        await using var host = await Host(
            new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10) });
        using var retried = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(WireSamples.ChatStream, await retried.Content.ReadAsStringAsync());
        var attempts = (await Spans.SingleTraceAsync())
            .All(SpanNames.UpstreamAttempt)
            .OrderBy(a => a.StartTimeUtc)
            .ToList();
        Assert.Equal(
            new object?[] { "failure", "success" },
            attempts.Select(a => a.GetTagItem(AttributeNames.AttemptOutcome)));
        Spans.Clear();

        // With no attempt left, the gateway's own error.
        await using var once = await Host();
        Upstream.Then(Reply.Answer(200, string.Empty, "text/event-stream"));
        using var failed = await once.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Contains(
            "upstream_response_truncated",
            await failed.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
        Assert.Single((await Spans.SingleTraceAsync()).All(SpanNames.Failure));
        Spans.AssertAllEnded();
    }

    [Theory]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/messages", true)]
    [InlineData("/v1/messages", false)]
    public async Task AStreamOfCommentsOnlyThatIsCutOrEndsEndsWithAnErrorEventInTheRoutesFormat(string path, bool cut)
    {
        // An upstream's keep-alive comments went on to the client, and no event came: the stream has started (its
        // status and comments are the client's), so neither a retry nor a JSON error can follow; an error event can.
        const string Comments = ": processing\n\n: processing\n\n";
        Upstream.Then(
            cut
                ? Reply.CutAfter(Encoding.UTF8.GetBytes(Comments), "text/event-stream", waitMs: 1000)
                : Reply.Answer(200, Comments, "text/event-stream"));
        await using var host = await Host(
            new LlmRetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10) });
        using var response = await host.PostAsync(path, path == "/v1/messages" ? MessagesStreamBody : ChatStreamBody);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(Comments, body, StringComparison.Ordinal);
        var error = body[Comments.Length..];
        Assert.Contains("response was cut off before its end.", error, StringComparison.Ordinal);
        Assert.StartsWith(
            path == "/v1/messages"
                ? "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""
                : "data: {\"error\":",
            error,
            StringComparison.Ordinal);
        Assert.Contains(
            path == "/v1/messages" ? "api_error" : "upstream_response_truncated",
            error,
            StringComparison.Ordinal);
        Assert.EndsWith("\n\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", error, StringComparison.Ordinal);
        Assert.Single(Upstream.Received);

        var trace = await Spans.SingleTraceAsync();
        Assert.Equal("failure", trace.Single(SpanNames.UpstreamAttempt).GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));

        // The Anthropic route's body names its generation ("relayed"): the LLM span carries that name.
        Assert.Equal(
            ActivityStatusCode.Error,
            trace.Single(path == "/v1/messages" ? "relayed" : SpanNames.LlmRequest).Status);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task ABodyThatIsNotAStreamIsNotRelayedToAStreamRequest()
    {
        Upstream.Then(Reply.Answer(200, WireSamples.ChatCompletion));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("upstream_bad_response", body, StringComparison.Ordinal);
        Assert.DoesNotContain("chatcmpl-abc", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedConnectionFallsBackToTheNextDestination()
    {
        await using var host = await Host(addresses: new[] { "http://127.0.0.1:9", Upstream.Address });
        using var response = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":8,"messages":[]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.AnthropicMessage, await response.Content.ReadAsStringAsync());
        var attempts = (await Spans.SingleTraceAsync())
            .All(SpanNames.UpstreamAttempt)
            .OrderBy(a => a.StartTimeUtc)
            .ToList();
        Assert.Equal(typeof(UpstreamUnreachableException).FullName, attempts[0].GetTagItem(AttributeNames.ErrorType));
        Assert.Equal("fallback", attempts[1].GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("anthropic-fallback-1", attempts[1].GetTagItem(AttributeNames.GenAiProviderName));
    }

    [Fact]
    public async Task AStreamRelayedAfterAFallbackCarriesTheAttemptPolicysCountsInItsHeaders()
    {
        // The headers go out with the relayed stream's first byte, while the attempt policy still runs: its one writer,
        // its counts.
        Upstream.Then(Reply.Stream(WireSamples.ChatStream));
        await using var host = await Host(
            addresses: new[] { "http://127.0.0.1:9", Upstream.Address },
            relay: options => options.AttemptResponseHeaders = true);
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("x-litellm-attempted-retries")));
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("x-litellm-attempted-fallbacks")));
        Assert.False(response.Headers.Contains("x-litellm-max-retries"));
        Assert.Equal(WireSamples.ChatStream, await response.Content.ReadAsStringAsync());

        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(0, llm.GetTagItem(AttributeNames.AttemptRetries));
        Assert.Equal(1, llm.GetTagItem(AttributeNames.AttemptFallbacks));
    }

    [Fact]
    public async Task AnUpstreamSlowerThanTheAttemptTimeoutIsATimeout()
    {
        Upstream.Then(Reply.Slow(TimeSpan.FromSeconds(30), WireSample));
        await using var host = await Host(new LlmRetryPolicy { AttemptTimeout = TimeSpan.FromMilliseconds(300) });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("upstream_timeout", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAttemptThatTimesOutBeforeItsHeadersIsRetriedAndTheRetrysAnswerRelayed()
    {
        // The relay keeps the attempt timeout itself: the timed-out attempt is a timeout, retried as the pipeline's
        // would be. The timeout leaves the retry, which is answered at once, room on a loaded machine.
        Upstream.Then(Reply.Slow(TimeSpan.FromSeconds(30), WireSample));
        await using var host = await Host(
            new LlmRetryPolicy
            {
                AttemptTimeout = TimeSpan.FromMilliseconds(2500),
                MaxRetries = 1,
                BaseDelay = TimeSpan.FromMilliseconds(10)
            });
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.ChatCompletion, await response.Content.ReadAsStringAsync());

        var trace = await Spans.SingleTraceAsync();
        var attempts = trace.All(SpanNames.UpstreamAttempt).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("failure", attempts[0].GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(
            "The upstream provider did not answer within the attempt timeout of 2.5 s.",
            attempts[0].StatusDescription);
        Assert.Equal("retry", attempts[1].GetTagItem(AttributeNames.AttemptKind));
        Assert.Equal("success", attempts[1].GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Empty(trace.All(SpanNames.Failure));
        Spans.AssertAllEnded();
    }

    [Theory]
    // Named as the attempt policy names its timeouts (LlmAttempt.TimedOut).
    [InlineData(500, null, "The upstream provider did not answer within the attempt timeout of 0.5 s.")]
    // No attempt timeout: the destination's own forwarder configuration times the wait between reads.
    [InlineData(null, 500, "The upstream provider did not answer in time.")]
    public async Task AStreamThatStallsPastItsTimeoutEndsWithATimeoutEvent(
        int? attemptMs,
        int? destinationActivityMs,
        string message)
    {
        Upstream.Then(Reply.Stream(WireSamples.AnthropicStream, delayMs: 1200));
        await using var host = await RelayHost.StartAsync(new RelayUpstreams
        {
            Addresses = new[] { Upstream.Address },
            Policy = new LlmRetryPolicy { AttemptTimeout = attemptMs is { } attempt ? TimeSpan.FromMilliseconds(attempt)
                : null },
            ActivityTimeout = destinationActivityMs is { } activity ? TimeSpan.FromMilliseconds(activity) : null,
        });
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("event: message_start", body, StringComparison.Ordinal);
        Assert.EndsWith(
            $"event: error\ndata: "
            + $"{{\"type\":\"error\",\"error\":{{\"type\":\"timeout_error\",\"message\":\"{message}\"}}}}\n\n",
            body,
            StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", body, StringComparison.Ordinal);
        var failure = (await Spans.SingleTraceAsync()).Single(SpanNames.Failure);
        Assert.Equal(message, failure.StatusDescription);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task ACompressedAnswerIsRelayedCompressedAndStillRead()
    {
        Upstream.Then(Reply.Gzip(WireSamples.ChatCompletion, "application/json"));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        var compressed = await response.Content.ReadAsByteArrayAsync();
        using var gzip = new System.IO.Compression.GZipStream(
            new System.IO.MemoryStream(compressed),
            System.IO.Compression.CompressionMode.Decompress);
        using var text = new System.IO.StreamReader(gzip);
        Assert.Equal(WireSamples.ChatCompletion, await text.ReadToEndAsync());
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal(12L, llm.GetTagItem(AttributeNames.GenAiUsageInputTokens));
    }

    [Fact]
    public async Task ACompressedStreamCutAfterItsFirstBytesHasItsConnectionCutNotAPlainTextEventAppended()
    {
        // The client decodes the body as the upstream coded it: an error event appended in plain text would be
        // undecodable bytes after a cut-off gzip stream, not an error. The connection is cut, as for a broken JSON
        // body.
        using var compressed = new System.IO.MemoryStream();
        using var gzip = new System.IO.Compression.GZipStream(
            compressed,
            System.IO.Compression.CompressionLevel.Fastest,
            leaveOpen: true);
        gzip.Write(
            Encoding.UTF8.GetBytes(
                WireSamples.AnthropicStream[
                    ..WireSamples.AnthropicStream.IndexOf("event: content_block_stop", StringComparison.Ordinal)
                ]));
        gzip.Flush();

        // The gzip stream's first blocks, flushed but not finished.
        Upstream.Then(Reply.CutAfter(compressed.ToArray(), "text/event-stream", "gzip", waitMs: 1000));
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/messages", MessagesStreamBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsByteArrayAsync());

        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(
            typeof(UpstreamBadResponseException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.True(
            (int)trace.Single("relayed").GetTagItem(AttributeNames.StreamChunks)! > 0,
            "the compressed stream's events were not counted");
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task TheResponsesApiIsReadToo()
    {
        await using var host = await Host();
        using var response = await host.PostAsync("/v1/responses",
            """{"model":"gpt-4.1","input":"hi","stream":true}""");
        Assert.Equal(WireSamples.ResponseStream, await response.Content.ReadAsStringAsync());
        var llm = (await Spans.SingleTraceAsync()).Single(SpanNames.LlmRequest);
        Assert.Equal("resp_s1", llm.GetTagItem(AttributeNames.GenAiResponseId));
        Assert.Equal(3L, llm.GetTagItem(AttributeNames.GenAiUsageOutputTokens));
    }

    [Fact]
    public async Task WithContentCaptureTheOutputIsTheRelayedBody()
    {
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address } },
            services: services => services.Configure<TracedLlmOptions>(options => options.CaptureMessageContent = true)
        );
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(WireSamples.ChatCompletion, await response.Content.ReadAsStringAsync());
        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(
            WireSamples.ChatCompletion,
            trace.Single(SpanNames.LlmRequest).GetTagItem(AttributeNames.LangfuseObservationOutput));
        Assert.Equal(WireSamples.ChatCompletion, trace.Server.GetTagItem(AttributeNames.LangfuseObservationOutput));
    }

    [Theory]
    [InlineData(new[] { "a=1", "b=2" }, "a=1,b=2", false)]
    [InlineData(new[] { "a=1", "b=2,a=3" }, "a=1,b=2", false)]
    [InlineData(new[] { "a=1", "not a member" }, null, false)]
    [InlineData(new[] { "a=1", "b=2" }, null, true)]
    public async Task TheUpstreamGetsTheTraceStateTheAttemptKeptNeverTheCallersHeadersAsTheyCame(
        string[] headers,
        string? kept,
        bool ignoreContext)
    {
        // As the typed path sends it: the attempt's own context, with the state the join kept (several
        // headers combined as W3C says, an invalid one none); none when the caller's context was not joined.
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address } },
            services: services =>
                services.Configure<TracedLlmOptions>(options => options.IgnoreContextPropagation = ignoreContext));
        var caller = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(ChatBody, Encoding.UTF8, "application/json")
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{caller}-{ActivitySpanId.CreateRandom()}-01");
        request.Headers.TryAddWithoutValidation("tracestate", headers);
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var trace = await Spans.SingleTraceAsync();
        var attempt = trace.Single(SpanNames.UpstreamAttempt);
        Assert.Equal(kept, attempt.TraceStateString);
        var received = Assert.Single(Upstream.Received);
        Assert.Equal($"00-{attempt.TraceId}-{attempt.SpanId}-01", received.Headers["traceparent"]);
        Assert.Equal(kept, received.Headers.TryGetValue("tracestate", out var sent) ? sent : null);
    }

    private Task<RelayHost> Host(
        LlmRetryPolicy? policy = null,
        string[]? addresses = null,
        Action<LlmRelayOptions>? relay = null) =>
        RelayHost.StartAsync(
            new RelayUpstreams
            {
                Addresses = addresses ?? new[] { Upstream.Address },
                Policy = policy ?? LlmRetryPolicy.None
            },
            relay);
}
