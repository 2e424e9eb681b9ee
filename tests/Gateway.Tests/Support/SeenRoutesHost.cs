using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using TracedLlm.Gateway.SeenRoutes;

namespace TracedLlm.Gateway.Tests;

/// <summary>tests/Gateway.SeenRoutes' routes on Kestrel, in front of an upstream stub the test scripts.</summary>
/// <remarks>
/// The stub is on a loopback port and answers each request as the test scripts it. The host has YARP's
/// forwarder with its errors read (<c>AddTracedLlmForwarderErrors()</c>, through <c>AddTracedLlmRelay()</c>),
/// a named HttpClient with <c>AddTracedLlmAttempts()</c>, the OpenAI SDK as an <see cref="IChatClient"/>
/// with <c>UseTracedLlm()</c> (its own retries off, what it throws witnessed), the relay, MVC's actions, a
/// recording failure logger and a log capture; outbound coverage on, with a declared model path and named
/// client, and an untraced endpoint that sends a model request.
/// </remarks>
public sealed class SeenRoutesHost : IAsyncLifetime
{
    /// <summary>An endpoint that is no traced route, sending a model request to the upstream.</summary>
    public const string UntracedSend = "/untraced/send";

    private WebApplication _app = null!;

    public string Address { get; private set; } = string.Empty;

    internal UpstreamStub Upstream { get; private set; } = null!;

    public ConcurrentQueue<FailureContext> Logged { get; } = new();

    /// <summary>What the OpenAI SDK threw under <c>UseTracedLlm()</c>, and what the routes' code caught.</summary>
    public ThrownAndCaught Seen { get; } = new();

    internal CoverageTests.LogCapture Logs { get; } = new();

    /// <summary>The gateway's options beyond the host's own (set before it starts).</summary>
    public Action<TracedLlmOptions>? Options { get; init; }

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamStub.StartAtAsync(null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerProvider>(Logs);
        builder.Services.AddTracedLlm(options =>
        {
            options.OutboundCoverage.ModelUrls.Add(CoverageRoutes.DeclaredPath);
            options.OutboundCoverage.ModelHttpClients.Add(CoverageRoutes.DeclaredClient);
            Options?.Invoke(options);
        });
        builder.Services.AddSingleton<ILlmFailureLogger>(new RecordingFailureLogger(Logged));
        builder.Services.AddTracedLlmRelay();
        var upstream = new SeenUpstream(Upstream.Address);
        builder.Services.AddSingleton(upstream);
        var address = new Uri(Upstream.Address + "/");
        builder.Services.AddHttpClient(SeenUpstream.AttemptsClient, http => http.BaseAddress = address)
            .AddTracedLlmAttempts();
        builder.Services.AddHttpClient(CoverageRoutes.DeclaredClient);
        var openAi = new OpenAIClient(new ApiKeyCredential("sk-seen"), new OpenAIClientOptions
        {
            Endpoint = new Uri(Upstream.BaseUrl),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        var chat = new ChatClientBuilder(openAi.GetChatClient("gpt").AsIChatClient())
            .UseTracedLlm()
            .Use(inner => new ThrownWitness(inner, Seen))
            .Build();
        builder.Services.AddSingleton(chat);
        builder.Services.AddSingleton(Seen);
        builder.Services.AddControllers().AddApplicationPart(typeof(SeenController).Assembly).AddTracedLlm();
        _app = builder.Build();
        _app.MapSeenRoutes();
        _app.MapControllers();
        _app.MapTracedLlmManifest();
        _app.MapPost(UntracedSend, async () =>
        {
            using var http = new HttpClient();
            var gap = CoverageRoutes.Host(upstream) + "/v1/chat/completions";
            using var answer = await http.PostAsync(gap, new StringContent("{}"));
            return Results.Ok();
        });
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
    }

    /// <summary>Waits for the failure loggers' one call, checks what it was told, and clears it.</summary>
    public async Task AssertLoggedOnceAsync(int status, string errorType, string? code)
    {
        await Eventually.HoldsAsync(() => !Logged.IsEmpty, "the failure logger was called");
        var logged = Assert.Single(Logged);
        Assert.Equal(status, logged.StatusCode);
        Assert.Equal(errorType, logged.ErrorType);
        Assert.Equal(code, logged.ErrorCode);
        Logged.Clear();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
