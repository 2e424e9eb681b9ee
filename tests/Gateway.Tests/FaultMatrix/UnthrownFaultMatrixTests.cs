using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using TracedLlm.Gateway.SeenRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// The fault matrix's failures that never throw (<see cref="UnthrownCell"/>, docs/reliability/fault-matrix.md).
/// </summary>
/// <remarks>
/// Each cell runs through a real Kestrel host and a real upstream on a loopback port, checked for the
/// answer (the route's error in its format, or the app's own answer unchanged), exactly one failure span
/// with the cell's <c>error.type</c>, the server and LLM spans in error, the last attempt failed, every
/// span ended, the failure loggers called once; and, per path, the same request healthy records no failure.
/// </remarks>
public sealed class UnthrownFaultMatrixTests : IClassFixture<SeenRoutesHost>
{
    private const string FirstChunk = UpstreamStub.FirstChunk + UpstreamStub.SecondChunk;

    private const string OpenAiErrorBody =
        """{"error":{"message":"The server is overloaded.","type":"server_error","code":null}}""";

    private const string AnthropicErrorBody =
        """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""";

    // Anthropic's stream, its message started and one text delta in: what comes before its end.
    private const string AnthropicStart = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","model":"claude-up","usage":{"input_tokens":5}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}


        """;

    private const string AnthropicEnd = """
        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    private const string AnthropicMessage = """
        {"id":"msg_1","type":"message","role":"assistant","model":"claude-up",
        "content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn",
        "usage":{"input_tokens":5,"output_tokens":3}}
        """;

    private const string Hello = """{"role":"user","content":"hello"}""";

    private readonly SeenRoutesHost _host;

    public UnthrownFaultMatrixTests(SeenRoutesHost host)
    {
        _host = host;
    }

    public static IEnumerable<object[]> Cells =>
        UnthrownCell.All.Select(c => new object[] { c.Fault, c.Path, c.Format, c.Stream });

    public static IEnumerable<object[]> Paths =>
        from path in Enum.GetValues<UnthrownPath>()
        from format in new[] { WireFormat.OpenAI, WireFormat.Anthropic }
        from stream in new[] { false, true }
        select new object[] { path, format, stream };

