using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// The sample gateway in process with two teams' keys (team A, team B), a key of no team, and a
/// destination per team plus a default one, each a real loopback OTLP receiver
/// (<see cref="ScriptedOtlpEndpoint"/>) answering as its test scripts it. Its configuration can be
/// reloaded while it runs. Every request it sends joins a trace id of its own (a trusted caller's
/// <c>traceparent</c>), so that each span received can be told apart by the request it belongs to.
/// </summary>
internal sealed class TeamGateway : IAsyncDisposable
{
    public const string TeamAKey = "sk-team-a-7d1e9c04";
    public const string TeamBKey = "sk-team-b-2f8a4b51";
    public const string Chat = "/v1/chat/completions";

    /// <summary>A traced chat request: server, auth, pre-call, the generation, two guardrails, one attempt.</summary>
    public const int SpansPerRequest = 7;

    private readonly ReloadableSource _configuration;
    private readonly WebApplicationFactory<Program> _host;
    private readonly HttpClient _client;
    private readonly bool _ownsEndpoints;

    private TeamGateway(
        (ScriptedOtlpEndpoint A, ScriptedOtlpEndpoint B, ScriptedOtlpEndpoint Default) endpoints,
        ReloadableSource configuration,
        WebApplicationFactory<Program> host,
        bool ownsEndpoints)
    {
        (A, B, Default) = endpoints;
        (_configuration, _host, _ownsEndpoints) = (configuration, host, ownsEndpoints);
        _client = host.CreateClient();
    }

    public ScriptedOtlpEndpoint A { get; }

    public ScriptedOtlpEndpoint B { get; }

    public ScriptedOtlpEndpoint Default { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Trace ids of the requests sent, by whose key sent them (<c>team-a</c>, <c>team-b</c>, <c>none</c>).
    /// </summary>
    public Dictionary<string, List<string>> Sent { get; } =
        new()
        {
            ["team-a"] = new(),
            ["team-b"] = new(),
            ["none"] = new()
        };

    /// <summary>
    /// Starts the gateway with its three destinations (<c>a</c>: team A, <c>b</c>: team B,
    /// <c>platform</c>: the default); <paramref name="settings"/> may change any setting. A replica
    /// of another gateway (<paramref name="replicaOf"/>) sends to the same three receivers, and
    /// <paramref name="store"/>, when given, is read after the settings (a configuration store the replicas share).
    /// </summary>
    public static async Task<TeamGateway> StartAsync(
        Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null,
        TeamGateway? replicaOf = null, IConfigurationSource? store = null)
    {
        var endpoints = replicaOf is null
            ? (await ScriptedOtlpEndpoint.StartAsync(), await ScriptedOtlpEndpoint.StartAsync(),
                await ScriptedOtlpEndpoint.StartAsync())
            : (replicaOf.A, replicaOf.B, replicaOf.Default);
        var values = new Dictionary<string, string?>
        {
            ["Gateway:Teams:team-a:ApiKeys"] = TeamAKey,
            ["Gateway:Teams:team-a:Alias"] = "Team A",
            ["Gateway:Teams:team-b:ApiKeys"] = TeamBKey,
            ["TracedLlm:Routing:Destinations:a:Endpoint"] = endpoints.Item1.Url,
            ["TracedLlm:Routing:Destinations:a:Teams:0"] = "team-a",
            ["TracedLlm:Routing:Destinations:b:Endpoint"] = endpoints.Item2.Url,
            ["TracedLlm:Routing:Destinations:b:Teams:0"] = "team-b",
            ["TracedLlm:Routing:Destinations:platform:Endpoint"] = endpoints.Item3.Url,
            ["TracedLlm:Routing:Destinations:platform:Default"] = "true",
            ["TracedLlm:Export:ScheduledDelay"] = "00:00:00.050",
            ["TracedLlm:Export:RetryInitialBackoff"] = "00:00:00.100",
            ["TracedLlm:Export:RetryMaxBackoff"] = "00:00:00.300",
            ["TracedLlm:Export:ShutdownTimeout"] = "00:00:03",
        };
        settings?.Invoke(values);

        // What the sample reads before its host is built (its keys) goes in as host settings; the
        // rest is read from the configuration once the host runs, so it can be reloaded.
        var gatewayHost = new GatewayHost();
        foreach (var (key, value) in values.Where(v => v.Key.StartsWith("Gateway:", StringComparison.Ordinal)))
        {
            gatewayHost.With(key, value);
        }

        var configuration = new ReloadableSource(
            values.Where(v => !v.Key.StartsWith("Gateway:", StringComparison.Ordinal)).ToDictionary());
        var host = gatewayHost.WithServices(s =>
        {
            s.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("team-gateway"))
                .WithTracing(tracing => tracing.AddTracedLlm().AddTracedLlmDestinations());
            services?.Invoke(s);
        }).WithWebHostBuilder(builder => builder.ConfigureAppConfiguration(c =>
        {
            c.Add(configuration);
            if (store is not null)
            {
                c.Add(store);
            }
        }));
        return new TeamGateway(endpoints, configuration, host, ownsEndpoints: replicaOf is null);
    }

    /// <summary>
    /// Replaces the settings (as a configuration reload does) with what <paramref name="change"/> makes of them.
    /// </summary>
    public void Reload(Action<Dictionary<string, string?>> change) => _configuration.Reload(change);

    /// <summary>
    /// Sends a chat request with <paramref name="key"/> (<c>null</c>: no key), joined to a new trace id
    /// of its own unless <paramref name="traceparent"/> says otherwise, and records the trace id as sent by
    /// <paramref name="who"/>.
    /// </summary>
    public async Task<string> SendAsync(
        string who,
        string? key,
        string? metadata = null,
        string? traceparent = null,
        Action<HttpRequestMessage>? request = null)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var body =
            $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]"""
            + $$""","metadata":{{metadata ?? "{}"}}}""";
        var message = GatewayHost.Post(
            Chat,
            body,
            apiKey: key,
            traceparent: traceparent ?? $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        request?.Invoke(message);
        using var response = await _client.SendAsync(message);
        Assert.Equal(key is null ? HttpStatusCode.Unauthorized : HttpStatusCode.OK, response.StatusCode);
        if (traceparent is null)
        {
            lock (Sent)
            {
                Sent[who].Add(traceId);
            }
        }

        return traceId;
    }

    /// <summary>Stops the host: its stop delivers every destination's queue within the bound.</summary>
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsEndpoints)
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Default.DisposeAsync();
        }
    }

    /// <summary>
    /// An in-memory configuration a test can change while the host runs; a change raises the reload token.
    /// </summary>
    private sealed class ReloadableSource(Dictionary<string, string?> values) : IConfigurationSource
    {
        private readonly Provider _provider = new(values);

        public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

        public void Reload(Action<Dictionary<string, string?>> change) => _provider.Reload(change);

        private sealed class Provider(Dictionary<string, string?> values) : ConfigurationProvider
        {
            private readonly Dictionary<string, string?> _values = new(values, StringComparer.OrdinalIgnoreCase);

            public override void Load() =>
                Data = new Dictionary<string, string?>(_values, StringComparer.OrdinalIgnoreCase);

            public void Reload(Action<Dictionary<string, string?>> change)
            {
                change(_values);
                Load();
                OnReload();
            }
        }
    }
}
