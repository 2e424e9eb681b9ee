using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.ReverseProxy.Tests;

/// <summary>
/// A gateway of the relay routes on a loopback Kestrel port, with the test's upstreams, guardrails and relay options.
/// </summary>
public sealed class RelayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RelayHost(WebApplication app, string address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient(
            new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None })
        {
            BaseAddress = new Uri(address),
            Timeout = TimeSpan.FromSeconds(60)
        };
    }

    public string Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RelayHost> StartAsync(
        RelayUpstreams upstreams,
        Action<LlmRelayOptions>? relay = null,
        IEnumerable<ILlmGuardrail>? guardrails = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        var (app, address) = await LoopbackApp.StartAsync(
            builder =>
            {
                builder.AddTracedLlm();
                builder.AddTracedLlmRelay(relay);
                builder.AddSingleton(upstreams);
                foreach (var guardrail in guardrails ?? Array.Empty<ILlmGuardrail>())
                {
                    builder.AddSingleton(guardrail);
                }

                services?.Invoke(builder);
            },
            app =>
            {
                if (map is null)
                {
                    app.MapTracedLlmRoutes();
                }
                else
                {
                    map(app);
                }
            });
        return new RelayHost(app, address);
    }

    /// <summary>Posts a JSON body; the response is returned with its headers read, the body not yet.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json")
        };
        return Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return LoopbackApp.StopAsync(_app);
    }
}

/// <summary>
/// A guardrail for the relay tests: blocks when the text it sees contains a word, and counts its runs.
/// </summary>
public sealed class WordGuardrail(GuardrailMode modes, string word, string name = "word") : ILlmGuardrail
{
    private int _runs;

    public string Name => name;

    public GuardrailMode Modes => modes;

    public int Runs => Volatile.Read(ref _runs);

    public List<string?> Seen { get; } = new();

    /// <summary>
    /// The relayed result's <see cref="LlmRelayResult.TextLength"/> at each check (null for a request).
    /// </summary>
    public List<int?> Lengths { get; } = new();

    public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        // The length first: counted from the relay's bytes, before the text is made.
        var length = context.Response is LlmRelayResult measured ? measured.TextLength : null;
        var text = context.Response is LlmRelayResult relayed
            ? relayed.Text
            : Encoding.UTF8.GetString(context.Call.RequestBody.Span);
        lock (Seen)
        {
            Seen.Add(text);
            Lengths.Add(length);
        }

        return ValueTask.FromResult(
            text is not null && text.Contains(word, StringComparison.Ordinal)
                ? GuardrailVerdict.Block($"The word '{word}' is not allowed.")
                : GuardrailVerdict.Allow);
    }
}