    [Fact]
    public void EveryCombinationIsACellOrSaysWhyItCannotExist()
    {
        var all = UnthrownCell.AllCombinations;
        Assert.Equal(Enum.GetValues<UnthrownFault>().Length * Enum.GetValues<UnthrownPath>().Length * 4, all.Count);
        Assert.All(all.Where(c => c.WhyNot is not null), c => Assert.False(string.IsNullOrWhiteSpace(c.WhyNot)));

        // Every way to fail and every path is a cell somewhere, in both formats; every path is checked healthy too.
        var cells = UnthrownCell.All.ToList();
        Assert.All(Enum.GetValues<UnthrownFault>(), fault => Assert.Contains(cells, c => c.Fault == fault));
        Assert.All(Enum.GetValues<UnthrownPath>(), path => Assert.Contains(cells, c => c.Path == path));
        Assert.Contains(cells, c => c is { Format: WireFormat.Anthropic, Stream: true, Path: not UnthrownPath.Relay });

        var root = FailurePathRegressionTests.RepositoryRoot();
        var docs = File.ReadAllText(Path.Combine(root, "docs", "reliability", "fault-matrix.md"));
        Assert.Contains($"{cells.Count} unthrown cells", docs, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell(UnthrownFault fault, UnthrownPath path, WireFormat format, bool stream)
    {
        var cell = new UnthrownCell(fault, path, format, stream);
        var expected = cell.Expected;
        _host.Logged.Clear();
        using var spans = new SpanCollector();
        _host.Upstream.Then(ReplyFor(cell));
        var client = await SendAsync(cell.Suffix, format, stream);

        var server = await spans.WaitForAsync(s => s.FirstOrDefault(x => x.DisplayName == SpanNames.Server));
        AssertAnswer(cell, expected, client);

        // The record: once, with the cause, every span ended.
        var llm = FaultContract.AssertOneFailure(spans, server, expected.Status, expected.ErrorType, expected.Message);
        var attempt = Attempts(spans).Last();
        Assert.Equal("failure", attempt.GetTagItem(AttributeNames.AttemptOutcome));
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
        if (expected.Answer == UnthrownAnswer.AppsOwn)
        {
            // Answered by hand: the cause's exception event is on the LLM span, as a thrown one's would be.
            var events = llm.Events.Where(e => e.Name == "exception");
            Assert.Contains(events, e => e.Tags.Contains(new("exception.type", expected.ErrorType)));
        }

        await _host.AssertLoggedOnceAsync(expected.Status, expected.ErrorType, expected.Code);
    }

    /// <summary>
    /// The same routes with an upstream that answers well: no failure, whatever the path (no false alarm).
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public async Task HealthyRequestRecordsNoFailure(UnthrownPath path, WireFormat format, bool stream)
    {
        var cell = new UnthrownCell(UnthrownFault.StreamCutBeforeEndMarker, path, format, stream);
        _host.Logged.Clear();
        using var spans = new SpanCollector();
        _host.Upstream.Then(HealthyReply(cell.UpstreamFormat, stream));
        var client = await SendAsync(cell.Suffix, format, stream);

        var server = await spans.WaitForAsync(s => s.FirstOrDefault(x => x.DisplayName == SpanNames.Server));
        Assert.True(client.Error is null, $"the connection broke: {client.Error}");
        Assert.Equal(200, client.Status);
        Assert.NotEqual(ActivityStatusCode.Error, server.Status);
        Assert.DoesNotContain(spans.Stopped, s => s.DisplayName == SpanNames.Failure);
        Assert.All(Attempts(spans), a => Assert.Equal("success", a.GetTagItem(AttributeNames.AttemptOutcome)));
        if (stream)
        {
            var events = StreamingTests.ParseEvents(client.Body);
            Assert.Equal(format == WireFormat.Anthropic ? "message_stop" : null, events[^1].Name);
            Assert.DoesNotContain(events, e => e.Name == "error");
        }

        spans.AssertAllEnded();
        Assert.Empty(_host.Logged);

        // Every path sends inside its attempts: outbound coverage finds no gap (an SDK stream, the forwarder).
        Assert.DoesNotContain(_host.Logs.Entries, e => e.Category == OutboundCoverageSink.LoggerCategory);
    }

    /// <summary>The same promise on MVC's actions.</summary>
    /// <remarks>
    /// An object the action answers after an error status is the pipeline's to write (the route's error
    /// JSON); a 502 the action writes by hand is kept, its cause recorded.
    /// </remarks>
    [Theory]
    [InlineData("/mvc-typed", UnthrownFault.FailingStatusAnswered200)]
    [InlineData("/mvc-forward", UnthrownFault.ForwarderErrorAnsweredByHand)]
    public async Task ActionCell(string suffix, UnthrownFault fault)
    {
        var path = fault == UnthrownFault.ForwarderErrorAnsweredByHand
            ? UnthrownPath.DirectForwarder
            : UnthrownPath.HttpClientAttempts;
        var cell = new UnthrownCell(fault, path, WireFormat.OpenAI, Stream: false);
        var expected = cell.Expected;
        _host.Logged.Clear();
        using var spans = new SpanCollector();
        _host.Upstream.Then(ReplyFor(cell));
        var client = await SendAsync(suffix, WireFormat.OpenAI, stream: false);

        var server = await spans.WaitForAsync(s => s.FirstOrDefault(x => x.DisplayName == SpanNames.Server));
        AssertAnswer(cell, expected, client);
        spans.AssertAllEnded();
        var failed = Assert.Single(spans.Stopped, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(expected.ErrorType, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(expected.Status, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal(expected.ErrorType, Generation(spans).GetTagItem(AttributeNames.ErrorType));
        await Eventually.HoldsAsync(() => !_host.Logged.IsEmpty, "the failure logger was called");
        Assert.Equal(expected.Status, Assert.Single(_host.Logged).StatusCode);
    }

    private static void AssertAnswer(UnthrownCell cell, UnthrownExpected expected, ClientView client)
    {
        var asExpected = new Expected(
            expected.Status, expected.Code, expected.ErrorType, expected.Message, Answer.Json);
        switch (expected.Answer)
        {
            case UnthrownAnswer.AppsOwn:
                Assert.Equal(502, client.Status);
                Assert.Equal(UnthrownRoutes.HandWritten502, client.Body);
                break;
            case UnthrownAnswer.Json:
                Assert.True(client.Error is null, $"the connection broke: {client.Error}");
                Assert.Equal(expected.Status, client.Status);
                FaultContract.AssertErrorBody(client.Body, cell.Format, asExpected);
                break;
            case UnthrownAnswer.StreamErrorEvent or UnthrownAnswer.RelayedThenErrorEvent:
            {
                Assert.True(client.Error is null, $"the connection broke: {client.Error}");
                Assert.Equal(200, client.Status);
                var events = StreamingTests.ParseEvents(client.Body);
                Assert.True(events.Count >= 2, "the stream had nothing before its error event");
                Assert.Equal(cell.Format == WireFormat.Anthropic ? "error" : null, events[^1].Name);
                FaultContract.AssertErrorBody(events[^1].Data, cell.Format, asExpected);
                Assert.DoesNotContain(events, e => e.Data == "[DONE]" || e.Name == "message_stop");
                if (expected.Answer == UnthrownAnswer.StreamErrorEvent)
                {
                    // The pipeline wrote the stream: nothing of the upstream's error came before its own.
                    Assert.All(events.SkipLast(1), e => Assert.NotEqual("error", e.Name));
                }

                break;
            }

            case UnthrownAnswer.RelayedAsItCame:
                // Past its first byte a relayed body that is not an event stream is cut, so that no client takes it for
                // a whole one.
                var asItCame = client.Status == 200 && client.Body == ErrorBody(cell.Format);
                Assert.True(client.Error is not null || asItCame, $"neither cut nor as it came: {client.Status}");
                break;
        }
    }

    private static string ErrorBody(WireFormat format) =>
        format == WireFormat.Anthropic ? AnthropicErrorBody : OpenAiErrorBody;

    private static Activity Generation(SpanCollector spans) =>
        Assert.Single(spans.Stopped, s => s.GetTagItem(AttributeNames.LangfuseObservationType) is "generation");

    private static IEnumerable<Activity> Attempts(SpanCollector spans) =>
        spans.Stopped.Where(s => s.DisplayName == SpanNames.UpstreamAttempt).OrderBy(s => s.StartTimeUtc);

    /// <summary>The upstream's misbehaviour for the cell, in the upstream's format.</summary>
    internal static UpstreamReply ReplyFor(UnthrownCell cell)
    {
        var anthropic = cell.UpstreamFormat == WireFormat.Anthropic;
        return cell.Fault switch
        {
            // The request arrives, and the connection is cut before any answer: the forwarder reports Request.
            UnthrownFault.ForwarderErrorAnsweredByHand => static (_, context, _) =>
            {
                context.Abort();
                return Task.CompletedTask;
            },
            UnthrownFault.FailingStatusAnswered200 =>
                UpstreamStub.Reply.Answer(500, """{"error":{"message":"upstream broke","type":"server_error"}}"""),
            UnthrownFault.StreamCutBeforeEndMarker =>
                UpstreamStub.Reply.Stream(anthropic ? AnthropicStart : FirstChunk),
            UnthrownFault.ErrorEventMidStream when cell.Stream => UpstreamStub.Reply.Stream(anthropic
                ? AnthropicStart + "event: error\ndata: " + AnthropicErrorBody + "\n\n"
                : FirstChunk + "data: " + OpenAiErrorBody + "\n\n"),
            _ => UpstreamStub.Reply.Answer(200, ErrorBody(cell.UpstreamFormat)),
        };
    }

    internal static UpstreamReply HealthyReply(WireFormat upstreamFormat, bool stream) =>
        (upstreamFormat, stream) switch
    {
        (WireFormat.Anthropic, true) => UpstreamStub.Reply.Stream(AnthropicStart + AnthropicEnd),
        (WireFormat.Anthropic, false) => UpstreamStub.Reply.Answer(200, AnthropicMessage),
        _ => UpstreamStub.Reply.Status(200),
    };

    private async Task<ClientView> SendAsync(string suffix, WireFormat format, bool stream)
    {
        using var client = FaultClient.Create(_host.Address);
        var streamJson = stream ? "true" : "false";
        var (path, body) = format == WireFormat.Anthropic
            ? ("/v1/messages", $$"""{"model":"claude","max_tokens":9,"stream":{{streamJson}},"messages":[{{Hello}}]}""")
            : ("/v1/chat/completions", $$"""{"model":"gpt","stream":{{streamJson}},"messages":[{{Hello}}]}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, path + suffix);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await FaultClient.RunAsync(client, request, new FaultRun(Array.Empty<FaultCell>()), ClientLeaves.Never);
    }
}
