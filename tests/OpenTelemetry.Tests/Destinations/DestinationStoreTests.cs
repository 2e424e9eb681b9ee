using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// Destinations kept in a store the replicas share, read by each through a configuration provider that
/// reloads.
/// </summary>
/// <remarks>
/// A database or a configuration service (docs/destinations-at-scale.md): a change reaches every
/// replica's next request, a change that fails its checks changes nothing, and no secret from the store
/// reaches a log or a span.
/// </remarks>
public sealed class DestinationStoreTests
{
    private static readonly string[] Secrets = ["store-secret-1", "store-secret-2", "store-secret-3", "store-secret-4"];

    [Fact]
    public async Task AChangeInTheSharedStoreReachesEveryReplicasNextRequestAndNoSecretIsLogged()
    {
        var store = new DestinationStore();
        var logs = new LogRecorder();
        var moved = await ScriptedOtlpEndpoint.StartAsync();
        await using var first = await Replica(store, logs, replicaOf: null);
        await using var second = await Replica(store, logs, replicaOf: first);

        // The platform gives team A's destination its key, in the store: both replicas read it.
        store.Write(new() { ["TracedLlm:Routing:Destinations:a:Headers"] = "x-api-key=store-secret-1" });

        var before = await OnBoth(first, second);

        // The team moves to another backend with a rotated key: both replicas' next requests follow.
        store.Write(new()
        {
            ["TracedLlm:Routing:Destinations:a:Endpoint"] = moved.Url,
            ["TracedLlm:Routing:Destinations:a:Headers"] = "x-api-key=store-secret-2",
        });
        var after = await OnBoth(first, second);

        // A change that fails its checks (a second destination's endpoint, headers that cannot be read)
        // changes nothing: the next requests still go where the last good routing says.
        store.Write(new()
        {
            ["TracedLlm:Routing:Destinations:broken:Endpoint"] = "ftp://store-secret-3@collector/v1/traces",
            ["TracedLlm:Routing:Destinations:broken:Headers"] = "x-api-key=store-secret-4,no-value",
            ["TracedLlm:Routing:Destinations:broken:Teams:0"] = "team-b",
        });
        var kept = await OnBoth(first, second);
        await first.StopAsync();
        await second.StopAsync();

        var atOld = ReceivedSpans.Of(first.A);
        var atMoved = ReceivedSpans.Of(moved);
        Assert.Equal(before.Order(), atOld.Select(s => s.TraceId).Distinct().Order());
        Assert.Equal(after.Concat(kept).Order(), atMoved.Select(s => s.TraceId).Distinct().Order());

        // Both replicas run in this process, so each one's router sees every span the runtime records
        // (one ActivitySource): each span arrives once per replica, both routing it the same way.
        Assert.Equal(2 * 6 * TeamGateway.SpansPerRequest, atOld.Count + atMoved.Count);
        Assert.All(atOld.Concat(atMoved).GroupBy(s => s.SpanId), copies => Assert.Equal(2, copies.Count()));
        Assert.All(first.A.Requests, r => Assert.Equal("store-secret-1", r.Headers["x-api-key"]));
        Assert.All(moved.Requests, r => Assert.Equal("store-secret-2", r.Headers["x-api-key"]));

        // Each replica said once why it kept its routing, naming the destination's keys, not their values.
        var refused = logs.Messages.Where(m => m.Contains("cannot be used", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, m => Assert.Contains("Destinations:broken:", m, StringComparison.Ordinal));

        // No secret from the store in any log line, nor in any span or resource any receiver got.
        var exported = new[] { first.A, first.B, first.Default, moved }.SelectMany(ReceivedSpans.AllOf)
            .SelectMany(s => s.Attributes.Values.Concat(s.Resource.Values))
            .Select(v => v?.ToString() ?? string.Empty);
        var everything = logs.Messages.Concat(exported).ToList();
        Assert.NotEmpty(logs.Messages);
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(everything, text => text.Contains(secret, StringComparison.Ordinal));
        }

        await moved.DisposeAsync();
    }

    // A request of team A on each replica, in turn: their trace ids.
    private static async Task<string[]> OnBoth(TeamGateway first, TeamGateway second) =>
        [await first.SendAsync("team-a", TeamGateway.TeamAKey), await second.SendAsync("team-a", TeamGateway.TeamAKey)];

    private static Task<TeamGateway> Replica(DestinationStore store, LogRecorder logs, TeamGateway? replicaOf) =>
        TeamGateway.StartAsync(
            settings: null,
            services => services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)),
            replicaOf,
            new StoreConfigurationSource(store));

    /// <summary>
    /// The store the replicas share, as a database table of keys and values would be: rows written
    /// together, then every reader told (a notification, or what a poll would find).
    /// </summary>
    private sealed class DestinationStore
    {
        private readonly ConcurrentDictionary<string, string?> _rows = new(StringComparer.OrdinalIgnoreCase);

        public event Action? Changed;

        public IDictionary<string, string?> Rows =>
            new Dictionary<string, string?>(_rows, StringComparer.OrdinalIgnoreCase);

        public void Write(Dictionary<string, string?> rows)
        {
            foreach (var (key, value) in rows)
            {
                _rows[key] = value;
            }

            Changed?.Invoke();
        }
    }

    /// <summary>The app's own configuration provider over the store: all rows, read again on a change.</summary>
    private sealed class StoreConfigurationSource(DestinationStore store) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(store);

        private sealed class Provider : ConfigurationProvider
        {
            private readonly DestinationStore _store;

            public Provider(DestinationStore store)
            {
                _store = store;
                store.Changed += () =>
                {
                    Load();
                    OnReload();
                };
            }

            public override void Load() => Data = _store.Rows;
        }
    }

    /// <summary>Every log line of both replicas, with its exception, at every level.</summary>
    private sealed class LogRecorder : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => _messages.ToList();

        public ILogger CreateLogger(string categoryName) => new Logger(_messages, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(
                LogLevel logLevel,
                EventId eventId,
                TState state,
                Exception? exception,
                Func<TState, Exception?, string> formatter) =>
                messages.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
