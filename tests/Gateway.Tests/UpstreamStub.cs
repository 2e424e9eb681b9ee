using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Gateway.Tests;

/// <summary>An OpenAI-compatible upstream on a real loopback port that records what it receives.</summary>
internal sealed class UpstreamStub : IAsyncDisposable
{
    // OpenAI's streamed shape with stream_options.include_usage: the finish reason on the last text
    // chunk, then the usage on a chunk of its own with no choices, then [DONE].
    private const string StreamedReply =
        "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"from\"},\"finish_reason\":null}]}\n\n"
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" upstream\"},\"finish_reason\":\"stop\"}]}\n\n"
        + "data: {\"id\":\"up-1\",\"model\":\"upstream-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n"
        + "data: [DONE]\n\n";

    private readonly int[] _statuses;
    private WebApplication _app = null!;
    private string _address = string.Empty;
    private int _calls;

    private UpstreamStub(int[] statuses)
    {
        _statuses = statuses;
    }

    /// <summary>How many requests it got.</summary>
    public int Calls => _calls;

    public ConcurrentQueue<(string Body, string? Traceparent)> Received { get; } = new();

    public string BaseUrl => _address + "/v1";

    /// <summary>Starts the stub; it answers with <paramref name="statuses"/> in turn, the last one from then on.</summary>
    public static async Task<UpstreamStub> StartAsync(params int[] statuses)
    {
        var stub = new UpstreamStub(statuses.Length == 0 ? new[] { 200 } : statuses);
        (stub._app, stub._address) = await LoopbackApp.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);

            // Copied: the request's header collection is reused once the request ends.
            var body = await reader.ReadToEndAsync();
            stub.Received.Enqueue((body, context.Request.Headers.TraceParent.ToString()));
            var call = Interlocked.Increment(ref stub._calls) - 1;
            var status = stub._statuses[Math.Min(call, stub._statuses.Length - 1)];
            context.Response.StatusCode = status;
            if (status == 200 && body.Contains("\"stream\":true", StringComparison.Ordinal))
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(StreamedReply);
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(status == 200
                ? """{"id":"up-1","model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant","content":"from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2}}"""
                : """{"error":{"message":"upstream says no, key sk-upstream-secret"}}""");
        }));
        return stub;
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);
}
