using System;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using TracedLlm.Telemetry;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// Guardrails on relayed traffic: post-call guardrails are a choice (a host with none chosen does
/// not start), they see a held response whole or a stream as it grows, and nothing they block, nor
/// anything a during-call guardrail fails after the upstream is done, reaches the client as a whole answer.
/// </summary>
public sealed class RelayGuardrailTests : RelayTestBase
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatStreamBody =
        """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}""";


    [Fact]
    public async Task AHostWithPostCallGuardrailsAndNoChoiceDoesNotStart()
    {
        var failure = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            Host(null, new WordGuardrail(GuardrailMode.PostCall, "x", "response-check")));
        Assert.Contains("TracedLlm:Relay:PostCallGuardrails is not chosen", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'response-check'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Buffer", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Incremental", failure.Message, StringComparison.Ordinal);

        var route = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            Host(
                options =>
                {
                    options.PostCallGuardrails = RelayPostCallGuardrails.Buffer;
                    options.Routes["/v1/messages"] = new LlmRelayRouteOptions
                    {
                        PostCallGuardrails = RelayPostCallGuardrails.Refuse
                    };
                },
                new WordGuardrail(GuardrailMode.PostCall, "x")));
        Assert.Contains("Routes:/v1/messages:PostCallGuardrails is Refuse", route.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABufferedResponseIsCheckedWholeBeforeAnyOfItIsSent()
    {
        var guardrail = new WordGuardrail(GuardrailMode.PostCall, "there");
        await using var host = await Host(
            options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer,
            guardrail);
        using var blocked = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        var body = await blocked.Content.ReadAsStringAsync();
        Assert.Contains("guardrail_blocked", body, StringComparison.Ordinal);
        Assert.DoesNotContain("chatcmpl-abc", body, StringComparison.Ordinal);
        Assert.False(
            blocked.Headers.Contains("x-request-id"),
            "the held response's headers went out with the gateway's error");
        Assert.Equal("Hello \"there\" é\n😀", Assert.Single(guardrail.Seen));
        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(
            GuardrailStatuses.Intervened,
            trace.Single(SpanNames.Guardrail).GetTagItem(AttributeNames.GuardrailStatus));
        Spans.AssertAllEnded();

        // A stream, held whole: checked, then sent at once with the upstream's headers.
        using var allowed = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":8,"stream":true,"messages":[]}""");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(WireSamples.AnthropicStream, await allowed.Content.ReadAsStringAsync());
        Assert.Equal("req_upstream_1", Assert.Single(allowed.Headers.GetValues("x-request-id")));
        Assert.Equal("Hello world", guardrail.Seen[^1]);
        Assert.Equal(guardrail.Seen.Select(seen => seen?.Length), guardrail.Lengths);
    }

    [Fact]
    public async Task AHeldJsonAnswerGoesOutWithItsLengthNotRechunked()
    {
        const string Answer =
            """{"id":"chatcmpl-held","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":"""
            + """0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":"""
            + """3,"completion_tokens":1,"total_tokens":4}}""";
        await using var host = await Host(options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer,
            new WordGuardrail(GuardrailMode.PostCall, "forbidden"));

        // The upstream sends its answer chunked: the held answer goes out whole, with its length.
        Upstream.Then(Reply.Answer(200, Answer));
        using var chunked = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.OK, chunked.StatusCode);
        Assert.Equal(Encoding.UTF8.GetByteCount(Answer), chunked.Content.Headers.ContentLength);
        Assert.Null(chunked.Headers.TransferEncodingChunked);
        Assert.Equal(Answer, await chunked.Content.ReadAsStringAsync());

        // The upstream states its length: the same length reaches the client.
        Upstream.Then(async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = Encoding.UTF8.GetByteCount(Answer);
            await context.Response.WriteAsync(Answer);
        });
        using var framed = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(Encoding.UTF8.GetByteCount(Answer), framed.Content.Headers.ContentLength);
        Assert.Equal(Answer, await framed.Content.ReadAsStringAsync());
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AHeldAnswerWithNoBodyGoesOutWithItsStatusAlone()
    {
        // A 204 (or 304) has no body to frame: a length or a write for it fails the response (a 500 and a reset
        // connection).
        Upstream.Then(context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            context.Response.Headers["x-request-id"] = "req_204";
            return Task.CompletedTask;
        });
        await using var host = await Host(
            options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer,
            new WordGuardrail(GuardrailMode.PostCall, "forbidden"));
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("req_204", Assert.Single(response.Headers.GetValues("x-request-id")));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        await AssertAnsweredWithoutFailureAsync(StatusCodes.Status204NoContent);
    }

    [Fact]
    public async Task ABlockedHeldAnswerGoesOutWithTheGatewaysOwnStatusLine()
    {
        // The upstream's reason phrase is part of the answer that was blocked, as its headers are.
        Upstream.Then(async context =>
        {
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase =
                "Here It Is";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(WireSamples.ChatCompletion);
        });
        await using var host = await Host(
            options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer,
            new WordGuardrail(GuardrailMode.PostCall, "there"));
        using var blocked = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.BadRequest, blocked.StatusCode);
        Assert.Equal("Bad Request", blocked.ReasonPhrase);
        Assert.Contains("guardrail_blocked", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIncrementalBlockBeforeTheFirstByteKeepsTheAttemptHeaders()
    {
        // Blocked at the first check, before anything was sent: the gateway's own 400, without the upstream's headers
        // but with LiteLLM's attempt headers, as a held answer's block has them.
        var blockedStream = WireSamples.ChatStream.Replace("\"Hel\"", "\"forbidden\"", StringComparison.Ordinal);
        Upstream.Then(Reply.Stream(blockedStream, headers: ("x-request-id", "req_blocked")));
        await using var host = await Host(
            options =>
            {
                options.PostCallGuardrails = RelayPostCallGuardrails.Incremental;
                options.IncrementalCheckBytes = 2;
                options.AttemptResponseHeaders = true;
            },
            new WordGuardrail(GuardrailMode.PostCall, "forbidden"));
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("guardrail_blocked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(
            response.Headers.Contains("x-request-id"),
            "the blocked attempt's headers went out with the gateway's error");
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("x-litellm-attempted-retries")));
        Assert.Equal("0", Assert.Single(response.Headers.GetValues("x-litellm-attempted-fallbacks")));
    }

    [Fact]
    public async Task AnIncrementalCheckEndsTheStreamAtTheBlockWithAnErrorEvent()
    {
        var guardrail = new WordGuardrail(GuardrailMode.PostCall, "forbidden");
        var body = await CheckedIncrementallyAsync(ChunkStream(i => i == 4 ? "forbidden" : "word" + i), guardrail);

        Assert.Contains("word3", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"content\":\"forbidden", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.EndsWith("\"code\":\"guardrail_blocked\"}}\n\n", body, StringComparison.Ordinal);
        Assert.True(guardrail.Runs >= 2, $"the stream was checked {guardrail.Runs} time(s)");
        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(guardrail.Runs, trace.All(SpanNames.Guardrail).Count);
        Assert.Single(trace.All(SpanNames.Failure));
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AnIncrementalCheckThatPassesLetsTheWholeStreamThroughAndChecksItOnceMoreWhole()
    {
        var guardrail = new WordGuardrail(GuardrailMode.PostCall, "forbidden");
        await using var host = await Host(options => { options.PostCallGuardrails = RelayPostCallGuardrails.Incremental;
            options.IncrementalCheckBytes = 2; }, guardrail);
        using var response = await host.PostAsync("/v1/chat/completions",
            """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""");
        Assert.Equal(WireSamples.ChatStream, await response.Content.ReadAsStringAsync());
        Assert.Equal("Hello", guardrail.Seen[^1]);
        Assert.True(guardrail.Seen.Count >= 2);
        Assert.All(guardrail.Seen[..^1], seen => Assert.StartsWith(seen!, "Hello", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnIncrementalCheckThatThrowsFailsTheRequestNotTheUpstreamAttempt()
    {
        // The upstream answered well; the guardrail checking it broke. The stream ends with the
        // gateway's error event (500: the guardrail's own failure), and the attempt is not blamed for it:
        // it succeeded, as it does when a check blocks, and its span names no failure of the upstream.
        var body = await CheckedIncrementallyAsync(
            ChunkStream(i => "word" + i),
            new ThrowingGuardrail(GuardrailMode.PostCall, "word3"));

        // Chunks read together under load are checked together: which words went out before the
        // check that threw depends on the reads, not on the relay, so only the stream's start is asserted.
        Assert.StartsWith("data: ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.EndsWith("\"code\":\"internal_error\"}}\n\n", body, StringComparison.Ordinal);
        var trace = await Spans.SingleTraceAsync();
        Assert.Equal(
            typeof(InvalidOperationException).FullName,
            trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        var attempt = trace.Single(SpanNames.UpstreamAttempt);
        Assert.Equal("success", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Null(attempt.GetTagItem(AttributeNames.ErrorType));
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task ADuringCallGuardrailThatFailsAfterTheUpstreamKeepsTheStreamFromLookingWhole()
    {
        var late = new LateGuardrail();
        await using var host = await Host(null, late);
        using var response = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":8,"stream":true,"messages":[]}""");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: content_block_delta", body, StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", body, StringComparison.Ordinal);
        Assert.EndsWith(
            "event: error\ndata: "
            + "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Too late.\"}}\n\n",
            body,
            StringComparison.Ordinal);

        // The upstream was asked not to compress: the terminal event is found in the bytes as they come.
        Assert.Equal("identity", Assert.Single(Upstream.Received).Headers["Accept-Encoding"]);
    }

    [Theory]
    [InlineData(RelayPostCallGuardrails.Buffer, GuardrailMode.PostCall)]
    [InlineData(RelayPostCallGuardrails.Incremental, GuardrailMode.PostCall)]
    [InlineData(RelayPostCallGuardrails.Refuse, GuardrailMode.DuringCall)]
    [InlineData(RelayPostCallGuardrails.Refuse, GuardrailMode.PreCall)]
    public async Task AStreamLongerThanTheAttemptTimeoutWithNoPauseAsLongIsRelayedWholeHeldOrNot(
        RelayPostCallGuardrails choice,
        GuardrailMode modes)
    {
        // The attempt timeout is the longest wait for the upstream's next bytes, never the stream's whole length:
        // seven pauses of 0.7 s (4.9 s in all) under an attempt timeout of 2 s, the stream held whole for a
        // post-call guardrail, held back event by event for an incremental or during-call one, or passed on.
        var guardrail = new WordGuardrail(modes, "forbidden");
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams
            {
                Addresses = new[] { Upstream.Address },
                Policy = new LlmRetryPolicy { AttemptTimeout = TimeSpan.FromSeconds(2) }
            },
            options => options.PostCallGuardrails = choice,
            new[] { guardrail });
        const string Body = """{"model":"claude-sonnet-4","max_tokens":8,"stream":true,"messages":[]}""";

        await WarmAsync(host, Body);
        Upstream.Then(Reply.Stream(WireSamples.AnthropicStream, delayMs: 700));
        using var response = await host.PostAsync("/v1/messages", Body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.AnthropicStream, await response.Content.ReadAsStringAsync());
        await AssertAnsweredWithoutFailureAsync(StatusCodes.Status200OK);
    }

    [Fact]
    public async Task AHeldBackStreamIsNotCutByTheDestinationsOwnActivityTimeout()
    {
        // Held back event by event for a during-call guardrail, the stream's reads are the relay's (docs/relay.md,
        // "Timeouts"): a pause of 3 s under the destination's own activity timeout of 1.5 s, and no attempt timeout.
        var guardrail = new WordGuardrail(GuardrailMode.DuringCall, "forbidden");
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address }, ActivityTimeout = TimeSpan.FromSeconds(1.5) },
            guardrails: new[] { guardrail });
        const string Body = """{"model":"claude-sonnet-4","max_tokens":8,"stream":true,"messages":[]}""";

        await WarmAsync(host, Body);
        var events = WireSamples.AnthropicStream
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e + "\n\n")
            .ToArray();
        Upstream.Then(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(string.Concat(events[..4]));
            await context.Response.Body.FlushAsync();
            await Task.Delay(3000);
            await context.Response.WriteAsync(string.Concat(events[4..]));
        });
        using var response = await host.PostAsync("/v1/messages", Body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WireSamples.AnthropicStream, await response.Content.ReadAsStringAsync());
        var trace = await Spans.SingleTraceAsync();
        Assert.Empty(trace.All(SpanNames.Failure));
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task AHeldRunStillWaitsForTheHeadersNoLongerThanTheDestinationsOwnActivityTimeout()
    {
        // The forwarder is given no activity timeout when the bodies are held: the relay keeps the destination's own
        // until the headers.
        Upstream.Then(Reply.Slow(TimeSpan.FromSeconds(30), WireSample));
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address }, ActivityTimeout = TimeSpan.FromSeconds(1.5) },
            guardrails: new[] { new WordGuardrail(GuardrailMode.DuringCall, "forbidden") });
        using var response = await host.PostAsync("/v1/messages",
            """{"model":"claude-sonnet-4","max_tokens":8,"stream":true,"messages":[]}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("timeout_error", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(
            "The upstream provider did not answer in time.",
            (await Spans.SingleTraceAsync()).Single(SpanNames.Failure).StatusDescription);
        Spans.AssertAllEnded();
    }

    [Fact]
    public async Task APreCallBlockNeverReachesTheUpstream()
    {
        await using var host = await Host(null, new WordGuardrail(GuardrailMode.PreCall, "hi"));
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(Upstream.Received);
    }

    [Fact]
    public async Task AnUpstreamErrorIsRelayedWhenTheDuringCallGuardrailItStoppedReportsItsStopAsAFailureOfItsOwn()
    {
        // The upstream's 400 ends the call: the during-call guardrail, still running, is stopped, not
        // waited for. A guardrail that wraps whatever its backend threw (its cancellation included) then
        // fails because of that stop: the stop is the pipeline's, so the client still gets the upstream's
        // answer, not a 500 of the guardrail's.
        const string Answer =
            """{"error":{"message":"Unsupported parameter","type":"invalid_request_error","code":"bad_param"}}""";
        Upstream.Then(Reply.Answer(400, Answer));
        var guardrail = new GuardrailThatWrapsItsFailures();
        await using var host = await Host(null, guardrail);
        using var response = await host.PostAsync("/v1/chat/completions", ChatBody);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(Answer, await response.Content.ReadAsStringAsync());
        var trace = await Spans.SingleTraceAsync();
        Assert.Equal("400", trace.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        Assert.Single(trace.All(SpanNames.Guardrail));
        Spans.AssertAllEnded();
    }

    /// <summary>
    /// Relays <paramref name="stream"/> to a chat stream request, checked incrementally every 10 bytes by
    /// <paramref name="guardrail"/>, its events apart in time as a model's tokens come (each arrives in a read
    /// of its own); the answer's status asserted 200 (the stream started), its body returned.
    /// </summary>
    private async Task<string> CheckedIncrementallyAsync(string stream, ILlmGuardrail guardrail)
    {
        Upstream.Then(Reply.Stream(stream, delayMs: 50));
        await using var host = await Host(
            options =>
            {
                options.PostCallGuardrails = RelayPostCallGuardrails.Incremental;
                options.IncrementalCheckBytes = 10;
            },
            guardrail);
        using var response = await host.PostAsync("/v1/chat/completions", ChatStreamBody);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>
    /// A chat stream of six text chunks (<paramref name="word"/> of each index), then the finish and <c>[DONE]</c>.
    /// </summary>
    private static string ChunkStream(Func<int, string> word) =>
        string.Concat(
            Enumerable
                .Range(0, 6)
                .Select(i =>
                    $"data: "
                    + $"{{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":0,"
                    + $"\"delta\":{{\"content\":\"{word(i)} \"}},\"finish_reason\":null}}]}}\n\n"))
        + "data: "
            + "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,"
            + "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

    /// <summary>The request's one trace: no failure span, the server span's status, every span ended.</summary>
    private async Task AssertAnsweredWithoutFailureAsync(int status)
    {
        var trace = await Spans.SingleTraceAsync();
        Assert.Empty(trace.All(SpanNames.Failure));
        Assert.Equal(status, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Spans.AssertAllEnded();
    }

    /// <summary>
    /// Requests without pauses, until one is whole (at most three), their spans then cleared: a measured
    /// request's waits are the upstream's, not the first request's compilation, which on a loaded machine
    /// can itself outlast a timeout of a second or two.
    /// </summary>
    private async Task WarmAsync(RelayHost host, string body)
    {
        for (var sent = 1; ; sent++)
        {
            using var response = await host.PostAsync("/v1/messages", body);
            var whole = await response.Content.ReadAsStringAsync() == WireSamples.AnthropicStream;
            await Spans.WaitForAsync(stopped =>
                stopped.Count(s => s.DisplayName == SpanNames.Server) == sent ? stopped : null);
            if (whole || sent == 3)
            {
                break;
            }
        }

        Spans.Clear();
    }

    private Task<RelayHost> Host(Action<LlmRelayOptions>? relay, params ILlmGuardrail[] guardrails) =>
        RelayHost.StartAsync(new RelayUpstreams { Addresses = new[] { Upstream.Address } }, relay, guardrails);

    /// <summary>
    /// A during-call guardrail whose backend call never ends on its own, and which reports anything its
    /// backend threw, a cancellation included, as its own failure (as a wrapping client library does).
    /// </summary>
    private sealed class GuardrailThatWrapsItsFailures : ILlmGuardrail
    {
        public string Name => "wrapping";

        public GuardrailMode Modes => GuardrailMode.DuringCall;

        public async ValueTask<GuardrailVerdict> CheckAsync(
            GuardrailContext context,
            CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return GuardrailVerdict.Allow;
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException("The moderation backend failed.", exception);
            }
        }
    }

    /// <summary>A guardrail that breaks (throws, not blocks) once the text it checks contains <c>word</c>.</summary>
    private sealed class ThrowingGuardrail(GuardrailMode modes, string word) : ILlmGuardrail
    {
        public string Name => "throwing";

        public GuardrailMode Modes => modes;

        public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken) =>
            context.Response is LlmRelayResult { Text: { } text } && text.Contains(word, StringComparison.Ordinal)
                ? throw new InvalidOperationException("The moderation backend broke.")
                : ValueTask.FromResult(GuardrailVerdict.Allow);
    }

    /// <summary>A during-call guardrail that blocks a little after the upstream has finished its stream.</summary>
    private sealed class LateGuardrail : ILlmGuardrail
    {
        public string Name => "late";

        public GuardrailMode Modes => GuardrailMode.DuringCall;

        public async ValueTask<GuardrailVerdict> CheckAsync(
            GuardrailContext context,
            CancellationToken cancellationToken)
        {
            await Task.Delay(700, cancellationToken);
            return GuardrailVerdict.Block("Too late.");
        }
    }
}
