using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// What the client saw: the status line, content type and the body read (all of it, or what came
/// before the client left); <see cref="Left"/> when the client went away, <see cref="Error"/> when
/// its connection broke under it without its leaving; the <c>Retry-After</c> it was told.
/// </summary>
public sealed record ClientView(
    int Status,
    string? ContentType,
    string Body,
    bool Left = false,
    Exception? Error = null,
    string? RetryAfter = null);

/// <summary>How a fault-matrix client behaves.</summary>
public enum ClientLeaves
{
    /// <summary>Reads the whole answer.</summary>
    Never,

    /// <summary>Leaves once a component waits, before any answer (a disconnect cell).</summary>
    WhenWaitingBeforeResponse,

    /// <summary>
    /// Reads the first event, then leaves once a component waits (a disconnect cell in a started stream).
    /// </summary>
    WhenWaitingAfterFirstEvent,

    /// <summary>Reads the whole (error) answer, then leaves while the failure logger waits.</summary>
    WhenWaitingAfterWholeAnswer,

    /// <summary>Leaves at a given moment after the request reached the server, whatever it read by then.</summary>
    AtMoment,

    /// <summary>Sends half its body, then leaves at a given moment after the request reached the server.</summary>
    WhileSending,
}

/// <summary>
/// The fault matrix's client: one request of a run, sent and read as <see cref="ClientLeaves"/> says.
/// </summary>
internal static class FaultClient
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A client whose dropped responses close their connections (no draining), for clients that leave.
    /// </summary>
    public static HttpClient Create(string address, int connections = int.MaxValue) =>
        new(new SocketsHttpHandler
        {
            MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero, MaxConnectionsPerServer = connections
        })
        {
            BaseAddress = new Uri(address),
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>How the client of a cell's request behaves (a healthy request's reads everything).</summary>
    public static ClientLeaves LeavesFor(FaultCell? cell) => cell switch
    {
        { Fault: Fault.DisconnectBeforeResponse } => ClientLeaves.WhenWaitingBeforeResponse,
        { Fault: Fault.DisconnectAfterResponseStarted, Site: FaultSite.FailureLogger } =>
            ClientLeaves.WhenWaitingAfterWholeAnswer,
        { Fault: Fault.DisconnectAfterResponseStarted } => ClientLeaves.WhenWaitingAfterFirstEvent,
        _ => ClientLeaves.Never,
    };

    /// <summary>
    /// A request of the fault matrix: to the typed route, or to the relay route (path + <c>/relay</c>) or the
    /// controller's (path + <c>/mvc</c>) of the same format.
    /// </summary>
    public static HttpRequestMessage Request(
        string prefix, WireFormat format, bool stream, FaultRun? run = null, RouteKind route = RouteKind.Typed)
    {
        var streamJson = stream ? "true" : "false";
        var (path, body) = format == WireFormat.Anthropic
            ? ("/v1/messages",
                $$"""{"model":"claude","max_tokens":64,"stream":{{streamJson}},"messages":"""
                + """[{"role":"user","content":"fault matrix"}]}""")
            : ("/v1/chat/completions",
                $$"""{"model":"gpt","stream":{{streamJson}},"messages":[{"role":"user","content":"fault matrix"}]}""");
        var suffix = route switch
        {
            RouteKind.Relay => "/relay",
            RouteKind.Controller => "/mvc",
            RouteKind.Host => "/host",
            _ => string.Empty,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, prefix + path + suffix)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json")
        };
        request.Headers.Authorization =
            new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", FaultMatrixHost.ApiKey);
        if (run is not null)
        {
            request.Headers.Add(FaultPlan.Header, run.Id);
        }

        return request;
    }

    /// <summary>
    /// Sends the request and reads its answer as <paramref name="leaves"/> says; <paramref name="moment"/> is when an
    /// <see cref="ClientLeaves.AtMoment"/> client leaves.
    /// </summary>
    public static async Task<ClientView> RunAsync(
        HttpClient client, HttpRequestMessage request, FaultRun run, ClientLeaves leaves, TimeSpan moment = default)
    {
        using var leave = new CancellationTokenSource();
        if (leaves == ClientLeaves.WhileSending)
        {
            request.Content = new HalfSentContent(
                await request.Content!.ReadAsByteArrayAsync(), request.Content.Headers.ContentType);
        }

        var body = new StringBuilder();
        (int Status, string? ContentType) head = (0, null);
        string? retryAfter = null;
        try
        {
            var send = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
            switch (leaves)
            {
                case ClientLeaves.WhenWaitingBeforeResponse:
                    // In a pair another component may answer first: then this client reads it.
                    if (await Task.WhenAny(send, run.Waiting.Task).WaitAsync(Generous) != send)
                    {
                        leave.Cancel();
                        await IgnoreCancellationAsync(send);
                        return new ClientView(0, null, string.Empty, Left: true);
                    }

                    break;
                case ClientLeaves.AtMoment or ClientLeaves.WhileSending:
                    await run.Arrived.Task.WaitAsync(Generous);
                    leave.CancelAfter(moment);
                    break;
            }

            using var response = await send;
            head = ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType);
            retryAfter = response.Headers.RetryAfter?.ToString();
            await using var stream = await response.Content.ReadAsStreamAsync(leave.Token);
            var streamStarted = head is (200, "text/event-stream");
            if (leaves == ClientLeaves.WhenWaitingAfterFirstEvent && streamStarted)
            {
                await ReadAsync(stream, body, untilEvent: true, leave.Token);

                // With no draining allowed, dropping an unfinished response closes its connection.
                if (await Task.WhenAny(run.Waiting.Task, run.Finished.Task).WaitAsync(Generous) == run.Waiting.Task)
                {
                    return new ClientView(head.Status, head.ContentType, body.ToString(), Left: true);
                }
            }

            await ReadAsync(stream, body, untilEvent: false, leave.Token);
            if (leaves == ClientLeaves.WhenWaitingAfterWholeAnswer)
            {
                await run.Waiting.Task.WaitAsync(Generous);
            }

            return new ClientView(
                head.Status, head.ContentType, body.ToString(), RetryAfter: response.Headers.RetryAfter?.ToString());
        }
        catch (OperationCanceledException) when (leave.IsCancellationRequested)
        {
            // What it read of a stream up to its last whole event (the one it was reading is cut).
            var text = body.ToString();
            var end = text.LastIndexOf("\n\n", StringComparison.Ordinal);
            var whole = head.ContentType != "text/event-stream" ? text : end < 0 ? string.Empty : text[..(end + 2)];
            return new ClientView(head.Status, head.ContentType, whole, Left: true);
        }
        catch (Exception broken) when (broken is HttpRequestException or IOException)
        {
            return new ClientView(head.Status, head.ContentType, body.ToString(), Error: broken);
        }
    }

    /// <summary>
    /// A body that declares its whole length, sends half of it, and then waits until its client leaves.
    /// </summary>
    private sealed class HalfSentContent : HttpContent
    {
        private readonly byte[] _body;

        public HalfSentContent(byte[] body, System.Net.Http.Headers.MediaTypeHeaderValue? contentType)
        {
            _body = body;
            Headers.ContentType = contentType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(
            Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_body.AsMemory(0, _body.Length / 2), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }

    private static async Task IgnoreCancellationAsync(Task<HttpResponseMessage> send)
    {
        try
        {
            (await send).Dispose();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads the body to its end, or up to the end of one server-sent event.</summary>
    private static async Task ReadAsync(Stream body, StringBuilder text, bool untilEvent, CancellationToken leave)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var buffer = new byte[untilEvent ? 1 : 4096];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(leave);
        patience.CancelAfter(Generous);
        int read;
        while ((read = await body.ReadAsync(buffer, patience.Token)) > 0)
        {
            text.Append(chars, 0, decoder.GetChars(buffer, 0, read, chars, 0));
            if (untilEvent && text.Length >= 2 && text[^1] == '\n' && text[^2] == '\n')
            {
                return;
            }
        }
    }
}

/// <summary>
/// The fault matrix's contract for one request, shared by the single-cell matrix, the timed cells
/// and the load mode: the answer in the route's wire format, the span tree, the failure loggers.
/// </summary>
internal static class FaultContract
{
    private static readonly string RepositoryRoot = FailurePathRegressionTests.RepositoryRoot();

    /// <summary>Everything a failed request must show, given the outcome it must have.</summary>
    /// <param name="decider">The cell whose fault decided the outcome.</param>
    /// <param name="loggerFails">Whether the faulty failure logger fails (its failure is an event on the failure
    /// span).</param>
    public static void AssertFailed(
        FaultCell decider,
        Expected expected,
        ClientView client,
        RequestRecord server,
        IReadOnlyList<Activity> spans,
        IReadOnlyCollection<FailureContext> logged,
        int faultyLoggerCalls,
        bool loggerFails)
    {
        Assert.Null(server.Escaped);
        AssertAnswer(decider, expected, client, server);
        AssertSpans(decider, expected, spans, loggerFails);
        AssertLoggedOnce(decider, expected, logged, faultyLoggerCalls);
    }

    /// <summary>The answer the client got (and that nothing reached a client that had left).</summary>
    public static void AssertAnswer(FaultCell cell, Expected expected, ClientView client, RequestRecord server)
    {
        Assert.True(client.Error is null, $"the connection broke under a client that stayed: {client.Error}");
        switch (expected.Answer)
        {
            case Answer.Nothing when cell.Fault == Fault.DisconnectBeforeResponse:
                Assert.False(server.Started, "something was written to a client that had left");
                break;
            case Answer.Nothing:
                // The stream had started: what the client read before leaving is a valid event.
                Assert.Equal(200, client.Status);
                Assert.Equal("text/event-stream", client.ContentType);
                Assert.DoesNotContain(
                    "error", StreamingTests.ParseEvents(client.Body).Single().Data, StringComparison.Ordinal);
                break;
            case Answer.Json:
                Assert.Equal(expected.Status, client.Status);
                Assert.Equal("application/json", client.ContentType);
                AssertErrorBody(client.Body, cell.Format, expected);
                break;
            case Answer.ErrorResultsOwn when cell.Site == FaultSite.Upstream:
                // The upstream's answer as it came: its status, body and Retry-After, never the gateway's error JSON.
                Assert.Equal(expected.Status, client.Status);
                Assert.Equal("application/json", client.ContentType);
                Assert.Equal(FaultCell.UpstreamErrorBody, client.Body);
                Assert.Equal(FaultCell.UpstreamRetryAfter, client.RetryAfter);
                break;
            case Answer.ErrorResultsOwn:
            {
                // The handler's own problem details, whatever the route's wire format.
                Assert.Equal(expected.Status, client.Status);
                Assert.Equal("application/problem+json", client.ContentType);
                using var problem = ParseJson(client.Body);
                Assert.Equal(FaultCell.ProblemTitle, problem.RootElement.GetProperty("title").GetString());
                Assert.Equal(expected.Status, problem.RootElement.GetProperty("status").GetInt32());
                Assert.False(
                    problem.RootElement.TryGetProperty("error", out _),
                    "the gateway wrote its own error over the handler's");
                break;
            }

            case Answer.Problem:
            {
                // The pipeline's own error in ASP.NET Core's shape: its status, message and code as problem details.
                Assert.Equal(expected.Status, client.Status);
                Assert.Equal("application/problem+json", client.ContentType);
                AssertNoLeak(client.Body);
                using var problem = ParseJson(client.Body);
                Assert.Equal(expected.Status, problem.RootElement.GetProperty("status").GetInt32());
                Assert.Equal(expected.Message, problem.RootElement.GetProperty("detail").GetString());
                var code = problem.RootElement.TryGetProperty("code", out var written) ? written.GetString() : null;
                Assert.Equal(expected.Code, code);
                break;
            }

            case Answer.AppsOwn:
            {
                // The app's exception handler's problem details, never the gateway's error JSON, and nothing of the
                // exception.
                Assert.Equal(expected.Status, client.Status);
                Assert.Equal("application/problem+json", client.ContentType);
                using var problem = ParseJson(client.Body);
                Assert.Equal(expected.Status, problem.RootElement.GetProperty("status").GetInt32());
                Assert.False(
                    problem.RootElement.TryGetProperty("error", out _),
                    "the gateway wrote its own error over the app's");
                foreach (var leak in new[] { "fault injected", "secret", " at " })
                {
                    Assert.DoesNotContain(leak, client.Body, StringComparison.OrdinalIgnoreCase);
                }

                break;
            }

            case Answer.StreamErrorEvent:
                Assert.Equal(200, client.Status);
                Assert.Equal("text/event-stream", client.ContentType);
                var events = StreamingTests.ParseEvents(client.Body);
                Assert.True(events.Count >= 2, "the stream had no chunk before its error event");
                var error = events[^1];
                Assert.Equal(cell.Format == WireFormat.Anthropic ? "error" : null, error.Name);
                AssertErrorBody(error.Data, cell.Format, expected);

                // Never a terminal event: not before the error (it is held back), not after it.
                Assert.DoesNotContain(events, e => e.Data == "[DONE]" || e.Name == "message_stop");
                Assert.All(events.SkipLast(1), e => Assert.NotEqual("error", e.Name));
                break;
        }
    }

    /// <summary>
    /// A request's failure, recorded once: every span ended, one failure span and the LLM span with
    /// <paramref name="errorType"/>, the server span in Error with the status and message. Returns the LLM span.
    /// </summary>
    public static Activity AssertOneFailure(
        SpanCollector spans, Activity server, int status, string errorType, string message)
    {
        spans.AssertAllEnded();
        var failed = Assert.Single(spans.Stopped, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(errorType, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        Assert.Equal(message, server.StatusDescription);
        Assert.Equal(status, server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        var llm = Assert.Single(
            spans.Stopped, s => s.GetTagItem(AttributeNames.LangfuseObservationType) is "generation");
        Assert.Equal(ActivityStatusCode.Error, llm.Status);
        Assert.Equal(errorType, llm.GetTagItem(AttributeNames.ErrorType));
        return llm;
    }

    /// <summary>
    /// The error JSON of the route's format: the documented message, type and code; never HTML, a type name, a stack
    /// trace or a path.
    /// </summary>
    public static void AssertErrorBody(string body, WireFormat format, Expected expected)
    {
        Assert.False(string.IsNullOrWhiteSpace(body), "empty error body");
        AssertNoLeak(body);

        using var json = ParseJson(body);
        var root = json.RootElement;
        var error = root.GetProperty("error");
        Assert.Equal(expected.Message, error.GetProperty("message").GetString());
        Assert.Equal(ErrorTypeOf(expected.Status), error.GetProperty("type").GetString());
        if (format == WireFormat.Anthropic)
        {
            Assert.Equal("error", root.GetProperty("type").GetString());
        }
        else
        {
            Assert.Equal(expected.Code, error.GetProperty("code").GetString());
        }
    }

    /// <summary>Never HTML, a type name, a stack trace, a path, a secret or the injected exception's message.</summary>
    private static void AssertNoLeak(string body)
    {
        var leaks = new[] { "Exception", "System.", "TracedLlm.", " at ", "<html", "secret", ".cs", "fault injected" };
        foreach (var leak in leaks)
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// One request's spans: ended inside their parents, the server span and one failure span with the outcome, a
    /// block's guardrail span.
    /// </summary>
    /// <param name="blocks">How many guardrails of the request may block (a pair's two may both have blocked, each with
    /// its span).</param>
    public static void AssertSpans(
        FaultCell cell, Expected expected, IReadOnlyList<Activity> spans, bool loggerFails, int blocks = 1)
    {
        var server = Assert.Single(spans, s => s.DisplayName == SpanNames.Server);
        AssertAllEnded(spans);
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        Assert.Equal(expected.Message, server.StatusDescription);
        Assert.Equal(expected.Status, server.GetTagItem(AttributeNames.HttpResponseStatusCode));

        var failed = Assert.Single(spans, s => s.DisplayName == SpanNames.Failure);
        Assert.Equal(server.SpanId, failed.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(expected.Message, failed.StatusDescription);
        Assert.Equal(expected.ErrorType, failed.GetTagItem(AttributeNames.ErrorType));
        Assert.Equal(loggerFails, failed.Events.Any(e => e.Name == AttributeNames.FailureLoggerErrorEvent));
        if (cell is { Fault: Fault.ErrorResult, Site: FaultSite.AppFilter })
        {
            // A filter answered before the action: refused on proxy_pre_call, no LLM call made, nothing thrown.
            Assert.DoesNotContain(
                spans, s => (string?)s.GetTagItem(AttributeNames.LangfuseObservationType) == "generation");
            var preCall = Assert.Single(spans, s => s.DisplayName == SpanNames.PreCall);
            Assert.Equal(ActivityStatusCode.Error, preCall.Status);
            Assert.All(
                new[] { server, preCall, failed }, s => Assert.DoesNotContain(s.Events, e => e.Name == "exception"));
        }
        else if (cell.Fault == Fault.ErrorResult && expected.Answer == Answer.ErrorResultsOwn)
        {
            // Answered, not thrown: the LLM call it answered for is in error too, and the spans the failure path marks
            // have no exception event for it.
            // Named litellm_request, or "{operation} {model}" in the latest mode.
            var llm = Assert.Single(
                spans, s => (string?)s.GetTagItem(AttributeNames.LangfuseObservationType) == "generation");
            Assert.Equal(ActivityStatusCode.Error, llm.Status);
            Assert.Equal(expected.ErrorType, llm.GetTagItem(AttributeNames.ErrorType));
            Assert.All(new[] { server, llm, failed }, s => Assert.DoesNotContain(s.Events, e => e.Name == "exception"));
        }

        if ((cell.Fault == Fault.Block && cell.Site != FaultSite.Authenticator) || cell.Site == FaultSite.FailureLogger)
        {
            // A block always has its guardrail span, recorded where it was decided or by the failure path.
            var intervened = spans
                .Where(s => s.DisplayName == SpanNames.Guardrail
                    && (string?)s.GetTagItem(AttributeNames.GuardrailStatus) == GuardrailStatuses.Intervened)
                .ToList();
            Assert.InRange(intervened.Count, 1, blocks);
            Assert.All(intervened, guardrail => Assert.Equal(ActivityStatusCode.Error, guardrail.Status));
        }

        // Stack traces keep file names and lines, never the build machine's directories.
        foreach (var tag in spans.SelectMany(s => s.Events).SelectMany(e => e.Tags))
        {
            Assert.DoesNotContain(RepositoryRoot, tag.Value?.ToString() ?? string.Empty, StringComparison.Ordinal);
        }
    }

    /// <summary>Each failure logger called once, with the outcome; the injected exception is the one logged.</summary>
    public static void AssertLoggedOnce(
        FaultCell cell, Expected expected, IReadOnlyCollection<FailureContext> logged, int faultyLoggerCalls)
    {
        var entry = Assert.Single(logged);
        Assert.Equal(expected.Status, entry.StatusCode);
        Assert.Equal(expected.ErrorType, entry.ErrorType);
        Assert.Equal(expected.Code, entry.ErrorCode);
        Assert.Equal(1, faultyLoggerCalls);
        if (cell.Fault is Fault.SyncThrow or Fault.AsyncThrow && cell.Site != FaultSite.FailureLogger)
        {
            Assert.IsType<FaultInjectedException>(entry.Exception);
        }

        if (cell.Fault == Fault.ErrorResult && expected.Answer == Answer.ErrorResultsOwn)
        {
            Assert.Equal(expected.Status, Assert.IsType<ErrorResultException>(entry.Exception).StatusCode);
        }
    }

    /// <summary>
    /// A request that did not fail: a whole answer (or, from a client that left, a part of one), no failure span, no
    /// logger call.
    /// </summary>
    public static void AssertHealthy(
        WireFormat format,
        bool stream,
        ClientView client,
        RequestRecord server,
        IReadOnlyList<Activity> spans,
        IReadOnlyCollection<FailureContext> logged,
        int faultyLoggerCalls)
    {
        Assert.Null(server.Escaped);
        Assert.True(client.Error is null, $"the connection broke under a client that stayed: {client.Error}");
        Assert.Empty(logged);
        Assert.Equal(0, faultyLoggerCalls);
        var serverSpan = Assert.Single(spans, s => s.DisplayName == SpanNames.Server);
        AssertAllEnded(spans);
        Assert.DoesNotContain(spans, s => s.DisplayName == SpanNames.Failure);
        Assert.NotEqual(ActivityStatusCode.Error, serverSpan.Status);
        Assert.Equal(200, serverSpan.GetTagItem(AttributeNames.HttpResponseStatusCode));
        if (client.Status == 0)
        {
            Assert.True(client.Left, "no answer to a client that stayed");
            return;
        }

        Assert.Equal(200, client.Status);
        if (stream)
        {
            var events = StreamingTests.ParseEvents(client.Body);
            Assert.DoesNotContain(
                events, e => e.Name == "error" || e.Data.Contains("\"error\"", StringComparison.Ordinal));
            if (!client.Left)
            {
                Assert.Equal(format == WireFormat.Anthropic ? "message_stop" : null, events[^1].Name);
                Assert.Equal(format == WireFormat.Anthropic, events[^1].Data != "[DONE]");
            }
        }
        else if (!client.Left)
        {
            Assert.Contains("Echo: fault matrix", client.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>Every span stopped, none outliving its parent.</summary>
    public static void AssertAllEnded(IReadOnlyList<Activity> spans) => SpanCollector.AssertAllEnded(spans);

    private static JsonDocument ParseJson(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException(
                $"the error body is not JSON: {(body.Length > 120 ? body[..120] + "…" : body)}");
        }
    }

    private static string ErrorTypeOf(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        504 => "timeout_error",
        _ => "api_error",
    };
}
