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
using TracedLlm.Gateway.Tests;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>A request as the fake upstream received it.</summary>
public sealed record UpstreamRequest(string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A provider on a loopback Kestrel port that answers as it is told, request by request (a queue of
/// scripts), else with the wire sample of the path asked for (chat completions, messages, responses;
/// streamed when the body says <c>"stream": true</c>), and keeps what it received.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _scripts = new();

    private FakeUpstream(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public ConcurrentQueue<UpstreamRequest> Received { get; } = new();

    public static async Task<FakeUpstream> StartAsync()
    {
        FakeUpstream? upstream = null;
        var (app, address) = await LoopbackApp.StartAsync(app => app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            upstream!.Received.Enqueue(new UpstreamRequest(context.Request.Path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            if (upstream._scripts.TryDequeue(out var script))
            {
                await script(context);
                return;
            }

            await Sample(context, body);
        }));
        upstream = new FakeUpstream(app, address);
        return upstream;
    }

    /// <summary>Answers the next request with <paramref name="script"/>.</summary>
    public FakeUpstream Then(Func<HttpContext, Task> script)
    {
        _scripts.Enqueue(script);
        return this;
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);

    /// <summary>A JSON (or any) answer with a status and headers.</summary>
    public static Func<HttpContext, Task> Answer(int status, string body, string contentType = "application/json", params (string Name, string Value)[] headers) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(body);
    };

    /// <summary>An event stream written piece by piece, each flushed; after <paramref name="cutAfter"/> pieces the connection is cut.</summary>
    public static Func<HttpContext, Task> Stream(string stream, int? cutAfter = null, int delayMs = 0, params (string Name, string Value)[] headers) => async context =>
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }

        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e + "\n\n").ToArray();
        for (var i = 0; i < events.Length; i++)
        {
            if (cutAfter == i)
            {
                // Time for the gateway to read what came: a reset discards what the peer has not read yet.
                await Task.Delay(300);
                context.Abort();
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

    /// <summary>Headers, then nothing: the connection is cut before any byte of the body.</summary>
    public static Func<HttpContext, Task> CutBeforeBody(string contentType) => async context =>
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = 100;
        await context.Response.StartAsync();
        await context.Response.Body.FlushAsync();
        context.Abort();
    };

    /// <summary>Waits before answering (longer than an attempt timeout).</summary>
    public static Func<HttpContext, Task> Slow(TimeSpan delay) => async context =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await Sample(context, string.Empty);
    };

    /// <summary>The body compressed with gzip, sent as such.</summary>
    public static Func<HttpContext, Task> Gzip(string body, string contentType) => async context =>
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

    private static Task Sample(HttpContext context, string body)
    {
        var stream = body.Contains("\"stream\":true", StringComparison.Ordinal) || body.Contains("\"stream\": true", StringComparison.Ordinal);
        var path = context.Request.Path.Value ?? string.Empty;
        var (json, events) = path.EndsWith("/messages", StringComparison.Ordinal) ? (WireSamples.AnthropicMessage, WireSamples.AnthropicStream)
            : path.EndsWith("/responses", StringComparison.Ordinal) ? (WireSamples.Response, WireSamples.ResponseStream)
            : (WireSamples.ChatCompletion, WireSamples.ChatStream);
        context.Response.Headers["x-request-id"] = "req_upstream_1";
        return stream ? Stream(events)(context) : Answer(200, json)(context);
    }
}
