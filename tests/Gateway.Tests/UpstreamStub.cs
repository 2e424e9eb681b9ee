using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm.Gateway.Tests;

/// <summary>An OpenAI-compatible upstream on a real loopback port that records what it receives.</summary>
internal sealed class UpstreamStub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly int[] _statuses;
    private int _calls;

    private UpstreamStub(WebApplication app, int[] statuses)
    {
        _app = app;
        _statuses = statuses;
    }

    /// <summary>How many requests it got.</summary>
    public int Calls => _calls;

    public ConcurrentQueue<(string Body, string? Traceparent)> Received { get; } = new();

    public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/v1";

    /// <summary>Starts the stub; it answers with <paramref name="statuses"/> in turn, the last one from then on.</summary>
    public static async Task<UpstreamStub> StartAsync(params int[] statuses)
    {
        statuses = statuses.Length == 0 ? new[] { 200 } : statuses;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new UpstreamStub(app, statuses);
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            // Copied: the request's header collection is reused once the request ends.
            stub.Received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers.TraceParent.ToString()));
            var call = Interlocked.Increment(ref stub._calls) - 1;
            var status = stub._statuses[Math.Min(call, stub._statuses.Length - 1)];
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(status == 200
                ? """{"id":"up-1","model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant","content":"from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":2}}"""
                : """{"error":{"message":"upstream says no, key sk-upstream-secret"}}""");
        });
        await app.StartAsync();
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
