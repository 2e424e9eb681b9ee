using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Gateway.AttemptRoutes;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// A gateway whose traced routes call their provider through a named HttpClient
/// (tests/Gateway.AttemptRoutes): Kestrel on a loopback port, the provider service and its model
/// chain in DI, the client pointed at an <see cref="UpstreamStub"/> and set up as the test says
/// (its Polly handler, <c>AddTracedLlmAttempts()</c>, in either order), a failure logger that
/// keeps what it was told, and the request-duration metric's points as they are recorded.
/// </summary>
internal sealed class AttemptGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterListener _meters;

    private AttemptGateway(
        WebApplication app,
        string address,
        ConcurrentQueue<FailureContext> logged,
        MeterListener meters,
        ConcurrentQueue<(string Route, int Status, string? ErrorType)> durations)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = new Uri(address) };
        Address = new Uri(address);
        Logged = logged;
        _meters = meters;
        Durations = durations;
    }

    public HttpClient Client { get; }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Every failure logger call.</summary>
    public ConcurrentQueue<FailureContext> Logged { get; }

    /// <summary>
    /// <c>gen_ai.server.request.duration</c> as recorded: the route, the status and the <c>error.type</c>.
    /// </summary>
    public ConcurrentQueue<(string Route, int Status, string? ErrorType)> Durations { get; }

    /// <summary>
    /// Starts the gateway; <paramref name="client"/> sets up the named client (it adds the attempts itself, so a test
    /// chooses the order).
    /// </summary>
    public static async Task<AttemptGateway> StartAsync(
        UpstreamStub upstream,
        Action<IHttpClientBuilder> client,
        string[]? fallbacks = null,
        Action<IServiceCollection>? services = null)
    {
        var logged = new ConcurrentQueue<FailureContext>();
        var durations = new ConcurrentQueue<(string, int, string?)>();
        var meters = Listen(durations);
        var (app, address) = await LoopbackApp.StartAsync(
            s =>
            {
                s.ConfigureHttpJsonOptions(json =>
                {
                    json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
                    json.SerializerOptions.DefaultIgnoreCondition = System
                        .Text
                        .Json
                        .Serialization
                        .JsonIgnoreCondition
                        .WhenWritingNull;
                });
                s.AddTracedLlm();
                s.AddSingleton<ILlmFailureLogger>(new Logger(logged));
                s.AddSingleton(new ModelChain(fallbacks ?? Array.Empty<string>()));
                s.AddSingleton<UpstreamChat>();
                client(
                    s.AddHttpClient(UpstreamChat.ClientName, http => http.BaseAddress = new Uri(upstream.Address + "/"))
                );
                services?.Invoke(s);
            },
            app => app.MapAttemptRoutes());
        return new AttemptGateway(app, address, logged, meters, durations);
    }

    /// <summary>A chat request to the OpenAI route (or the Anthropic one), streamed or not.</summary>
    public static HttpRequestMessage Chat(string model, bool stream = false, bool anthropic = false)
    {
        var streamJson = stream ? "true" : "false";
        var (path, body) = anthropic
            ? ("/v1/messages",
                $$"""{"model":"{{model}}","max_tokens":64,"stream":{{streamJson}},"messages":"""
                + $$"""[{"role":"user","content":"hello"}]}""")
            : ("/v1/chat/completions",
                $$"""{"model":"{{model}}","stream":{{streamJson}},"messages":[{"role":"user","content":"hello"}]}""");
        return new HttpRequestMessage(HttpMethod.Post, path) {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _meters.Dispose();
        await LoopbackApp.StopAsync(_app);
    }

    private static MeterListener Listen(ConcurrentQueue<(string, int, string?)> durations)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TracedLlmTelemetry.SourceName
                    && instrument.Name == "gen_ai.server.request.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? route = null, errorType = null;
            var status = 0;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case AttributeNames.HttpRoute:
                        route = tag.Value as string;
                        break;
                    case AttributeNames.HttpResponseStatusCode:
                        status = Convert.ToInt32(tag.Value, System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case AttributeNames.ErrorType:
                        errorType = tag.Value as string;
                        break;
                }
            }

            durations.Enqueue((route ?? string.Empty, status, errorType));
        });
        listener.Start();
        return listener;
    }

    private sealed class Logger(ConcurrentQueue<FailureContext> logged) : ILlmFailureLogger
    {
        public ValueTask LogFailureAsync(FailureContext failure)
        {
            logged.Enqueue(failure);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// The upstream's answers by the model a request asks for: each model's replies in turn (the last one from then on).
/// </summary>
internal static class ByModel
{
    public static UpstreamReply Reply(params (string Model, UpstreamReply[] Replies)[] models)
    {
        var turns = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        return (stub, context, streaming) =>
        {
            var body = stub.Received.Last().Body;
            var (model, replies) = models.First(m =>
                body.Contains($"\"model\":\"{m.Model}\"", StringComparison.Ordinal));
            var turn = turns.AddOrUpdate(model, 0, (_, t) => t + 1);
            return replies[Math.Min(turn, replies.Length - 1)](stub, context, streaming);
        };
    }
}
