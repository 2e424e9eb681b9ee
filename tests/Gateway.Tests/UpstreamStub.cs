using System;
using System.Collections.Concurrent;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Gateway.Tests;

/// <summary>How the stub answers one call: a status, or one of the ways a real upstream misbehaves.</summary>
internal delegate Task UpstreamReply(UpstreamStub stub, HttpContext context, bool streaming);

/// <summary>An OpenAI-compatible upstream on a real loopback port that records what it receives.</summary>
internal sealed class UpstreamStub : IAsyncDisposable
{
    // OpenAI's streamed shape with stream_options.include_usage: the finish reason on the last text
    // chunk, then the usage on a chunk of its own with no choices, then [DONE].
    public const string FirstChunk = "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"from\"},\"finish_reason\":null}]}\n\n";

    // A text chunk that does not finish the answer.
    public const string SecondChunk = "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" up\"},\"finish_reason\":null}]}\n\n";

    private const string StreamedReply =
        FirstChunk
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" upstream\"},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n"
        + "data: [DONE]\n\n";

    private const string CompletionReply = """{"id":"up-1","model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant","content":"from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2}}""";

    private readonly UpstreamReply[] _replies;
    private WebApplication _app = null!;
    private string _address = string.Empty;
    private int _calls;
    private int _stopped;

    private UpstreamStub(UpstreamReply[] replies)
    {
        _replies = replies;
    }

    /// <summary>How many requests it got.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<(string Body, string? Traceparent)> Received { get; } = new();

    public string BaseUrl => _address + "/v1";

    /// <summary>The stub's own address, <c>http://127.0.0.1:port</c>.</summary>
    public string Address => _address;

    /// <summary>The stub's port.</summary>
    public int Port => new Uri(_address).Port;

    /// <summary>Starts the stub; it answers with <paramref name="statuses"/> in turn, the last one from then on.</summary>
    public static Task<UpstreamStub> StartAsync(params int[] statuses) =>
        StartWithAsync((statuses.Length == 0 ? new[] { 200 } : statuses).Select(status => Reply.Status(status)).ToArray());

    /// <summary>Starts the stub; it answers with <paramref name="replies"/> in turn, the last one from then on.</summary>
    public static Task<UpstreamStub> StartWithAsync(params UpstreamReply[] replies) => StartAtAsync("/v1/chat/completions", replies);

    /// <summary>Starts the stub on the POST route <paramref name="pattern"/>; it answers with <paramref name="replies"/> in turn, the last one from then on.</summary>
    public static async Task<UpstreamStub> StartAtAsync(string pattern, params UpstreamReply[] replies)
    {
        var stub = new UpstreamStub(replies.Length == 0 ? new[] { Reply.Status(200) } : replies);
        (stub._app, stub._address) = await LoopbackApp.StartAsync(app => app.MapPost(pattern, async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);

            // Copied: the request's header collection is reused once the request ends.
            var body = await reader.ReadToEndAsync();
            stub.Received.Enqueue((body, context.Request.Headers.TraceParent.ToString()));
            var call = Interlocked.Increment(ref stub._calls) - 1;
            var reply = stub._replies[Math.Min(call, stub._replies.Length - 1)];
            await reply(stub, context, body.Contains("\"stream\":true", StringComparison.Ordinal));
        }));
        return stub;
    }

    /// <summary>Stops the stub (once: a test may stop it early to make it unreachable).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _stopped, 1) == 0 ? LoopbackApp.StopAsync(_app) : ValueTask.CompletedTask;

    /// <summary>The replies.</summary>
    public static class Reply
    {
        /// <summary>A chat completion (or its stream) for 200; an error body that must not leak for any other status.</summary>
        public static UpstreamReply Status(int status, params (string Name, string Value)[] headers) => async (_, context, streaming) =>
        {
            context.Response.StatusCode = status;
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }

            if (status == 200 && streaming)
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(StreamedReply);
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(status == 200 ? CompletionReply : """{"error":{"message":"upstream says no, key sk-upstream-secret"}}""");
        };

        /// <summary>Accepts the request and never answers, until the gateway hangs up.</summary>
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
    }
}

/// <summary>
/// An upstream that answers 200 and then sends a body without end (up to 1 GiB), on a raw socket so
/// that what it counts is what the gateway really took: once a peer stops reading, a socket write
/// waits, and once it hangs up, a write fails (Kestrel would take the writes and drop them).
/// </summary>
internal sealed class EndlessUpstream : IAsyncDisposable
{
    private const long Limit = 1L << 30;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _events;
    private readonly Task _accepting;
    private long _bytesSent;
    private int _calls;

    /// <param name="events">To a streaming request: valid chunks without end (true), or one event line that never ends.</param>
    public EndlessUpstream(bool events = true)
    {
        _events = events;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1";

    /// <summary>Bytes of body the gateway took, over every call.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var streaming = await ReadRequestAsync(stream);
                Interlocked.Increment(ref _calls);
                var chunks = streaming && _events;
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: {(streaming ? "text/event-stream" : "application/json")}\r\nConnection: close\r\n\r\n"
                    + (chunks ? string.Empty : streaming ? "data: {\"id\":\"" : "{\"id\":\"");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                var piece = Encoding.UTF8.GetBytes(chunks ? string.Concat(Enumerable.Repeat(UpstreamStub.FirstChunk, 64)) : new string('x', 64 * 1024));
                for (long sent = 0; sent < Limit; sent += piece.Length)
                {
                    await stream.WriteAsync(piece, _stop.Token);
                    Interlocked.Add(ref _bytesSent, piece.Length);
                }
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The gateway hung up (or the test ended).
            }
        }
    }

    /// <summary>Reads the request's head and body; true when it asks for a stream.</summary>
    private async Task<bool> ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                throw new IOException("The request ended before its head.");
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        while (received.Count < headEnd + 4 + length)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        var body = Encoding.UTF8.GetString(received.ToArray(), headEnd + 4, received.Count - headEnd - 4);
        return body.Contains("\"stream\":true", StringComparison.Ordinal);
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> value) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(value);
}
