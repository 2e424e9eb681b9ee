using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Tests;

/// <summary>How the stub answers one call: a status, a body, or one of the ways a real upstream misbehaves.</summary>
internal delegate Task UpstreamReply(UpstreamStub stub, HttpContext context, bool streaming);

/// <summary>
/// A request as the stub received it (its headers copied: the request's collection is reused once it ends).
/// </summary>
internal sealed record UpstreamRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The W3C <c>traceparent</c> it carried (empty when none).</summary>
    public string? Traceparent => Headers.TryGetValue("traceparent", out var traceparent) ? traceparent : string.Empty;

    public void Deconstruct(out string body, out string? traceparent) => (body, traceparent) = (Body, Traceparent);
}

/// <summary>
/// A provider on a real loopback port, for the gateway's and the relay's tests: it records every
/// request and answers the next ones as <see cref="Then"/> scripted them, else with its replies in
/// turn (the last one from then on). Its default replies are an OpenAI-compatible chat completion,
/// or its stream when the body asks for one.
/// </summary>
internal sealed class UpstreamStub : IAsyncDisposable
{
    // OpenAI's streamed shape with stream_options.include_usage: the finish reason on the last text
    // chunk, then the usage on a chunk of its own with no choices, then [DONE].
    public const string FirstChunk =
        "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"role\":\"assistant\",\"content\":\"from\"},\"finish_reason\":null}]}\n\n";

    // A text chunk that does not finish the answer.
    public const string SecondChunk =
        "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\" up\"},\"finish_reason\":null}]}\n\n";

    /// <summary>
    /// The whole stream its default reply sends: two text chunks (the finish reason on the second), the usage, [DONE].
    /// </summary>
    public const string StreamedReply =
        FirstChunk
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\" upstream\"},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[],"
        + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n"
        + "data: [DONE]\n\n";

    private const string CompletionReply =
        """{"id":"up-1","model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant","content":"from """
        + """upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2}}""";

    /// <summary>The error body of any status but 200, with a key in it that must not leak.</summary>
    private const string Refusal = """{"error":{"message":"upstream says no, key sk-upstream-secret"}}""";

    private readonly UpstreamReply[] _replies;
    private readonly ConcurrentQueue<UpstreamReply> _script = new();
    private WebApplication _app = null!;
    private string _address = string.Empty;
    private int _calls;
    private int _turn;
    private int _stopped;

    private UpstreamStub(UpstreamReply[] replies)
    {
        _replies = replies;
    }

    /// <summary>How many requests it got.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Every request it got, in order.</summary>
    public ConcurrentQueue<UpstreamRequest> Received { get; } = new();

    public string BaseUrl => _address + "/v1";

    /// <summary>The stub's own address, <c>http://127.0.0.1:port</c>.</summary>
    public string Address => _address;

    /// <summary>The stub's port.</summary>
    public int Port => new Uri(_address).Port;

    /// <summary>
    /// Starts the stub on POST /v1/chat/completions; it answers with <paramref name="statuses"/> in turn, the last one
    /// from then on.
    /// </summary>
    public static Task<UpstreamStub> StartAsync(params int[] statuses) =>
        StartWithAsync(
            (statuses.Length == 0 ? new[] { 200 } : statuses).Select(status => Reply.Status(status)).ToArray());

    /// <summary>
    /// Starts the stub on POST /v1/chat/completions; it answers with <paramref name="replies"/> in turn, the last one
    /// from then on.
    /// </summary>
    public static Task<UpstreamStub> StartWithAsync(params UpstreamReply[] replies) =>
        StartAtAsync("/v1/chat/completions", replies);

    /// <summary>
    /// Starts the stub on the POST route <paramref name="pattern"/> (null: every path and method);
    /// it answers with <paramref name="replies"/> in turn, the last one from then on.
    /// </summary>
    public static async Task<UpstreamStub> StartAtAsync(string? pattern, params UpstreamReply[] replies)
    {
        var stub = new UpstreamStub(replies.Length == 0 ? new[] { Reply.Status(200) } : replies);
        (stub._app, stub._address) = await LoopbackApp.StartAsync(app =>
        {
            if (pattern is null)
            {
                app.Run(stub.AnswerAsync);
            }
            else
            {
                app.MapPost(pattern, (RequestDelegate)stub.AnswerAsync);
            }
        });
        return stub;
    }

    /// <summary>
    /// Answers the next requests with <paramref name="replies"/>, one each, before the replies it started with.
    /// </summary>
    public UpstreamStub Then(params UpstreamReply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }

        return this;
    }

    /// <summary>Answers the next request with <paramref name="script"/>, written in the test.</summary>
    public UpstreamStub Then(Func<HttpContext, Task> script) => Then((_, context, _) => script(context));

    /// <summary>Stops the stub (once: a test may stop it early to make it unreachable).</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _stopped, 1) == 0 ? LoopbackApp.StopAsync(_app) : ValueTask.CompletedTask;

    private async Task AnswerAsync(HttpContext context)
    {
        // A call counts as soon as it reaches the stub: a caller whose timeout ends the call while its body is still
        // being read (a short timeout on a loaded machine) has still made it.
        Interlocked.Increment(ref _calls);
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(
            h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var received = new UpstreamRequest(context.Request.Path, headers, body);
        Received.Enqueue(received);

        // A reply that reads the request (one that checks it as a provider does) finds it here: the body is read.
        context.Items[typeof(UpstreamRequest)] = received;
        var streaming = body.Contains("\"stream\":true", StringComparison.Ordinal)
            || body.Contains("\"stream\": true", StringComparison.Ordinal);
        var reply = _script.TryDequeue(out var scripted)
            ? scripted
            : _replies[Math.Min(Interlocked.Increment(ref _turn) - 1, _replies.Length - 1)];
        await reply(this, context, streaming);
    }

    /// <summary>The replies.</summary>
    public static class Reply
    {
        /// <summary>
        /// A chat completion (or its stream) for 200; an error body that must not leak for any other status.
        /// </summary>
        public static UpstreamReply Status(int status, params (string Name, string Value)[] headers) =>
            async (_, context, streaming) =>
            {
                context.Response.StatusCode = status;
                SetHeaders(context, headers);
                if (status == 200 && streaming)
                {
                    context.Response.ContentType = "text/event-stream";
                    await context.Response.WriteAsync(StreamedReply);
                    return;
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(status == 200 ? CompletionReply : Refusal);
            };

        /// <summary>This body (JSON unless said otherwise) with a status and headers.</summary>
        public static UpstreamReply Answer(
            int status,
            string body,
            string contentType = "application/json",
            params (string Name, string Value)[] headers) =>
            async (_, context, _) =>
            {
                context.Response.StatusCode = status;
                context.Response.ContentType = contentType;
                SetHeaders(context, headers);
                await context.Response.WriteAsync(body);
            };

        /// <summary>
        /// An event stream written event by event, each flushed; after <paramref name="cutAfter"/> events the
        /// connection is cut.
        /// </summary>
        public static UpstreamReply Stream(
            string stream,
            int? cutAfter = null,
            int delayMs = 0,
            params (string Name, string Value)[] headers) =>
            async (_, context, _) =>
            {
                context.Response.ContentType = "text/event-stream";
                SetHeaders(context, headers);
                var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                    .Select(e => e + "\n\n")
                    .ToArray();
                for (var i = 0; i < events.Length; i++)
                {
                    if (cutAfter == i)
                    {
                        await CutAsync(context, 300);
                        return;
                    }

                    if (delayMs > 0 && i > 0)
                    {
                        await Task.Delay(delayMs);
                    }

                    await context.Response.WriteAsync(events[i]);
                    await context.Response.Body.FlushAsync();
                }
            };

        /// <summary>
        /// <paramref name="bytes"/> (part of a body, an event cut in two, a gzip stream's first blocks) sent and
        /// flushed, then the connection cut after <paramref name="waitMs"/>.
        /// </summary>
        public static UpstreamReply CutAfter(
            byte[] bytes,
            string contentType,
            string? contentEncoding = null,
            int waitMs = 300) =>
            async (_, context, _) =>
            {
                context.Response.ContentType = contentType;
                if (contentEncoding is not null)
                {
                    context.Response.Headers.ContentEncoding = contentEncoding;
                }

                await context.Response.Body.WriteAsync(bytes);
                await context.Response.Body.FlushAsync();
                await CutAsync(context, waitMs);
            };

        /// <summary>
        /// Cuts the connection once the gateway had time to read what came: a reset discards what the peer has not read
        /// yet.
        /// </summary>
        private static async Task CutAsync(HttpContext context, int waitMs)
        {
            await Task.Delay(waitMs);
            context.Abort();
        }

        /// <summary>The body compressed with gzip, sent as such.</summary>
        public static UpstreamReply Gzip(string body, string contentType) => async (_, context, _) =>
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(Encoding.UTF8.GetBytes(body));
            }

            context.Response.ContentType = contentType;
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentLength = compressed.Length;
            await context.Response.Body.WriteAsync(compressed.ToArray());
        };

        /// <summary>Headers, then nothing: the connection is cut before any byte of the body.</summary>
        public static UpstreamReply CutBeforeBody(string contentType) => async (_, context, _) =>
        {
            context.Response.ContentType = contentType;
            context.Response.ContentLength = 100;
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            context.Abort();
        };

        /// <summary>
        /// Waits <paramref name="delay"/> (unless the caller hangs up first), then answers with
        /// <paramref name="then"/>.
        /// </summary>
        public static UpstreamReply Slow(TimeSpan delay, UpstreamReply then) => async (stub, context, streaming) =>
        {
            try
            {
                await Task.Delay(delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await then(stub, context, streaming);
        };

        /// <summary>Accepts the request and never answers, until the caller hangs up.</summary>
        public static UpstreamReply Hang { get; } = async (_, context, _) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        };

        /// <summary>A 200 JSON completion even when a stream was asked for.</summary>
        public static UpstreamReply JsonEvenWhenStreaming { get; } = (_, context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(CompletionReply);
        };

        /// <summary>An event stream whose events are not JSON.</summary>
        public static UpstreamReply MalformedEvents { get; } = (_, context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/event-stream";
            return context.Response.WriteAsync("data: this is not a chunk\n\ndata: [DONE]\n\n");
        };

        /// <summary>Two text chunks, then the stream ends: cleanly (no [DONE]) or by a connection reset.</summary>
        public static UpstreamReply CutAfterFirstChunk(bool reset) => async (_, context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(FirstChunk + SecondChunk);
            await context.Response.Body.FlushAsync();
            if (reset)
            {
                // Give the chunk time to leave before the reset overtakes it.
                await Task.Delay(200);
                context.Abort();
            }
        };

        /// <summary>A complete-looking stream ([DONE]) that never says why it finished.</summary>
        public static UpstreamReply NoFinishReason { get; } = (_, context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/event-stream";
            return context.Response.WriteAsync(FirstChunk + "data: [DONE]\n\n");
        };

        private static void SetHeaders(HttpContext context, (string Name, string Value)[] headers)
        {
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }
        }
    }
}
