using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.Package.Tests;

/// <summary>
/// An OpenAI-compatible upstream on a free loopback port: every chat completion gets <see cref="Answer"/>.
/// </summary>
internal sealed class FakeOpenAi : IAsyncDisposable
{
    public const string Answer = "traced from the fake upstream";

    private readonly WebApplication _app;

    private FakeOpenAi(WebApplication app, string address)
    {
        _app = app;
        BaseUrl = address + "/v1";
    }

    public string BaseUrl { get; }

    /// <summary>The request bodies it got.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public static async Task<FakeOpenAi> StartAsync()
    {
        FakeOpenAi? fake = null;
        var (app, address) = await LoopbackApp.StartAsync(map => map.MapPost(
            "/v1/chat/completions",
            async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                fake!.Received.Enqueue(await reader.ReadToEndAsync());
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$$"""
                    {"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
                     "choices":[{"index":0,"message":{"role":"assistant","content":"{{{Answer}}}"},
                                 "finish_reason":"stop"}],
                     "usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}
                    """);
            }));
        fake = new FakeOpenAi(app, address);
        return fake;
    }

    public ValueTask DisposeAsync() => LoopbackApp.StopAsync(_app);
}
