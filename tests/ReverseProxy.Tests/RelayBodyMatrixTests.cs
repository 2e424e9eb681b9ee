using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using TracedLlm.Telemetry;
using TracedLlm.Tests;
using static TracedLlm.Tests.UpstreamStub;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>How the relay holds a stream's body (docs/relay.md, "Post-call guardrails").</summary>
public enum RelayBodyMode
{
    /// <summary>No guardrail runs after the call: the bytes go on as they come.</summary>
    Pass,

    /// <summary>
    /// Incremental post-call checks: event by event, an unfinished event and the terminal one held back.
    /// </summary>
    HoldBack,

    /// <summary>Post-call checks on the whole answer: nothing goes on before the body ended.</summary>
    Buffer,
}

/// <summary>What an event stream sent before its connection was cut.</summary>
public enum RelayedShape
{
    /// <summary>Its first events, whole.</summary>
    Events,

    /// <summary>Its first event and part of the next.</summary>
    MidEvent,

    /// <summary>Its first events in gzip, the coding's first blocks flushed but not finished.</summary>
    Gzip,

    /// <summary>Comments only (an upstream's keep-alive), no event.</summary>
    CommentsOnly,

    /// <summary>Its status and headers, no byte of body.</summary>
    Nothing,
}

/// <summary>What the client gets once the cut stream fails the request.</summary>
public enum RelayedAnswer
{
    /// <summary>The gateway's own JSON error, 502: nothing had gone on.</summary>
    Json,

    /// <summary>What went on, then an error event in the route's format.</summary>
    ErrorEvent,

    /// <summary>
    /// What went on, then the connection is cut: no event can follow those bytes (coded, or ending inside an event).
    /// </summary>
    Cut,
}

