using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>What every relay test has: a span collector and a fresh upstream stub on every path.</summary>
public abstract class RelayTestBase : IAsyncLifetime
{
    internal SpanCollector Spans { get; } = new();

    /// <summary>Answers as a test's <see cref="UpstreamStub.Then"/> says, else with <see cref="WireSample"/>.</summary>
    internal UpstreamStub Upstream { get; private set; } = null!;

    public async Task InitializeAsync() => Upstream = await UpstreamStub.StartAtAsync(pattern: null, WireSample);

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        Spans.Dispose();
    }

    /// <summary>
    /// The provider's wire sample for the path asked for (chat completions, messages, responses), streamed when the
    /// body asks for a stream.
    /// </summary>
    internal static Task WireSample(UpstreamStub stub, HttpContext context, bool streaming)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var (json, events) =
            path.EndsWith("/messages", StringComparison.Ordinal)
                ? (WireSamples.AnthropicMessage, WireSamples.AnthropicStream)
            : path.EndsWith("/responses", StringComparison.Ordinal) ? (WireSamples.Response, WireSamples.ResponseStream)
            : (WireSamples.ChatCompletion, WireSamples.ChatStream);
        context.Response.Headers["x-request-id"] = "req_upstream_1";
        return streaming
            ? UpstreamStub.Reply.Stream(events)(stub, context, streaming)
            : UpstreamStub.Reply.Answer(200, json)(stub, context, streaming);
    }
}