/// <summary>
/// The failure contract for the relay's bodies (docs/relay.md, "When an upstream fails"), as a matrix:
/// every way the relay holds a body × every shape of what a stream had sent when it was cut × both wire
/// formats. Each cell checks the answer the rules give (a JSON 502 when nothing went on; else the bytes that
/// went on, then an error event, or a cut when no event may follow them), that those bytes are exactly the
/// ones the mode lets through, one <c>Failed Proxy Server Request</c> span with the upstream's failure, the
/// attempt failed, every span ended, and that the next request is whole.
/// </summary>
public sealed class RelayBodyMatrixTests : RelayTestBase
{
    private const string ChatStreamBody =
        """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string MessagesStreamBody =
        """{"model":"claude-sonnet-4","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string Comments = ": processing\n\n: processing\n\n";

    public static IEnumerable<object[]> Cells =>
        from mode in Enum.GetValues<RelayBodyMode>()
        from shape in Enum.GetValues<RelayedShape>()
        from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
        select new object[] { mode, shape, format };

    [Fact]
    public void EveryModeAndShapeMeetsEachAnswerSomewhere()
    {
        var answers = Cells
            .Select(c =>
                Expected(
                    (RelayBodyMode)c[0],
                    (RelayedShape)c[1],
                    Sent((RelayedShape)c[1], WireSamples.ChatStream).Bytes).Answer)
            .ToHashSet();
        Assert.Equal(Enum.GetValues<RelayedAnswer>().ToHashSet(), answers);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell(RelayBodyMode mode, RelayedShape shape, WireFormat format)
    {
        var anthropic = format == WireFormat.Anthropic;
        var (reply, sentBytes) = Sent(shape, anthropic ? WireSamples.AnthropicStream : WireSamples.ChatStream);
        await using var host = await RelayHost.StartAsync(
            new RelayUpstreams { Addresses = new[] { Upstream.Address } },
            mode switch
            {
                RelayBodyMode.HoldBack => options => options.PostCallGuardrails = RelayPostCallGuardrails.Incremental,
                RelayBodyMode.Buffer => options => options.PostCallGuardrails = RelayPostCallGuardrails.Buffer,
                _ => null,
            },
            mode == RelayBodyMode.Pass ? null : new[] { new WordGuardrail(GuardrailMode.PostCall, "never said") });
        var path = anthropic ? "/v1/messages" : "/v1/chat/completions";
        var body = anthropic ? MessagesStreamBody : ChatStreamBody;

        // A whole request first: the cut below must find the relay's code compiled, not still starting, when it
        // comes (a reset discards what the gateway has not read yet).
        using (var warm = await host.PostAsync(path, body))
        {
            Assert.Equal(
                anthropic ? WireSamples.AnthropicStream : WireSamples.ChatStream,
                await warm.Content.ReadAsStringAsync());
        }

        await Spans.SingleTraceAsync();
        Spans.Clear();
        var upstreamCalls = Upstream.Received.Count;

        Upstream.Then(reply);
        using var response = await host.PostAsync(path, body);
        var (answer, released) = Expected(mode, shape, sentBytes);
        switch (answer)
        {
            case RelayedAnswer.Json:
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                using (var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
                {
                    AssertTruncated(json.RootElement, anthropic);
                }

                break;
            case RelayedAnswer.ErrorEvent:
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var text = await response.Content.ReadAsStringAsync();
                var before = Encoding.UTF8.GetString(sentBytes[..released]);
                Assert.StartsWith(before, text, StringComparison.Ordinal);
                var error = text[before.Length..];
                Assert.StartsWith(anthropic ? "event: error\ndata: " : "data: ", error, StringComparison.Ordinal);
                Assert.EndsWith("\n\n", error, StringComparison.Ordinal);
                using (var json = JsonDocument.Parse(
                        error[(error.IndexOf("data: ", StringComparison.Ordinal) + 6)..].TrimEnd('\n')))
                {
                    AssertTruncated(json.RootElement, anthropic);
                }

                break;
            default:
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using (var stream = await response.Content.ReadAsStreamAsync())
                {
                    var received = new MemoryStream();
                    await Assert.ThrowsAnyAsync<IOException>(() => stream.CopyToAsync(received));
                    Assert.Equal(sentBytes[..released], received.ToArray());
                }

                break;
        }

        var trace = await Spans.SingleTraceAsync();
        var failure = trace.Single(SpanNames.Failure);
        Assert.Equal(typeof(UpstreamBadResponseException).FullName, failure.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(502, trace.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(ActivityStatusCode.Error, trace.Server.Status);
        Assert.Equal("failure", trace.Single(SpanNames.UpstreamAttempt).GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(upstreamCalls + 1, Upstream.Received.Count);
        Spans.AssertAllEnded();
        Spans.Clear();

        // The next request on the same host is whole, as the one before the fault was.
        using var next = await host.PostAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(
            anthropic ? WireSamples.AnthropicStream : WireSamples.ChatStream,
            await next.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The rules: a held body (Buffer; HoldBack only holds a body in no coding, so a coded one is held whole)
    /// lets nothing go before its end, HoldBack lets whole events go and holds an unfinished one, Pass lets every
    /// byte go as it comes. Nothing gone on: the gateway's JSON. Else an error event, unless the bytes gone on
    /// are coded or end inside an event: then a cut.
    /// </summary>
    private static (RelayedAnswer Answer, int Released) Expected(RelayBodyMode mode, RelayedShape shape, byte[] sent)
    {
        var held = mode == RelayBodyMode.Buffer || (mode == RelayBodyMode.HoldBack && shape == RelayedShape.Gzip);
        var released = held ? 0
            : mode == RelayBodyMode.HoldBack && shape == RelayedShape.MidEvent ? WholeEvents(sent)
            : sent.Length;
        return released == 0 ? (RelayedAnswer.Json, 0)
            : mode == RelayBodyMode.Pass && shape is RelayedShape.MidEvent or RelayedShape.Gzip
                ? (RelayedAnswer.Cut, released)
            : (RelayedAnswer.ErrorEvent, released);
    }

    private static void AssertTruncated(JsonElement root, bool anthropic)
    {
        var error = root.GetProperty("error");
        Assert.True(
            error
                .GetProperty("message")
                .GetString()!
                .Contains("response was cut off before its end.", StringComparison.Ordinal),
            root.ToString());
        if (anthropic)
        {
            Assert.Equal("error", root.GetProperty("type").GetString());
            Assert.Equal("api_error", error.GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal("upstream_response_truncated", error.GetProperty("code").GetString());
        }
    }

    /// <summary>The upstream's reply for a shape, and the bytes it sends before the cut.</summary>
    private static (UpstreamReply Reply, byte[] Bytes) Sent(RelayedShape shape, string stream)
    {
        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e + "\n\n").ToArray();
        switch (shape)
        {
            case RelayedShape.Nothing:
                // Its headers flushed and read, then the cut.
                return (Reply.CutAfter(Array.Empty<byte>(), "text/event-stream"), Array.Empty<byte>());
            case RelayedShape.Gzip:
                using (var compressed = new MemoryStream())
                {
                    using var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true);
                    gzip.Write(Encoding.UTF8.GetBytes(events[0] + events[1]));
                    gzip.Flush();
                    var coded = compressed.ToArray();
                    return (Reply.CutAfter(coded, "text/event-stream", "gzip"), coded);
                }

            default:
                var text = shape switch
                {
                    RelayedShape.Events => events[0] + events[1],
                    RelayedShape.MidEvent => events[0] + events[1][..30],
                    _ => Comments,
                };
                var bytes = Encoding.UTF8.GetBytes(text);
                return (Reply.CutAfter(bytes, "text/event-stream"), bytes);
        }
    }

    // The bytes of the whole events at the start of a stream.
    private static int WholeEvents(byte[] sent) =>
        Encoding.UTF8.GetString(sent).LastIndexOf("\n\n", StringComparison.Ordinal) + 2;
}
